"""Background work of bookings and its reactions to payments.

Each provisional booking schedules one ``expire_if_unpaid`` for its deadline (run by
``musubi worker``); the worker's clock runs ``sweep_unpaid`` every minute to catch any the
queue lost. Both only move a row that is still provisional and overdue, so running them twice
changes nothing. The clock also runs ``draw_due``, which draws every lottery whose entries
have closed, ``remind_tomorrow`` (the day-before reminder, once per booking) and
``send_checkup_notices`` (a check-up programme's notice on its notice date, once per person).

From payments: ``payments.paid`` confirms the booking, or refunds the money automatically
when the booking lapsed or was cancelled before it arrived; ``payments.expired`` releases the
booking. ``payments.failed`` changes nothing: the payer may try again until the deadline.
A seat given back (``bookings.cancelled`` / ``bookings.expired``) is offered to the waiting
list. A review decision (``bookings.reviewed``) is told to the applicant.
"""

from __future__ import annotations

from django_tasks import task

from musubi.citizen.bookings import billing, lottery, notices, services, waitlist
from musubi.citizen.bookings.errors import NotAllowed
from musubi.citizen.bookings.models import Booking, Origin
from musubi.platform.events import periodic
from musubi.platform.events.services import subscribe


@task()
def expire_if_unpaid(booking_id: int) -> int:
    return services.expire_unpaid_booking(booking_id)


@periodic.every(60)
def sweep_unpaid() -> int:
    return services.expire_unpaid()


@subscribe("bookings.booked")
def schedule_expiry(booking_id: int, status: str, **_payload: object) -> None:
    """When a provisional booking is made, queue its expiry for the payment deadline
    (events are delivered after the booking's transaction committed)."""
    booking = Booking.objects.filter(pk=booking_id, payment_due_by__isnull=False).first()
    if booking is None:
        return
    expire_if_unpaid.using(run_after=booking.payment_due_by).enqueue(booking_id)


@periodic.every(60)
def draw_due() -> int:
    return lottery.draw_due()


@periodic.every(600)
def remind_tomorrow() -> int:
    return notices.remind_due()


@periodic.every(3600)
def send_checkup_notices() -> int:
    return notices.send_due_checkup_notices()


def _booking_paid_for(subject_app: str, subject_id: str) -> Booking | None:
    if subject_app != billing.SUBJECT_APP:
        return None
    return Booking.objects.filter(pk=int(subject_id)).first()


@subscribe("bookings.reviewed")
def tell_applicant(model: str, pk: int, **_payload: object) -> None:
    """Staff decided on a group or a 利用者登録: the applicant is told once it is committed."""
    notices.review_decided(model, pk)


@subscribe("payments.paid")
def confirm_when_paid(subject_app: str, subject_id: str, **_payload: object) -> None:
    """Money arrived: confirm the booking, or, when it lapsed or was cancelled meanwhile,
    give the money back at once (payments records it as paid; no one has to notice)."""
    booking = _booking_paid_for(subject_app, subject_id)
    if booking is None:
        return
    try:
        services.mark_paid(booking)
    except NotAllowed:
        reason = "予約の取消後に届いた入金の自動返金"
        billing.refund_all(booking, reason, f"booking-{booking.pk}-late")


@subscribe("payments.expired")
def release_when_payment_expired(subject_app: str, subject_id: str, **_payload: object) -> None:
    booking = _booking_paid_for(subject_app, subject_id)
    if booking is not None:
        services.expire_unpaid_booking(booking.pk)


@subscribe("bookings.cancelled")
@subscribe("bookings.expired")
def offer_freed_seat(booking_id: int, **_payload: object) -> None:
    """A seat came free: the first in the slot's waiting list is offered it."""
    booking = Booking.objects.filter(pk=booking_id).select_related("resource").first()
    if booking is None:
        return
    offered = waitlist.offer_next(booking.resource, booking.start)
    if offered is None and booking.origin == Origin.LOTTERY:
        lottery.tell_released(booking)
