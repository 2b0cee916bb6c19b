"""The public API of payments: other apps charge fees only through these functions.

The life of a payment::

    payment = create_payment(payer=user, amount=1200, purpose="体育館 2026-05-01 午前",
                             subject_app="bookings", subject_id="42", due_at=deadline)
    url = start(payment)            # send the payer there
    # … the provider's verified webhook marks it paid → event "payments.paid"
    refund(payment, 600, reason="利用日の7日前までの取消", key="booking-42-cancel")
    expire_unpaid(now)              # unpaid past due_at → event "payments.expired"

Every state change is checked against ``models.TRANSITIONS``, logged as a ``PaymentEvent`` and,
when other apps care, published after commit: ``payments.paid``, ``payments.failed``,
``payments.refunded``, ``payments.expired`` with ``payment_id``, ``reference``,
``subject_app``, ``subject_id`` and ``amount`` (refunds add ``refund_amount``,
``refunded_total`` and ``fully_refunded``).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.platform.events import periodic
from musubi.platform.events.services import publish
from musubi.platform.payments.errors import (
    InvalidPayment,
    InvalidRefund,
    NotAllowed,
    PaymentError,
    RefundKeyReused,
    UnknownPayment,
    WebhookRejected,
)
from musubi.platform.payments.models import (
    TRANSITIONS,
    UNPAID,
    Payment,
    PaymentEvent,
    Refund,
    State,
)
from musubi.platform.payments.providers import registry
from musubi.platform.payments.providers.base import SUCCEEDED, WebhookEvent, WebhookRequest

MAX_PAYLOAD = 10_000

__all__ = [
    "PaymentError",
    "create_payment",
    "expire_unpaid",
    "find",
    "mark_paid",
    "payments_for_subject",
    "receive_webhook",
    "refund",
    "start",
]


# --- creating and starting -------------------------------------------------------------------


def create_payment(
    *,
    payer: Any,
    amount: int,
    purpose: str,
    subject_app: str,
    subject_id: str,
    due_at: dt.datetime | None = None,
    provider: str = "demo",
) -> Payment:
    """A new unpaid payment of ``amount`` yen that ``payer`` owes for one thing of another app.

    Raises ``InvalidPayment`` for an amount that is not a positive whole number of yen, an
    empty purpose or subject, or a provider that is not enabled.
    """
    _check_new(amount, purpose, subject_app, str(subject_id))
    registry.get(provider)
    payment = Payment.objects.create(
        payer=payer,
        amount=amount,
        purpose=purpose.strip(),
        subject_app=subject_app,
        subject_id=str(subject_id),
        due_at=due_at,
        provider=provider,
    )
    _log(payment, "created", to_state=State.CREATED)
    return payment


def _check_new(amount: Any, purpose: str, subject_app: str, subject_id: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidPayment(_("金額は1円以上の整数で指定してください。"))
    if not purpose.strip() or len(purpose.strip()) > 200:
        raise InvalidPayment(_("支払の内容（1〜200文字）を指定してください。"))
    if not subject_app or not subject_id or len(subject_app) > 50 or len(subject_id) > 64:
        raise InvalidPayment(_("何の支払かを示すアプリ名とIDを指定してください。"))


def start(payment: Payment) -> str:
    """Hand ``payment`` to its provider; returns the URL where the payer pays.

    An unpaid or failed payment may be started again (the payer tries once more); a paid,
    expired or refunded one may not.
    """
    with transaction.atomic():
        payment = _locked(payment.pk)
        if payment.state not in UNPAID:
            raise NotAllowed(_("この支払はすでに完了しているか、期限が切れています。"))
        if payment.due_at and payment.due_at <= timezone.now():
            raise NotAllowed(_("支払期限を過ぎています。"))
        provider = registry.get(payment.provider)
        if payment.state != State.PENDING:
            _move(payment, State.PENDING, "started")
        return provider.start(payment)


# --- webhooks --------------------------------------------------------------------------------


class Received(enum.StrEnum):
    APPLIED = "applied"
    REPLAYED = "replayed"


def receive_webhook(provider_code: str, request: WebhookRequest) -> Received:
    """Verify and apply one webhook; a replay of an applied event changes nothing.

    A rejected webhook (forged, stale, unknown payment, wrong amount) is logged unverified and
    raises ``WebhookRejected``: nothing else changes.
    """
    provider = registry.get(provider_code)
    try:
        event = provider.verify_webhook(request)
        with transaction.atomic():
            return _apply(provider_code, event)
    except WebhookRejected as exc:
        PaymentEvent.objects.create(
            provider=provider_code,
            kind="webhook.rejected",
            payload=request.body.decode(errors="replace")[:MAX_PAYLOAD],
            note=str(exc.messages()["en"])[:300],
        )
        raise


def _apply(provider_code: str, event: WebhookEvent) -> Received:
    if _seen(provider_code, event.event_id):
        return Received.REPLAYED
    payment = Payment.objects.select_for_update().filter(reference=event.reference).first()
    if payment is None or payment.provider != provider_code:
        raise WebhookRejected(
            _("支払番号 %(reference)s は見つかりません。"), reference=event.reference
        )
    if event.amount != payment.amount:
        raise WebhookRejected(_("通知の金額が支払の金額と一致しません。"))
    try:
        with transaction.atomic():
            if event.kind == SUCCEEDED:
                mark_paid(payment, event)
            else:
                _fail(payment, event)
    except IntegrityError:  # the same event committed meanwhile by a concurrent delivery
        return Received.REPLAYED
    return Received.APPLIED


def _seen(provider_code: str, event_id: str) -> bool:
    return PaymentEvent.objects.filter(
        provider=provider_code, event_id=event_id, verified=True
    ).exists()


def mark_paid(payment: Payment, event: WebhookEvent) -> None:
    """Record ``payment`` as paid. Only a verified provider event may say so.

    The caller holds the payment's row lock (``receive_webhook`` does). A payment that expired
    before the money arrived is still recorded as paid: the payer did pay, and staff refund it.
    """
    if payment.state not in (State.PENDING, State.CREATED, State.FAILED, State.EXPIRED):
        _log(payment, "webhook.ignored", event=event, note="already settled")
        return
    payment.paid_at = timezone.now()
    if event.provider_reference:
        payment.provider_reference = event.provider_reference
    _move(payment, State.PAID, event.kind, event=event, force=True)
    _announce("payments.paid", payment)


def _fail(payment: Payment, event: WebhookEvent) -> None:
    if payment.state != State.PENDING:
        _log(payment, "webhook.ignored", event=event, note=f"state {payment.state}")
        return
    _move(payment, State.FAILED, event.kind, event=event)
    _announce("payments.failed", payment)


# --- refunds ---------------------------------------------------------------------------------


def refund(payment: Payment, amount: int, reason: str, *, key: str, actor: Any = None) -> Refund:
    """Give ``amount`` yen of ``payment`` back; asking again with the same ``key`` gives back once.

    Full or partial; the total refunded never exceeds what was paid. Raises ``InvalidRefund``
    for a bad amount or missing reason, ``NotAllowed`` when nothing was paid, and
    ``RefundKeyReused`` when ``key`` was used for another amount.
    """
    _check_refund(amount, reason, key)
    with transaction.atomic():
        payment = _locked(payment.pk)
        done = payment.refunds.filter(key=key).first()
        if done is not None:
            if done.amount != amount:
                raise RefundKeyReused(_("この返金キーは別の金額の返金に使われています。"))
            return done
        _check_refundable(payment, amount)
        given = Refund.objects.create(
            payment=payment,
            key=key,
            amount=amount,
            reason=reason.strip(),
            actor=actor,
            provider_reference=registry.get(payment.provider).refund(payment, amount),
        )
        payment.refunded_amount += amount
        full = payment.refunded_amount == payment.amount
        _move(payment, State.REFUNDED if full else State.PARTIALLY_REFUNDED, "refunded",
              note=f"{amount} yen: {reason.strip()}"[:300])  # fmt: skip
        _announce(
            "payments.refunded",
            payment,
            refund_amount=amount,
            refunded_total=payment.refunded_amount,
            fully_refunded=full,
        )
        return given


def _check_refund(amount: Any, reason: str, key: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidRefund(_("返金額は1円以上の整数で指定してください。"))
    if not reason.strip():
        raise InvalidRefund(_("返金の理由を入力してください。"))
    if not key or len(key) > 255:
        raise InvalidRefund(_("返金キー（1〜255文字）を指定してください。"))


def _check_refundable(payment: Payment, amount: int) -> None:
    if payment.state not in (State.PAID, State.PARTIALLY_REFUNDED):
        raise NotAllowed(_("支払済みでない支払は返金できません。"))
    if amount > payment.refundable_amount:
        raise InvalidRefund(
            _("返金額が返金できる残額（%(left)s円）を超えています。"),
            left=f"{payment.refundable_amount:,}",
        )


# --- expiry ----------------------------------------------------------------------------------


@periodic.every(60)
def expire_unpaid(now: dt.datetime | None = None) -> int:
    """Expire every unpaid payment whose due time has passed; returns how many.

    Each payment is locked and checked again, so a webhook that paid it a moment ago wins.
    """
    now = now or timezone.now()
    overdue = Payment.objects.filter(state__in=UNPAID, due_at__lt=now).values_list("pk", flat=True)
    expired = 0
    for pk in list(overdue):
        with transaction.atomic():
            payment = _locked(pk)
            if payment.state in UNPAID and payment.due_at and payment.due_at < now:
                _move(payment, State.EXPIRED, "expired")
                _announce("payments.expired", payment)
                expired += 1
    return expired


# --- lookups ---------------------------------------------------------------------------------


def find(reference: str) -> Payment:
    """The payment with ``reference``; ``UnknownPayment`` with a clear message otherwise."""
    payment = Payment.objects.filter(reference=reference.strip().upper()).first()
    if payment is None:
        raise UnknownPayment(_("支払番号 %(reference)s は見つかりません。"), reference=reference)
    return payment


def payments_for_subject(subject_app: str, subject_id: str) -> QuerySet[Payment]:
    """Every payment made for one thing of another app, newest first."""
    return Payment.objects.filter(subject_app=subject_app, subject_id=str(subject_id))


def payments_of(payer: Any) -> QuerySet[Payment]:
    """A payer's own payments, newest first (for the resident's page)."""
    return Payment.objects.filter(payer=payer)


# --- state changes ---------------------------------------------------------------------------


def _locked(pk: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=pk)


def _move(
    payment: Payment,
    to: State,
    kind: str,
    *,
    event: WebhookEvent | None = None,
    note: str = "",
    force: bool = False,
) -> None:
    """Change the state along ``TRANSITIONS`` (``force``: money arrived, it must be recorded)."""
    before = payment.state
    if not force and to not in TRANSITIONS[before]:
        raise NotAllowed(_("この支払の状態では、その操作はできません。"))
    payment.state = to
    payment.save()
    _log(payment, kind, event=event, from_state=before, to_state=to, note=note)


def _log(
    payment: Payment,
    kind: str,
    *,
    event: WebhookEvent | None = None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        provider=payment.provider,
        event_id=event.event_id if event else "",
        kind=kind,
        verified=event is not None,
        from_state=from_state,
        to_state=to_state,
        payload=event.payload[:MAX_PAYLOAD] if event else "",
        note=note,
    )


def _announce(name: str, payment: Payment, **extra: Any) -> None:
    publish(
        name,
        payment_id=payment.pk,
        reference=payment.reference,
        subject_app=payment.subject_app,
        subject_id=payment.subject_id,
        amount=payment.amount,
        **extra,
    )
