"""Online procedures: the catalogue (手続), its versioned forms, and the applications (申請).

Rows change only through ``services`` (one write path that checks the transition table,
locks optimistically and publishes events). A submission keeps the form version it was made
with, so a later change of the form never changes what a resident sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    ONLINE = "online", _("オンライン")
    COUNTER = "counter", _("窓口")
    POST = "post", _("郵送")


class Category(models.TextChoices):
    """Groups of the catalogue as residents look for them."""

    CHILDCARE = "kosodate", _("子育て")
    CARE = "kaigo", _("介護")
    RESIDENT_RECORDS = "juminkiroku", _("住民記録")
    TAX = "zeimu", _("税")
    HEALTH = "kenko", _("健康")
    WELFARE = "fukushi", _("福祉")
    OTHER = "other", _("その他")


class Procedure(models.Model):
    """One procedure of the catalogue; ``code`` is stable across instances (import/export)."""

    code = models.SlugField(_("コード"), max_length=80, unique=True)
    name_ja = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英語名"), max_length=200)
    description_ja = models.TextField(_("説明"), blank=True)
    description_en = models.TextField(_("説明（英語）"), blank=True)
    category = models.CharField(_("分類"), max_length=20, choices=Category.choices)
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="procedures",
        verbose_name=_("担当課"),
    )
    eligibility_ja = models.TextField(_("申請できる人"), blank=True)
    eligibility_en = models.TextField(_("申請できる人（英語）"), blank=True)
    eligibility_rule = models.CharField(_("資格判定ルール"), max_length=80, blank=True)
    attachments = models.JSONField(
        _("添付書類"), default=list, help_text="[{code, label: {ja, en}, required}]"
    )
    fee_yen = models.PositiveIntegerField(_("手数料（円）"), default=0)
    fee_note_ja = models.CharField(_("手数料の説明"), max_length=200, blank=True)
    fee_note_en = models.CharField(_("手数料の説明（英語）"), max_length=200, blank=True)
    legal_basis = models.CharField(_("根拠法令"), max_length=300, blank=True)
    processing_days = models.PositiveSmallIntegerField(_("標準処理期間（日）"), default=14)
    channels = models.JSONField(_("受付方法"), default=list)
    signature_required = models.BooleanField(
        _("電子署名が必要"),
        default=False,
        help_text=_(
            "オンライン申請にマイナンバーカード等の電子署名を求めます（窓口では求めません）。"
        ),
    )
    active = models.BooleanField(_("受付中"), default=True)
    kpi_tracked = models.BooleanField(_("KPIの対象"), default=True)
    source_note = models.TextField(_("出典・注記"), blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("手続")
        verbose_name_plural = _("手続")

    def __str__(self) -> str:
        return self.name_ja

    @property
    def online(self) -> bool:
        return Channel.ONLINE in self.channels


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    PUBLISHED = "published", _("公開中")
    RETIRED = "retired", _("廃止")


class FormVersion(models.Model):
    """One version of a procedure's form (a ``musubi.platform.forms`` definition).

    A published version is never edited: a change makes a new draft version, which is then
    published (the previous one is retired and its ``valid_to`` set).
    """

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    status = models.CharField(
        _("状態"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    valid_from = models.DateTimeField(_("適用開始"), null=True, blank=True)
    valid_to = models.DateTimeField(_("適用終了"), null=True, blank=True)
    definition = models.JSONField(_("様式の定義"))
    export_columns = models.JSONField(
        _("CSV出力の列"), default=list, help_text="[{header, path}] — see docs/procedures.md"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="unique_form_version"),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(status="published"),
                name="one_published_form_version",
            ),
        ]
        verbose_name = _("様式の版")
        verbose_name_plural = _("様式の版")

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number} ({self.status})"

    @property
    def form_key(self) -> str:
        """The key the form engine keeps a resident's draft under."""
        return f"procedure:{self.procedure.code}:v{self.number}"


class Status(models.TextChoices):
    DRAFT = "draft", _("下書き")
    SUBMITTED = "submitted", _("申請済み")
    RECEIVED = "received", _("受付済み")
    IN_REVIEW = "in_review", _("審査中")
    CORRECTION_REQUESTED = "correction_requested", _("差戻し（補正依頼）")
    APPROVED = "approved", _("承認")
    REJECTED = "rejected", _("却下")
    COMPLETED = "completed", _("完了")
    WITHDRAWN = "withdrawn", _("取下げ")


CLOSED_STATUSES = (Status.REJECTED, Status.COMPLETED, Status.WITHDRAWN)


class Application(models.Model):
    """A resident's application (申請) for one procedure, with the form version it used.

    ``version`` is the optimistic lock: every change must name the version it was based on.
    """

    personal_data = True

    receipt_number = models.CharField(
        _("受付番号"), max_length=30, unique=True, null=True, blank=True
    )
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="applications", verbose_name=_("手続")
    )
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("担当課")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("申請者アカウント"),
    )
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("住民"),
    )
    on_behalf_of = models.JSONField(_("代理申請"), default=dict, blank=True)
    channel = models.CharField(_("受付方法"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("状態"), max_length=24, choices=Status.choices, default=Status.DRAFT
    )
    data = models.JSONField(_("申請内容"), default=dict)
    version = models.PositiveIntegerField(_("更新版数"), default=1)
    applicant_name = models.CharField(_("申請者氏名"), max_length=120, blank=True)
    search_key = models.CharField(max_length=300, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_applications",
        verbose_name=_("担当者"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    submitted_at = models.DateTimeField(_("申請日時"), null=True, blank=True)
    first_staff_action_at = models.DateTimeField(_("初回対応日時"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    closed_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    due_date = models.DateField(_("処理期限"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "due_date"]),
            # the inbox's default order (most urgent first) and its overdue count
            models.Index(fields=["department", "due_date", "status"]),
            models.Index(fields=["procedure", "status"]),
            models.Index(fields=["applicant", "status"]),
            models.Index(fields=["assignee", "status"]),
        ]
        verbose_name = _("申請")
        verbose_name_plural = _("申請")

    def __str__(self) -> str:
        return self.receipt_number or f"draft #{self.pk}"

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class ReceiptCounter(models.Model):
    """The last receipt number given in a year; incremented inside the submitting transaction."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Transition(models.Model):
    """One change of an application's status: who, when, and the message (差戻し・却下の理由)."""

    personal_data = True

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(_("変更前"), max_length=24, choices=Status.choices)
    to_status = models.CharField(_("変更後"), max_length=24, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("日時"))
    message = models.TextField(_("メッセージ"), blank=True)
    visible_to_applicant = models.BooleanField(_("申請者に表示"), default=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("状態の変更")
        verbose_name_plural = _("状態の変更")

    def __str__(self) -> str:
        return f"{self.application}: {self.from_status} → {self.to_status}"


class StaffComment(models.Model):
    """An internal note between staff; never shown to the applicant."""

    personal_data = True

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("コメント"))
    at = models.DateTimeField(_("日時"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("職員コメント")
        verbose_name_plural = _("職員コメント")

    def __str__(self) -> str:
        return f"{self.application}: {self.text[:30]}"


class ApplicationAttachment(models.Model):
    """A stored file attached to an application for one required document (``requirement``)."""

    personal_data = True

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    requirement = models.CharField(_("添付書類の種類"), max_length=80)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("添付日時"), auto_now_add=True)

    class Meta:
        ordering = ["requirement", "added_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "requirement", "file"], name="unique_attachment"
            )
        ]
        verbose_name = _("添付書類")
        verbose_name_plural = _("添付書類")

    def __str__(self) -> str:
        return f"{self.application}: {self.requirement}"
