"""The resident's upload form: one or more files in a plain multipart POST (no JavaScript)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from musubi.platform.files.sniffing import KINDS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that yields every selected file (Django's own yields only the last)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = list(data) if isinstance(data, list | tuple) else [data]
        if not any(items):
            return [super().clean(None, initial)]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def accept_attribute() -> str:
    """The ``accept`` hint for the browser's picker; the server still sniffs every file."""
    kinds = [KINDS[code] for code in settings.FILES_ACCEPTED_KINDS]
    return ",".join([k.content_type for k in kinds] + [e for k in kinds for e in k.extensions])


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("ファイル"),
        error_messages={"required": _("ファイルを選んでください。")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs["accept"] = accept_attribute()
        self.fields["files"].help_text = _(
            "PDF・JPEG・PNG、1ファイル %(each)s MB まで、合計 %(total)s MB まで。"
            "写真の位置情報などは自動で取り除きます。"
        ) % {"each": settings.FILES_UPLOAD_MAX_MB, "total": settings.FILES_UPLOAD_MAX_TOTAL_MB}
