"""A verified electronic signature over the canonical form of something a resident submitted."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from musubi.platform.signatures.results import Status, VerificationResult


class Signature(models.Model):
    """The CMS as received, what it signs (by hash) and the verification result.

    Personal data: a JPKI signing certificate carries the signer's name, address and
    birthdate. The signed object is named loosely (``subject_type``/``subject_id``) so the
    signatures app depends on no app above it.
    """

    personal_data = True

    subject_type = models.CharField(_("対象の種類"), max_length=100)
    subject_id = models.CharField(_("対象ID"), max_length=64)
    cms = models.BinaryField(_("署名データ（CMS）"))
    document_sha256 = models.CharField(_("署名対象のSHA-256"), max_length=64)
    status = models.CharField(
        _("検証結果"), max_length=20, choices=[(s.value, s.value) for s in Status]
    )
    result = models.JSONField(_("検証の詳細"))
    verified_at = models.DateTimeField(_("検証日時"))
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        verbose_name = _("電子署名")
        verbose_name_plural = _("電子署名")

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id} ({self.status})"

    @property
    def verification(self) -> VerificationResult:
        return VerificationResult.from_json(self.result)
