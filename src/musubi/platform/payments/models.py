"""Payments of fees (使用料・手数料) in yen, their refunds, and the log of all that moved them.

A payment knows what it pays for only as an app label and an id string (``bookings`` /
``"42"``), never as a foreign key: platform apps must not depend on the apps above them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone


def new_reference() -> str:
    """A stable, unguessable payment reference such as ``PAY-7K3QM9XW2R``."""
    return "PAY-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


class State(models.TextChoices):
    CREATED = "created", _("未払い")
    PENDING = "pending", _("支払手続中")
    PAID = "paid", _("支払済み")
    FAILED = "failed", _("支払失敗")
    EXPIRED = "expired", _("期限切れ")
    REFUNDED = "refunded", _("返金済み")
    PARTIALLY_REFUNDED = "partially_refunded", _("一部返金済み")


# Which state may follow which: the one table every state change is checked against.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.CREATED: frozenset({State.PENDING, State.EXPIRED}),
    State.PENDING: frozenset({State.PAID, State.FAILED, State.EXPIRED}),
    State.FAILED: frozenset({State.PENDING, State.EXPIRED}),
    State.PAID: frozenset({State.PARTIALLY_REFUNDED, State.REFUNDED}),
    State.PARTIALLY_REFUNDED: frozenset({State.PARTIALLY_REFUNDED, State.REFUNDED}),
    State.EXPIRED: frozenset(),
    State.REFUNDED: frozenset(),
}
UNPAID = (State.CREATED, State.PENDING, State.FAILED)
RECEIPTED = (State.PAID, State.PARTIALLY_REFUNDED, State.REFUNDED)


class Payment(models.Model):
    """One fee a payer owes for one thing. Holds personal data: who paid what, and when."""

    reference = models.CharField(max_length=20, unique=True, default=new_reference)
    amount = models.PositiveIntegerField(help_text="Yen, tax included.")
    refunded_amount = models.PositiveIntegerField(default=0)
    purpose = models.CharField(max_length=200)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    subject_app = models.CharField(max_length=50, help_text="App label of what is paid for.")
    subject_id = models.CharField(max_length=64, help_text="Its id within that app.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.CREATED)
    provider = models.CharField(max_length=30)
    provider_reference = models.CharField(max_length=100, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subject_app", "subject_id"]),
            models.Index(fields=["state", "due_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def refundable_amount(self) -> int:
        return self.amount - self.refunded_amount if self.state in RECEIPTED else 0

    @property
    def unpaid(self) -> bool:
        return self.state in UNPAID


class PaymentEvent(models.Model):
    """Every webhook received (verified or not) and every state change, with its raw payload.

    A verified provider event is stored once per (provider, event id): a replayed webhook
    finds its row and changes nothing.
    """

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=60)
    verified = models.BooleanField(default=False)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    payload = models.TextField(blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"],
                condition=Q(verified=True) & ~Q(event_id=""),
                name="payment_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.event_id}".strip()


class Refund(models.Model):
    """Money given back on a payment; ``key`` makes asking twice give back once."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    key = models.CharField(max_length=255)
    amount = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    provider_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "key"], name="refund_key_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment} −{self.amount}"
