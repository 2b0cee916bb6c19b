"""The audit trail: one append-only, hash-chained row per access to personal data."""

from __future__ import annotations

import datetime
import hashlib
import json

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    READ = "read", _("閲覧")
    SEARCH = "search", _("検索")
    CREATE = "create", _("作成")
    UPDATE = "update", _("変更")
    DELETE = "delete", _("削除")
    EXPORT = "export", _("出力")
    IMPORT = "import", _("取込")


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit record."""


class AuditRecord(models.Model):
    """Who touched whose personal data, as what, why, and when.

    ``digest`` covers this row's content and the previous row's digest, so editing or
    deleting any row breaks every digest after it (``musubi audit verify``).
    """

    at = models.DateTimeField(_("日時"), db_index=True)
    actor_id = models.BigIntegerField(_("利用者ID"), null=True)
    actor = models.CharField(_("利用者"), max_length=200)
    department = models.CharField(_("部署"), max_length=200, blank=True)
    role = models.CharField(_("役割"), max_length=100, blank=True)
    client = models.CharField(_("APIクライアント"), max_length=100, blank=True)
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    purpose = models.CharField(_("目的"), max_length=200, blank=True)
    subject_type = models.CharField(_("対象の種類"), max_length=60)
    subject_id = models.CharField(_("対象ID"), max_length=64, blank=True, db_index=True)
    what = models.CharField(_("内容"), max_length=200)
    request_id = models.CharField(_("リクエストID"), max_length=64, blank=True, db_index=True)
    previous_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("監査記録")
        verbose_name_plural = _("監査記録")

    CHAINED_FIELDS = (
        "at", "actor_id", "actor", "department", "role", "client", "action",
        "purpose", "subject_type", "subject_id", "what", "request_id",
    )  # fmt: skip

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.subject_type}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records cannot be deleted")

    def compute_digest(self) -> str:
        content = {name: getattr(self, name) for name in self.CHAINED_FIELDS}
        content["at"] = self.at.astimezone(datetime.UTC).isoformat()
        payload = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256((self.previous_digest + payload).encode()).hexdigest()


class ChainHead(models.Model):
    """A single row locked while appending, so concurrent writers extend the chain in turn.

    It also remembers the end of the chain, which is how removing the newest rows is caught.
    """

    last_digest = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} records, last {self.last_digest[:12]}"


class ChainVerification(models.Model):
    """The outcome of one ``musubi audit verify`` run, shown in the audit browser."""

    at = models.DateTimeField(_("検証日時"), default=timezone.now)
    intact = models.BooleanField(_("改ざんなし"))
    checked = models.BigIntegerField(_("検証件数"))
    problems = models.JSONField(_("問題"), default=list)

    class Meta:
        ordering = ["-at"]
        get_latest_by = "at"
        verbose_name = _("監査記録の検証")
        verbose_name_plural = _("監査記録の検証")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'intact' if self.intact else 'BROKEN'} ({self.checked})"
