"""What the form engine keeps: residents' unfinished answers and their reports of registry errors.

Form definitions are not stored here: the procedures app owns (and versions) them and hands
them to the engine.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FormDraft(models.Model):
    """A resident's answers so far, saved on every step so the form can be resumed.

    ``data`` holds validated, normalised values; ``typed`` what was typed on a step that did
    not pass yet (so nothing typed is lost); ``sources`` which provider prefilled a field.
    """

    personal_data = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="form_drafts"
    )
    form_key = models.CharField(_("フォーム"), max_length=200)
    title = models.JSONField(_("表題"), default=dict)
    data = models.JSONField(default=dict)
    typed = models.JSONField(default=dict)
    sources = models.JSONField(default=dict)
    current_step = models.CharField(_("現在のステップ"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(_("保存期限"))

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "form_key"], name="one_draft_per_form")
        ]
        verbose_name = _("下書き")
        verbose_name_plural = _("下書き")

    def __str__(self) -> str:
        return self.form_key


class CorrectionStatus(models.TextChoices):
    OPEN = "open", _("未対応")
    RESOLVED = "resolved", _("訂正済み")
    DISMISSED = "dismissed", _("訂正不要")


class RegistryCorrectionRequest(models.Model):
    """A resident's report that a value prefilled from the registry is wrong (for 市民課)."""

    personal_data = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registry_corrections"
    )
    resident_number = models.CharField(_("宛名番号"), max_length=12)
    field = models.CharField(_("項目"), max_length=60)
    shown_value = models.TextField(_("表示された値"))
    comment = models.TextField(_("内容"), blank=True)
    created_at = models.DateTimeField(_("報告日時"), default=timezone.now)
    status = models.CharField(
        _("状態"), max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("住民記録の誤り報告")
        verbose_name_plural = _("住民記録の誤り報告")

    def __str__(self) -> str:
        return f"{self.field}: {self.shown_value}"
