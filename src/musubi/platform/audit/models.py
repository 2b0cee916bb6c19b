"""The audit trail: one append-only, hash-chained row per access to personal data."""

from __future__ import annotations

import hashlib
import json

from django.db import models
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
    request_id = models.CharField(_("リクエストID"), max_length=64, blank=True)
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

    def compute_digest(self) -> str:
        content = {name: getattr(self, name) for name in self.CHAINED_FIELDS}
        content["at"] = self.at.isoformat()
        payload = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256((self.previous_digest + payload).encode()).hexdigest()

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records cannot be deleted")


class ChainHead(models.Model):
    """A single row locked while appending, so concurrent writers extend the chain in turn."""

    last_digest = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)
