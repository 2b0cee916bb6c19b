"""Closing a resource for some days (休館: repairs, an election count) as one change: the days
take no more bookings, every booking already made on them is cancelled for the city (fees
refunded in full) and its holder told through the hub, and the waiting lists of those days end
with a word to each person waiting. Staff see exactly who is affected before they confirm, and
the page lists the holders no message can reach (a caller's booking) so they can phone them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings import notices, services, slots
from musubi.citizen.bookings.errors import NotAllowed
from musubi.citizen.bookings.models import (
    HOLDING,
    Booking,
    ClosedDay,
    Resource,
    Status,
    WaitlistEntry,
    WaitStatus,
)

MAX_DAYS = 92  # one change closes at most a quarter; longer closures are a resource's retirement


@dataclass(frozen=True)
class Closure:
    resource: Resource
    first: dt.date
    last: dt.date
    reason: str

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def span(self) -> tuple[dt.datetime, dt.datetime]:
        zone = slots.city_zone()
        begin = dt.datetime.combine(self.first, dt.time(0), zone)
        return begin, dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), zone)


@dataclass
class Closed:
    """What the change did: bookings cancelled, holders told, places in line ended, and the
    bookings whose holders must be phoned (no account to write to)."""

    cancelled: int = 0
    told: int = 0
    waiting_ended: int = 0
    to_phone: list[Booking] = field(default_factory=list)


def check(closure: Closure, today: dt.date | None = None) -> None:
    """Refuse a closure without a reason, backwards, in the past or longer than MAX_DAYS."""
    today = today or timezone.localdate()
    if not closure.reason.strip():
        raise NotAllowed(_("休館の理由を入力してください（予約者へのお知らせに載ります）。"))
    if closure.last < closure.first:
        raise NotAllowed(_("終わりの日は、始まりの日と同じか後の日にしてください。"))
    if closure.first < today:
        raise NotAllowed(_("過ぎた日は休館にできません。今日以降の日を選んでください。"))
    if len(closure.days()) > MAX_DAYS:
        raise NotAllowed(_("一度に休館にできるのは %(days)s 日までです。") % {"days": MAX_DAYS})


def affected(closure: Closure) -> QuerySet[Booking]:
    """The bookings the closure cancels: held seats not yet begun (blocks included)."""
    begin, end = closure.span()
    return (
        Booking.objects.filter(resource=closure.resource, status__in=HOLDING)
        .filter(start__gte=max(begin, timezone.now()), start__lt=end)
        .exclude(status__in=[Status.CHECKED_IN, Status.NO_SHOW])
        .select_related("user", "resource")
        .order_by("start", "seat")
    )


def waiting(closure: Closure) -> QuerySet[WaitlistEntry]:
    begin, end = closure.span()
    return WaitlistEntry.objects.filter(
        resource=closure.resource, status=WaitStatus.WAITING, start__gte=begin, start__lt=end
    ).select_related("user")


def close(closure: Closure, *, by: Any) -> Closed:
    """Close the days and cancel what was booked on them, all or nothing."""
    check(closure)
    done = Closed()
    with transaction.atomic():
        for day in closure.days():
            ClosedDay.objects.update_or_create(
                resource=closure.resource, date=day, defaults={"reason": closure.reason[:120]}
            )
        for booking in affected(closure).select_for_update(of=("self",)):
            _cancel(booking, closure, by, done)
        for entry in waiting(closure):
            entry.status = WaitStatus.WITHDRAWN
            entry.save(update_fields=["status"])
            notices.waiting_ended(entry, closure.reason)
            done.waiting_ended += 1
    return done


def _cancel(booking: Booking, closure: Closure, by: Any, done: Closed) -> None:
    was_blocked = booking.status == Status.BLOCKED
    services.cancel(booking, by=by, reason=closure.reason, by_city=True)
    if was_blocked:
        return
    done.cancelled += 1
    if notices.cancelled_by_city(booking, closure.reason):
        done.told += 1
    else:
        done.to_phone.append(booking)
