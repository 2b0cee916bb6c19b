"""The public API other apps use: create, start, refund, expire; the state table holds."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from musubi.platform.payments import services
from musubi.platform.payments.errors import (
    InvalidPayment,
    InvalidRefund,
    NotAllowed,
    RefundKeyReused,
    UnknownPayment,
    UnknownProvider,
)
from musubi.platform.payments.models import Payment, PaymentEvent, Refund, State


@pytest.mark.parametrize("amount", [0, -100, 12.5, True, "1200", None])
def test_amount_must_be_a_positive_whole_number_of_yen(make_payment, amount):
    with pytest.raises(InvalidPayment) as refused:
        make_payment(amount=amount)
    assert refused.value.messages() == {
        "ja": "金額は1円以上の整数で指定してください。",
        "en": "Give the amount as a whole number of yen, at least 1.",
    }
    assert not Payment.objects.exists()


def test_purpose_subject_and_provider_are_required(make_payment):
    with pytest.raises(InvalidPayment):
        make_payment(purpose="  ")
    with pytest.raises(InvalidPayment):
        make_payment(subject_id="")
    with pytest.raises(UnknownProvider, match="nosuchpay"):
        make_payment(provider="nosuchpay")
    assert not Payment.objects.exists()


def test_a_new_payment_has_a_stable_reference_and_a_log(make_payment):
    payment = make_payment()
    assert payment.reference.startswith("PAY-") and len(payment.reference) == 14
    assert payment.state == State.CREATED and payment.amount == 1200
    assert list(payment.events.values_list("kind", "to_state")) == [("created", "created")]
    assert services.find(payment.reference.lower()) == payment
    assert list(services.payments_for_subject("bookings", 42)) == [payment]


def test_unknown_reference_is_said_clearly(db):
    with pytest.raises(UnknownPayment) as refused:
        services.find("PAY-NOPE")
    assert refused.value.messages()["en"] == "There is no payment PAY-NOPE."


def test_start_sends_the_payer_to_the_demo_page_and_can_be_retried(make_payment):
    payment = make_payment()
    url = services.start(payment)
    assert url == f"/payments/demo/{payment.reference}/"
    payment.refresh_from_db()
    assert payment.state == State.PENDING
    assert services.start(payment) == url  # pressing "pay" again is harmless
    assert payment.events.filter(to_state=State.PENDING).count() == 1


def test_a_paid_payment_cannot_be_started_again(paid):
    with pytest.raises(NotAllowed):
        services.start(paid)


def test_paid_only_through_a_verified_webhook_and_published(published, paid):
    assert paid.state == State.PAID and paid.paid_at is not None
    assert paid.events.filter(to_state=State.PAID, verified=True).count() == 1
    assert published == [
        (
            "payments.paid",
            {"payment_id": paid.pk, "reference": paid.reference, "subject_app": "bookings",
             "subject_id": "42", "amount": 1200},
        )
    ]  # fmt: skip


def test_partial_then_full_refund(paid, published, django_capture_on_commit_callbacks):
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.refund(paid, 200, "一部取消", key="k1")
    paid.refresh_from_db()
    assert (paid.state, paid.refunded_amount, paid.refundable_amount) == (
        State.PARTIALLY_REFUNDED, 200, 1000)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        services.refund(paid, 1000, "利用中止", key="k2")
    paid.refresh_from_db()
    assert (paid.state, paid.refunded_amount) == (State.REFUNDED, 1200)
    assert [(name, p["refund_amount"], p["fully_refunded"]) for name, p in published] == [
        ("payments.refunded", 200, False),
        ("payments.refunded", 1000, True),
    ]


def test_refund_is_idempotent_by_key(paid):
    first = services.refund(paid, 500, "取消", key="booking-42-cancel")
    again = services.refund(paid, 500, "取消", key="booking-42-cancel")
    assert first == again and Refund.objects.count() == 1
    paid.refresh_from_db()
    assert paid.refunded_amount == 500
    with pytest.raises(RefundKeyReused):
        services.refund(paid, 300, "取消", key="booking-42-cancel")


@pytest.mark.parametrize("amount", [0, -1, 1201])
def test_no_refund_of_nothing_or_above_the_paid_amount(paid, amount):
    with pytest.raises(InvalidRefund):
        services.refund(paid, amount, "取消", key="k")
    paid.refresh_from_db()
    assert paid.refunded_amount == 0 and paid.state == State.PAID
    assert not Refund.objects.exists()


def test_refund_above_what_is_left_names_the_rest(paid):
    services.refund(paid, 1000, "一部", key="a")
    with pytest.raises(InvalidRefund) as refused:
        services.refund(paid, 201, "残り", key="b")
    assert refused.value.messages() == {
        "ja": "返金額が返金できる残額（200円）を超えています。",
        "en": "The refund is above what is left to refund (200 yen).",
    }


def test_refund_needs_a_reason_and_a_paid_payment(paid, make_payment):
    with pytest.raises(InvalidRefund):
        services.refund(paid, 100, " ", key="k")
    unpaid = make_payment()
    services.start(unpaid)
    with pytest.raises(NotAllowed):
        services.refund(unpaid, 100, "取消", key="k")


def test_expire_unpaid_after_the_due_time(make_payment, paid, published):
    due = timezone.now() + dt.timedelta(days=7)
    late = make_payment(due_at=due)
    services.start(late)
    never_started = make_payment(due_at=due)
    in_time = make_payment(due_at=due + dt.timedelta(days=1))
    published.clear()
    with time_machine.travel(due + dt.timedelta(minutes=1)):
        assert services.expire_unpaid(timezone.now()) == 2
    states = dict(Payment.objects.values_list("pk", "state"))
    assert states[late.pk] == states[never_started.pk] == State.EXPIRED
    assert states[in_time.pk] == State.CREATED and states[paid.pk] == State.PAID
    with time_machine.travel(due + dt.timedelta(minutes=2)), pytest.raises(NotAllowed):
        services.start(in_time.__class__.objects.get(pk=late.pk))
    assert PaymentEvent.objects.filter(kind="expired").count() == 2


def test_expired_events_are_published_after_commit(
    make_payment, published, django_capture_on_commit_callbacks
):
    payment = make_payment(due_at=timezone.now() - dt.timedelta(seconds=1))
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.expire_unpaid()
    assert [(name, p["reference"]) for name, p in published] == [
        ("payments.expired", payment.reference)
    ]


def test_money_arriving_after_expiry_is_still_recorded(
    make_payment, published, django_capture_on_commit_callbacks
):
    from musubi.platform.payments.providers import demo

    payment = make_payment(due_at=timezone.now() + dt.timedelta(minutes=5))
    services.start(payment)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        services.expire_unpaid()
        with django_capture_on_commit_callbacks(execute=True):
            services.receive_webhook("demo", demo.webhook_for(payment, True))
    payment.refresh_from_db()
    assert payment.state == State.PAID
    assert [name for name, _payload in published][-1] == "payments.paid"


def test_the_expiry_command(make_payment, capsys):
    from django.core.management import call_command

    make_payment(due_at=timezone.now() - dt.timedelta(minutes=1))
    call_command("expire_payments")
    assert "1 payment(s) expired" in capsys.readouterr().out
    assert Payment.objects.get().state == State.EXPIRED
