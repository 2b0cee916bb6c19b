"""Paying a booking through platform/payments, over the real webhook endpoint: the demo
provider's signed webhook confirms it, a forged one changes nothing, money that arrives after
the booking lapsed is refunded automatically, and a cancellation refunds by rule."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
import time_machine
from django.urls import reverse

from musubi.citizen.bookings import billing, services
from musubi.citizen.bookings.models import Booking, Status
from musubi.platform.payments import services as payments
from musubi.platform.payments.providers import demo

from .conftest import NOW, TUESDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
LATER_TUESDAY = dt.date(2026, 12, 22)


@pytest.fixture
def signed_in(client, resident_user):
    client.force_login(resident_user)
    return client


def book_room(client, room, day=TUESDAY) -> Booking:
    start = at(day, 12).isoformat()
    response = client.post(
        reverse("bookings:review", args=[room.pk]) + "?" + urlencode({"start": start}),
        {"start": start, "party_size": 5},
    )
    assert response.status_code == 302, response.content.decode()
    return Booking.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[1])


def start_paying(client, booking):
    response = client.post(reverse("bookings:pay", args=[booking.pk]))
    payment = billing.payments_of(booking).get()
    assert response.status_code == 302
    assert response.url == reverse("payments:demo_page", args=[payment.reference])
    return payment


def webhook(client, payment, *, forged: bool = False):
    delivery = demo.webhook_for(payment, True)
    signature = delivery.headers["Musubi-Demo-Signature"]
    if forged:
        signature = signature[:-4] + "0000"
    return client.post(
        "/payments/webhooks/demo/",
        delivery.body,
        content_type="application/json",
        HTTP_MUSUBI_DEMO_SIGNATURE=signature,
    )


def test_a_provisional_booking_gets_a_payment_due_with_it(signed_in, room):
    booking = book_room(signed_in, room)
    payment = billing.payments_of(booking).get()
    assert (payment.amount, payment.state) == (1000, "created")
    assert payment.due_at == booking.payment_due_by
    assert payment.payer == booking.user
    assert (
        "支払う" in signed_in.get(reverse("bookings:booking", args=[booking.pk])).content.decode()
    )


def test_paying_through_the_webhook_confirms_and_issues_the_permit(
    signed_in, room, django_capture_on_commit_callbacks
):
    booking = book_room(signed_in, room)
    payment = start_paying(signed_in, booking)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook(signed_in, payment).json() == {"status": "applied"}
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED and booking.paid_at == NOW
    permit = signed_in.get(reverse("bookings:permit", args=[booking.pk]))
    assert permit.status_code == 200 and permit.content.startswith(b"%PDF")
    page = signed_in.get(reverse("bookings:booking", args=[booking.pk])).content.decode()
    assert "支払う" not in page


def test_a_forged_webhook_leaves_the_booking_provisional(
    signed_in, room, django_capture_on_commit_callbacks
):
    booking = book_room(signed_in, room)
    payment = start_paying(signed_in, booking)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook(signed_in, payment, forged=True).status_code == 400
    booking.refresh_from_db()
    assert booking.status == Status.PROVISIONAL and booking.paid_at is None


def test_money_arriving_after_the_booking_lapsed_is_refunded_automatically(
    signed_in, room, django_capture_on_commit_callbacks
):
    booking = book_room(signed_in, room)
    payment = start_paying(signed_in, booking)
    with time_machine.travel(NOW + dt.timedelta(days=1, hours=4), tick=False):
        assert services.expire_unpaid_booking(booking.pk) == 1  # the deadline is the slot's start
    with (
        time_machine.travel(NOW + dt.timedelta(days=1, hours=4, minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert webhook(signed_in, payment).json() == {"status": "applied"}
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert booking.status == Status.CANCELLED
    assert (payment.state, payment.refunded_amount) == ("refunded", 1000)
    assert payment.refunds.get().key.startswith(f"booking-{booking.pk}-late")


def test_an_expired_payment_releases_the_booking(
    signed_in, room, django_capture_on_commit_callbacks
):
    booking = book_room(signed_in, room, LATER_TUESDAY)
    with (
        time_machine.travel(NOW + dt.timedelta(days=7, minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert payments.expire_unpaid() == 1
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLED


def test_a_failed_payment_keeps_the_booking_for_another_try(
    signed_in, room, django_capture_on_commit_callbacks
):
    booking = book_room(signed_in, room)
    payment = start_paying(signed_in, booking)
    delivery = demo.webhook_for(payment, False)
    with django_capture_on_commit_callbacks(execute=True):
        payments.receive_webhook("demo", delivery)
    booking.refresh_from_db()
    assert booking.status == Status.PROVISIONAL
    assert start_paying(signed_in, booking) == payment  # the same payment, tried again


@pytest.mark.parametrize(
    ("cancel_at", "refunded", "state"),
    [
        (NOW, 1000, "refunded"),  # 15 days before: in full
        (at(dt.date(2026, 12, 18), 9), 500, "partially_refunded"),  # 4 days before: 50 %
        (at(LATER_TUESDAY, 9), 0, "paid"),  # on the day: nothing
    ],
)
def test_cancelling_refunds_by_the_rule_in_the_data_file(
    signed_in, room, django_capture_on_commit_callbacks, cancel_at, refunded, state
):
    booking = book_room(signed_in, room, LATER_TUESDAY)
    payment = start_paying(signed_in, booking)
    with django_capture_on_commit_callbacks(execute=True):
        webhook(signed_in, payment)
    with time_machine.travel(cancel_at, tick=False):
        signed_in.force_login(booking.user)  # a fresh session on the day of cancelling
        response = signed_in.post(reverse("bookings:cancel", args=[booking.pk]))
        assert response.status_code == 302
        again = signed_in.post(reverse("bookings:cancel", args=[booking.pk]))
        assert again.status_code == 422  # already cancelled: said, nothing refunded twice
    payment.refresh_from_db()
    assert (payment.refunded_amount, payment.state) == (refunded, state)


def test_a_cancellation_by_the_city_refunds_in_full(
    signed_in, room, django_capture_on_commit_callbacks, make_staff
):
    booking = book_room(signed_in, room, LATER_TUESDAY)
    payment = start_paying(signed_in, booking)
    with django_capture_on_commit_callbacks(execute=True):
        webhook(signed_in, payment)
    booking.refresh_from_db()
    with time_machine.travel(at(LATER_TUESDAY, 9), tick=False):
        services.cancel(booking, by=None, reason="選挙", by_city=True)
    payment.refresh_from_db()
    assert (payment.refunded_amount, payment.state) == (1000, "refunded")


def test_the_refund_rule_is_data():
    rules = billing.refund_rules()
    assert [(rule.days_before, rule.percent) for rule in rules] == [(7, 100), (1, 50), (0, 0)]


def test_without_an_online_provider_the_fee_is_paid_at_the_counter(signed_in, room, settings):
    settings.PAYMENTS_PROVIDERS = []
    booking = book_room(signed_in, room)
    assert booking.status == Status.PROVISIONAL and not billing.payments_of(booking).exists()
    refused = signed_in.post(reverse("bookings:pay", args=[booking.pk]))
    assert refused.status_code == 422 and "使えません" in refused.content.decode()


def test_paying_through_the_api_gives_the_providers_page_and_refuses_a_free_booking(
    signed_in, room, counter, resident_user, django_capture_on_commit_callbacks
):
    booking = book_room(signed_in, room)
    url = f"/api/v1/me/bookings/{booking.pk}/pay/"
    first, again = signed_in.post(url), signed_in.post(url)
    payment = billing.payments_of(booking).get()  # asking twice reuses the one open payment
    page = reverse("payments:demo_page", args=[payment.reference])
    assert first.status_code == again.status_code == 200
    assert first.json()["url"].endswith(page) and again.json()["url"].endswith(page)
    with django_capture_on_commit_callbacks(execute=True):
        webhook(signed_in, payment)
    paid = signed_in.post(url)
    assert paid.status_code == 422 and "支払うものがありません" in paid.json()["detail"]
    free = services.book(services.Request(resource=counter, start=at(TUESDAY, 10)),
                         user=resident_user)  # fmt: skip
    refused = signed_in.post(f"/api/v1/me/bookings/{free.pk}/pay/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422 and "nothing to pay" in refused.json()["detail"]
    assert signed_in.post("/api/v1/me/bookings/999999/pay/").status_code == 404
