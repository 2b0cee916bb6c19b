"""Uploaded documents and photos, and the grants that let staff read them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """One accepted upload: what it really is, whose it is, and where its bytes are.

    The bytes live in the storage backend under ``storage_key``; ``sha256`` is of the
    stored (cleaned) bytes, so integrity can be checked and duplicates spotted.
    """

    personal_data = True

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="stored_files",
        verbose_name=_("所有者"),
    )
    original_name = models.CharField(_("ファイル名"), max_length=200)
    content_type = models.CharField(_("形式"), max_length=60)
    kind = models.CharField(_("種類"), max_length=10)
    size = models.PositiveBigIntegerField(_("サイズ（バイト）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    storage_key = models.CharField(max_length=64, unique=True, editable=False)
    purpose = models.CharField(_("用途"), max_length=100, blank=True)
    photo_cleaned = models.BooleanField(_("位置情報などを除去済み"), default=False)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("添付ファイル")
        verbose_name_plural = _("添付ファイル")

    def __str__(self) -> str:
        return self.original_name


class FileGrant(models.Model):
    """Staff holding ``permission`` (in ``department``, or in any department) may read the file.

    Written by the app that receives the file (e.g. procedures, when an application is
    submitted to a department), read by ``services.can_read``; ``reason`` becomes the
    purpose in the audit row of every staff read.
    """

    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="grants")
    permission = models.CharField(_("権限"), max_length=100)
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("理由"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["file", "permission", "department"], name="unique_file_grant"
            )
        ]
        verbose_name = _("閲覧許可")
        verbose_name_plural = _("閲覧許可")

    def __str__(self) -> str:
        return f"{self.file_id}: {self.permission}@{self.department_id or '*'}"
