"""Public API of the signatures app: electronic signatures on what residents submit.

How an application gets signed (the way a My Number card signature works):

1. ``canonical_document(data) -> bytes`` turns the submission (a JSON-like dict) into
   its RFC 8785 canonical bytes. The resident downloads exactly these bytes
   (``views.document_download(canonical, filename)`` builds the response).
2. The resident signs them in a signing app (JPKI: RSA-2048, SHA-256) and uploads the
   detached CMS signature, a ``.p7s`` in DER or PEM. ``forms.SignatureFileField``
   validates the upload as CMS and cleans to DER bytes.
3. ``attach_signature(subject, canonical, cms_der) -> Signature`` verifies and stores.
   A result that is not *valid* raises ``SignatureRejected`` (``.result`` holds the
   checks, ``.message`` the reason in the active language) and stores nothing, unless
   the caller passes ``keep_unverified=True`` (e.g. to keep an *indeterminate* signature
   while the CRL is out of date, and ``reverify`` it later).

Staff see ``signature.verification`` (a ``VerificationResult``) through the template
fragment ``{% include "signatures/_result.html" with result=signature.verification %}``.
``verify(canonical, cms)`` checks without storing; ``signatures_of(subject)`` lists what
is stored. Nothing here raises for bad input: a malformed blob is an *invalid* result.

Trust comes from settings: ``MUSUBI_SIGNATURE_TRUST_ANCHORS`` (root CAs) and
``MUSUBI_SIGNATURE_CRLS`` (revocation lists; CRLs inside the CMS count too).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.platform.signatures import jcs, trust, verification
from musubi.platform.signatures.models import Signature
from musubi.platform.signatures.results import Check, Outcome, VerificationResult

logger = logging.getLogger(__name__)

CanonicalisationError = jcs.CanonicalisationError


class SignatureRejected(ValueError):
    """The signature did not verify as valid; ``result`` says which checks failed and why."""

    def __init__(self, result: VerificationResult) -> None:
        self.result = result
        super().__init__(result.status.value)

    @property
    def message(self) -> str:
        reasons = " ".join(check.message for check in self.result.problems())
        return str(_("電子署名を確認できませんでした（%(status)s）。%(reasons)s")) % {
            "status": self.result.status_label,
            "reasons": reasons,
        }


def canonical_document(data: Any) -> bytes:
    """The RFC 8785 bytes of ``data`` that the resident signs; ``CanonicalisationError`` if none."""
    return jcs.canonicalize(data)


def trust_store() -> verification.TrustStore:
    return verification.TrustStore(
        anchors=trust.load_certificates(settings.SIGNATURE_TRUST_ANCHORS),
        crls=trust.load_crls(settings.SIGNATURE_CRLS),
    )


def verify(
    canonical: bytes, cms: bytes, *, extra_certificates: Sequence[x509.Certificate] = ()
) -> VerificationResult:
    """Check ``cms`` (DER or PEM) over ``canonical`` against the configured trust, now."""
    now = timezone.now()
    try:
        store = trust_store()
    except (trust.TrustStoreError, OSError) as exc:
        logger.error("signature trust store unusable: %s", exc)
        check = Check("chain", Outcome.UNKNOWN, "chain_unconfigured")
        return VerificationResult(checks=(check,), checked_at=now)
    return verification.verify(
        canonical, cms, store, now=now, extra_certificates=extra_certificates
    )


def _subject_of(subject: Any) -> tuple[str, str]:
    return subject._meta.label_lower, str(subject.pk)


def attach_signature(
    subject: Any,
    canonical: bytes,
    cms: bytes,
    *,
    keep_unverified: bool = False,
    extra_certificates: Sequence[x509.Certificate] = (),
) -> Signature:
    """Verify ``cms`` over ``canonical`` and store it for ``subject`` (a model instance).

    Raises ``SignatureRejected`` when the result is not valid, unless ``keep_unverified``.
    """
    result = verify(canonical, cms, extra_certificates=extra_certificates)
    if not result.valid and not keep_unverified:
        raise SignatureRejected(result)
    subject_type, subject_id = _subject_of(subject)
    with transaction.atomic():
        return Signature.objects.create(
            subject_type=subject_type,
            subject_id=subject_id,
            cms=_stored_form(cms),
            document_sha256=hashlib.sha256(canonical).hexdigest(),
            status=result.status.value,
            result=result.to_json(),
            verified_at=result.checked_at,
        )


def _stored_form(cms: bytes) -> bytes:
    try:
        return trust.to_der(cms)
    except trust.MalformedSignature:
        return cms[: trust.MAX_CMS_BYTES]


def reverify(signature: Signature, canonical: bytes) -> Signature:
    """Verify a stored signature again (a fresh CRL, a new anchor) and keep the new result."""
    if hashlib.sha256(canonical).hexdigest() != signature.document_sha256:
        raise ValueError("canonical bytes are not the document this signature was stored for")
    result = verify(canonical, bytes(signature.cms))
    signature.status = result.status.value
    signature.result = result.to_json()
    signature.verified_at = result.checked_at
    signature.save(update_fields=["status", "result", "verified_at"])
    return signature


def signatures_of(subject: Any) -> QuerySet[Signature]:
    subject_type, subject_id = _subject_of(subject)
    return Signature.objects.filter(subject_type=subject_type, subject_id=subject_id)
