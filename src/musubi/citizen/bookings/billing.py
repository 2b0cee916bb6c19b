"""Fees of bookings through ``platform/payments``: one payment per provisional booking with a
fee, and refunds on cancellation by the rule kept in ``data/refund_rules.json``.

Bookings never import the payments models: a payment is reached through
``payments.services`` by ``subject_app="bookings"`` and the booking's id.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from musubi.citizen.bookings import slots
from musubi.citizen.bookings.errors import NotAllowed
from musubi.citizen.bookings.models import Booking, Status
from musubi.platform.payments import services as payments

SUBJECT_APP = "bookings"
RULES_FILE = Path(__file__).resolve().parent / "data" / "refund_rules.json"
UNPAID = ("created", "pending", "failed")  # a payment still waiting for money
PAID = ("paid", "partially_refunded")  # a payment some of whose money can be given back


@dataclass(frozen=True)
class RefundRule:
    days_before: int
    percent: int
    ja: str
    en: str

    @property
    def label(self) -> str:
        return self.en if get_language() == "en" else self.ja


@cache
def refund_rules() -> tuple[RefundRule, ...]:
    """The cancellation refund rules, most generous first (as kept in the data file)."""
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    rules = [RefundRule(**rule) for rule in data["rules"]]
    return tuple(sorted(rules, key=lambda rule: -rule.days_before))


def rule_for(booking: Booking, when: dt.datetime) -> RefundRule:
    """The rule that applies to cancelling ``booking`` at ``when`` (whole days, Tokyo)."""
    zone = slots.city_zone()
    days = (booking.start.astimezone(zone).date() - when.astimezone(zone).date()).days
    return next(rule for rule in refund_rules() if days >= rule.days_before)


def _purpose(booking: Booking) -> str:
    local = booking.start.astimezone(slots.city_zone())
    return f"{booking.resource.name_ja} {local:%Y-%m-%d %H:%M} ({booking.reference})"


def online_provider() -> str:
    """The provider fees are paid through: the first one the operator enabled in
    MUSUBI_PAYMENTS_PROVIDERS ("" when none is: fees are then paid at the counter)."""
    return settings.PAYMENTS_PROVIDERS[0] if settings.PAYMENTS_PROVIDERS else ""


def payments_of(booking: Booking) -> Any:
    return payments.payments_for_subject(SUBJECT_APP, str(booking.pk))


def payment_for(booking: Booking) -> Any:
    """The booking's open payment, created on first need: due when the booking's hold ends."""
    existing = payments_of(booking).filter(state__in=UNPAID).order_by("-pk").first()
    if existing is not None:
        return existing
    return payments.create_payment(
        payer=booking.user,
        amount=booking.fee_yen,
        purpose=_purpose(booking),
        subject_app=SUBJECT_APP,
        subject_id=str(booking.pk),
        due_at=booking.payment_due_by,
        provider=online_provider(),
    )


def start_paying(booking: Booking) -> str:
    """The provider's page where the holder pays the booking's fee; a booking with nothing
    left to pay (free, confirmed, cancelled) is refused. Raises NotAllowed or PaymentError."""
    if booking.status != Status.PROVISIONAL or not booking.fee_yen:
        raise NotAllowed(_("この予約には支払うものがありません。"))
    return payments.start(payment_for(booking))


def refund_all(booking: Booking, reason: str, key: str) -> int:
    """Give back everything still refundable on the booking's payments (a payment that
    arrived after the booking lapsed, or a cancellation by the city); returns the yen."""
    given = 0
    for payment in payments_of(booking).filter(state__in=PAID):
        amount = payment.amount - payment.refunded_amount
        payments.refund(payment, amount, reason, key=f"{key}-{payment.pk}")
        given += amount
    return given


def refund_on_cancel(booking: Booking, *, by_city: bool, now: dt.datetime | None = None) -> int:
    """Refund a cancelled booking's paid fee by rule (in full when the city cancelled it).

    The key is stable per booking, so a retried cancellation never refunds twice.
    """
    now = now or timezone.now()
    given = 0
    for payment in payments_of(booking).filter(state__in=PAID):
        percent = 100 if by_city else rule_for(booking, now).percent
        reason = "市による取消（全額返金）" if by_city else rule_for(booking, now).ja
        amount = min(payment.amount * percent // 100, payment.amount - payment.refunded_amount)
        if amount > 0:
            payments.refund(payment, amount, reason, key=f"booking-{booking.pk}-cancel")
            given += amount
    return given
