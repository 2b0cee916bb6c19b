"""The notification hub's data: templates, messages, the outbox of deliveries and its log.

A message is fanned out into one ``Delivery`` row per (recipient, channel, address) before any
provider is called; the outbox worker only moves rows forward (``outbox``), so a crash never
loses a delivery and a delivery already sent is never claimed again.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Template(models.Model):
    """A reusable notice text per language with ``{placeholders}``, checked when authored."""

    code = models.SlugField(_("コード"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    subjects = models.JSONField(_("件名（言語別）"), default=dict)
    bodies = models.JSONField(_("本文（言語別）"), default=dict)
    placeholders = models.JSONField(_("差し込み項目"), default=list, blank=True)
    emergency_approved = models.BooleanField(_("緊急時の事前承認済み"), default=False)
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("通知テンプレート")
        verbose_name_plural = _("通知テンプレート")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from musubi.platform.notify.templating import check_template

        check_template(self.subjects, self.bodies, self.placeholders)


class MessageState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("承認待ち")
    SCHEDULED = "scheduled", _("送信予定")
    FANNING_OUT = "fanning_out", _("配信先を作成中")
    SENDING = "sending", _("送信中")
    SENT = "sent", _("送信済み")
    CANCELLED = "cancelled", _("取消")


class Message(models.Model):
    """One notice to one audience; ``rendered`` holds its text per language once fanned out."""

    template = models.ForeignKey(
        Template, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    values = models.JSONField(_("差し込み値"), default=dict, blank=True)
    rendered = models.JSONField(default=dict, editable=False)
    audience = models.JSONField(_("宛先"), default=dict)
    audience_label = models.CharField(_("宛先"), max_length=200)
    emergency = models.BooleanField(_("緊急"), default=False)
    needs_ack = models.BooleanField(_("受取確認を求める"), default=False)
    publish_onsite = models.BooleanField(_("お知らせページに掲載"), default=True)
    renotify_after_minutes = models.PositiveIntegerField(
        _("未確認世帯への再通知（分後）"), null=True, blank=True
    )
    scheduled_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    state = models.CharField(
        _("状態"), max_length=20, choices=MessageState.choices, default=MessageState.SCHEDULED
    )
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    #: While FANNING_OUT: the fan-out in progress holds the message until then (renewed with
    #: every chunk); past it, the fan-out stopped midway and the next one takes it up.
    fanning_out_until = models.DateTimeField(null=True, blank=True)
    renotified_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=60, blank=True)  # e.g. "procedures", "api", "staff"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "scheduled_at"], name="notify_msg_due")]
        verbose_name = _("お知らせ")
        verbose_name_plural = _("お知らせ")

    def __str__(self) -> str:
        return self.subject()

    def text(self, language: str) -> dict[str, str]:
        """Subject and body in ``language``, falling back to Japanese."""
        return self.rendered.get(language) or self.rendered.get("ja") or {"subject": "", "body": ""}

    def subject(self, language: str = "ja") -> str:
        return self.text(language)["subject"]

    def audience_text(self) -> str:
        """The audience in the active language (``audience_label`` keeps the Japanese)."""
        from musubi.platform.notify.audiences import describe

        return describe(self.audience, get_language()) or self.audience_label

    def localized(self) -> dict[str, str]:
        return self.text(get_language())


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("待機中")
    SENDING = "sending", _("送信中")
    SENT = "sent", _("送信済み")
    DELIVERED = "delivered", _("配達済み")
    FAILED_TEMPORARY = "failed_temporary", _("一時的な失敗")
    FAILED_PERMANENT = "failed_permanent", _("失敗")


#: states from which the worker may pick a delivery up (``sending`` only once its lease expired)
CLAIMABLE = (DeliveryState.QUEUED, DeliveryState.FAILED_TEMPORARY, DeliveryState.SENDING)
#: states in which a household counts as reached
REACHED = (DeliveryState.SENT, DeliveryState.DELIVERED)


class Delivery(models.Model):
    """One message for one address on one channel: the outbox row.

    ``key`` is stable across retries (the provider's idempotency key). One address gets a
    message once per channel, even when two people of a household share it.
    """

    personal_data = True

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    household = models.ForeignKey(
        "residents.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("チャネル"), max_length=20)
    address = models.CharField(_("宛先"), max_length=2000)
    language = models.CharField(max_length=8, default="ja")
    emergency = models.BooleanField(default=False)
    state = models.CharField(
        _("状態"), max_length=20, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=80, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider_id = models.CharField(max_length=200, blank=True)
    detail = models.CharField(_("詳細"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "channel", "address"], name="notify_one_delivery_per_address"
            )
        ]
        indexes = [
            models.Index(fields=["emergency", "state", "next_attempt_at"], name="notify_claim"),
            # a provider's receipt names its message ID; rows without one stay out of the index
            models.Index(
                fields=["channel", "provider_id"],
                condition=~models.Q(provider_id=""),
                name="notify_receipt",
            ),
        ]
        verbose_name = _("配信")
        verbose_name_plural = _("配信")

    def __str__(self) -> str:
        return f"{self.channel}:{self.pk}"


class DeliveryAttempt(models.Model):
    """One try of one delivery, with the provider's answer: the outbox's log."""

    personal_data = True

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20)
    detail = models.CharField(max_length=500, blank=True)
    worker = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.outcome}"


class AckMethod(models.TextChoices):
    LINK = "link", _("受取確認リンク")
    LINE = "line", _("LINE")
    STAFF = "staff", _("職員が記録")


class Acknowledgement(models.Model):
    """A household said "受け取りました" for a message."""

    personal_data = True

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="acks")
    household = models.ForeignKey("residents.Household", on_delete=models.CASCADE, related_name="+")
    how = models.CharField(max_length=10, choices=AckMethod.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "household"], name="notify_one_ack")
        ]

    def __str__(self) -> str:
        return f"{self.message_id}/{self.household_id}"


class NotifyPreference(models.Model):
    """A resident's channels in the order they want them, and those they refuse."""

    personal_data = True

    resident = models.OneToOneField(
        "residents.Resident", on_delete=models.CASCADE, related_name="notify_preference"
    )
    order = models.JSONField(_("チャネルの順序"), default=list, blank=True)
    opted_out = models.JSONField(_("受け取らないチャネル"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.resident_id)
