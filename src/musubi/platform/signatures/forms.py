"""The form field for a resident's detached signature file (``.p7s``, DER or PEM)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from musubi.platform.signatures import trust


class SignatureFileField(forms.FileField):
    """Accepts a CMS SignedData of at most 1 MB and cleans to its DER bytes.

    Only the form is checked here (it is a signature at all); whether it is *valid* is
    ``services.attach_signature``'s job, which needs the signed document too.
    """

    default_error_messages = {
        "too_large": _("署名ファイルが大きすぎます（1 MB まで）。"),
        "not_cms": _("「%(name)s」は電子署名ファイル（.p7s）として読み取れません。"),
    }

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label", _("電子署名ファイル（.p7s）"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", ".p7s,application/pkcs7-signature")

    def clean(self, data, initial=None) -> bytes | None:
        uploaded = super().clean(data, initial)
        if not uploaded:
            return None
        if uploaded.size > trust.MAX_CMS_BYTES:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        uploaded.seek(0)
        blob = uploaded.read()
        try:
            trust.parse_signed_data(blob)
        except trust.MalformedSignature:
            raise ValidationError(
                self.error_messages["not_cms"], code="not_cms", params={"name": uploaded.name}
            ) from None
        return trust.to_der(blob)
