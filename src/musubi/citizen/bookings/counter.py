"""Staff-side booking services: blocking slots, cancelling with a notice, counter check-in,
the "now serving" queue, and the figures of the reports.

The wait at the counter (strategy ⑦, KPI "waiting time zero") is measured from check-in
(arrival) to the moment a member of staff calls the appointment (start of service).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from musubi.citizen.bookings import notices, services, slots
from musubi.citizen.bookings.errors import NotAllowed, NotBookable
from musubi.citizen.bookings.models import (
    HOLDING,
    AvailabilityView,
    Booking,
    Channel,
    Resource,
    Status,
)
from musubi.platform.events.services import publish

CHECK_IN_SALT = "bookings.check-in"


def block(resource: Resource, start: dt.datetime, *, by: Any, reason: str) -> int:
    """Close every seat of a slot still free (受付停止); returns how many seats were blocked.

    Seats already booked stay booked: staff cancel those with a notice if they must.
    """
    slot = slots.slot_at(resource, start)
    if slot is None:
        raise NotBookable(gettext_lazy("開館時間外か、予約枠の区切りではない時刻です。"))
    blocked = 0
    for seat in range(1, resource.capacity + 1):
        try:
            with transaction.atomic():
                Booking.objects.create(
                    resource=resource,
                    start=slot.start,
                    end=slot.end,
                    seat=seat,
                    status=Status.BLOCKED,
                    channel=Channel.COUNTER,
                    purpose=reason[:200],
                    created_by=by,
                )
            blocked += 1
        except IntegrityError:
            continue
    return blocked


def cancel_with_notice(booking: Booking, *, by: Any, reason: str) -> bool:
    """Cancel for the city (e.g. the hall is needed for an election) and tell the holder
    through the hub; returns whether they could be told (phone bookings have no account)."""
    if not reason.strip():
        raise NotAllowed(gettext_lazy("取消の理由を入力してください。"))
    services.cancel(booking, by=by, reason=reason, by_city=True)
    return notices.cancelled_by_city(booking, reason)


# --- counter check-in and the queue ----------------------------------------------------------


def check_in_token(booking: Booking) -> str:
    """What the confirmation's QR code carries: a signed booking id, useless to guess."""
    return signing.dumps(booking.pk, salt=CHECK_IN_SALT)


def booking_for_token(token: str) -> Booking:
    try:
        pk = signing.loads(token, salt=CHECK_IN_SALT)
    except signing.BadSignature:
        raise NotAllowed(gettext_lazy("この QR コードは読み取れません。")) from None
    return Booking.objects.select_related("resource").get(pk=pk)


def check_in(booking: Booking) -> Booking:
    """Record arrival, on the day of the appointment only; a second scan changes nothing."""
    if booking.status == Status.CHECKED_IN:
        return booking
    if booking.status != Status.CONFIRMED:
        raise NotAllowed(gettext_lazy("この予約は受付できる状態ではありません。"))
    today = timezone.localdate()
    if timezone.localtime(booking.start).date() != today:
        raise NotAllowed(gettext_lazy("受付は予約日の当日だけできます。"))
    booking.status = Status.CHECKED_IN
    booking.checked_in_at = timezone.now()
    booking.save(update_fields=["status", "checked_in_at"])
    publish("bookings.checked_in", booking_id=booking.pk)
    return booking


def waiting(resource: Resource) -> QuerySet[Booking]:
    """Checked-in, not yet called: in order of appointment time, then arrival."""
    return Booking.objects.filter(
        resource=resource, status=Status.CHECKED_IN, served_at__isnull=True
    ).order_by("start", "checked_in_at")


def call_next(resource: Resource) -> Booking | None:
    """Call the next waiting person to the counter; their wait ends now."""
    with transaction.atomic():
        booking = waiting(resource).select_for_update().first()
        if booking is None:
            return None
        booking.served_at = timezone.now()
        booking.save(update_fields=["served_at"])
    return booking


def now_serving(resource: Resource, limit: int = 5) -> QuerySet[Booking]:
    """The most recently called appointments of today, newest first."""
    since = dt.datetime.combine(timezone.localdate(), dt.time(0), slots.city_zone())
    return Booking.objects.filter(resource=resource, served_at__gte=since).order_by("-served_at")[
        :limit
    ]


def mark_no_show(booking: Booking) -> Booking:
    """無断不参加: recorded after the slot started; it counts in the report."""
    if booking.status != Status.CONFIRMED or booking.start > timezone.now():
        raise NotAllowed(gettext_lazy("開始時刻を過ぎた確定済みの予約だけ不参加にできます。"))
    booking.status = Status.NO_SHOW
    booking.save(update_fields=["status"])
    return booking


# --- reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceFigures:
    resource: Resource
    seats: int
    booked: int
    no_shows: int
    average_wait_minutes: float | None
    views: int

    @property
    def utilisation_percent(self) -> float:
        return round(100 * self.booked / self.seats, 1) if self.seats else 0.0


def figures(first: dt.date, last: dt.date) -> list[ResourceFigures]:
    """Per resource over ``first``–``last``: seats offered, used, no-shows, wait, views."""
    zone = slots.city_zone()
    since = dt.datetime.combine(first, dt.time(0), zone)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone)
    in_range = Q(bookings__start__gte=since, bookings__start__lt=until)
    resources = Resource.objects.annotate(
        booked=Count(
            "bookings",
            filter=in_range & Q(bookings__status__in=HOLDING) & ~Q(bookings__status=Status.BLOCKED),
        ),
        no_shows=Count("bookings", filter=in_range & Q(bookings__status=Status.NO_SHOW)),
    )
    views = dict(
        AvailabilityView.objects.filter(date__range=(first, last))
        .values_list("resource")
        .annotate(total=Sum("count"))
    )
    waits = _waits(since, until)
    return [
        ResourceFigures(
            resource,
            sum(day.capacity for day in slots.days(resource, first, last)),
            resource.booked,
            resource.no_shows,
            waits.get(resource.pk),
            views.get(resource.pk, 0),
        )
        for resource in resources
    ]


def _waits(since: dt.datetime, until: dt.datetime) -> dict[int, float]:
    """Average minutes from arrival to call, per resource (computed here: portable SQL)."""
    served = Booking.objects.filter(
        start__gte=since, start__lt=until, served_at__isnull=False, checked_in_at__isnull=False
    ).values_list("resource_id", "checked_in_at", "served_at")
    spans: dict[int, list[float]] = {}
    for resource_id, arrived, called in served:
        spans.setdefault(resource_id, []).append((called - arrived).total_seconds() / 60)
    return {pk: round(sum(v) / len(v), 1) for pk, v in spans.items()}
