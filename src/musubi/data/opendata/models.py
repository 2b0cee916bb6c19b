"""The open data catalogue: organisations (課), groups, datasets and their resources.

A dataset's ``name`` is its stable slug, used in every URL and by CKAN clients; ``id`` is a
UUID as CKAN expects. A resource is either an uploaded file (kept in the platform's file
storage) or a live view generated from platform data (``generator``), whose last output is
kept on the row with the source version it was made from.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """A publisher of datasets: one of the city's departments (課)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(_("コード"), max_length=60, unique=True)
    title = models.CharField(_("名称"), max_length=100)
    title_en = models.CharField(_("英語名"), max_length=150)
    description = models.TextField(_("説明"), blank=True)
    department = models.OneToOneField(
        "accounts.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opendata_organization",
        verbose_name=_("担当課"),
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("組織")
        verbose_name_plural = _("組織")

    def __str__(self) -> str:
        return self.title


class Group(models.Model):
    """A theme across organisations (防災, 子育て, 観光 ...)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(_("コード"), max_length=60, unique=True)
    title = models.CharField(_("名称"), max_length=100)
    title_en = models.CharField(_("英語名"), max_length=150)
    description = models.TextField(_("説明"), blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("グループ")
        verbose_name_plural = _("グループ")

    def __str__(self) -> str:
        return self.title


class Dataset(models.Model):
    """A published set of data (CKAN's package)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(_("識別名"), max_length=100, unique=True)
    title = models.CharField(_("タイトル"), max_length=200)
    title_en = models.CharField(_("英語タイトル"), max_length=200, blank=True)
    description = models.TextField(_("説明"))
    description_en = models.TextField(_("英語の説明"), blank=True)
    tags = models.JSONField(_("タグ"), default=list)
    licence = models.CharField(_("ライセンス"), max_length=40)
    frequency = models.CharField(_("更新頻度"), max_length=20)
    last_updated = models.DateTimeField(_("最終更新日時"))
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="datasets", verbose_name=_("組織")
    )
    groups = models.ManyToManyField(
        Group, blank=True, related_name="datasets", verbose_name=_("グループ")
    )
    public = models.BooleanField(_("公開"), default=True)
    standard_number = models.CharField(
        _("標準データセット番号"), max_length=4, blank=True, help_text="01–31"
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("データセット")
        verbose_name_plural = _("データセット")

    def __str__(self) -> str:
        return self.title


class Resource(models.Model):
    """One distribution of a dataset: an uploaded file or a live generated view."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("説明"), blank=True)
    format = models.CharField(_("形式"), max_length=20)
    media_type = models.CharField(max_length=100)
    filename = models.CharField(_("ファイル名"), max_length=200)
    file_key = models.CharField(max_length=32, blank=True)
    generator = models.CharField(_("生成元"), max_length=40, blank=True)
    generated_version = models.CharField(max_length=100, blank=True)
    generated_content = models.BinaryField(null=True, blank=True, editable=False)
    # rows of a generated view left out because they fail the schema, each with its reasons
    held_back = models.JSONField(_("公開を保留した行"), default=list, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("サイズ"), default=0)
    digest = models.CharField(max_length=64, blank=True)
    last_modified = models.DateTimeField(_("最終更新日時"))
    position = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "position", "created"]
        verbose_name = _("リソース")
        verbose_name_plural = _("リソース")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(file_key="") | ~models.Q(generator=""),
                name="resource_is_file_or_generated",
            )
        ]

    def __str__(self) -> str:
        return self.name
