"""The waiting list (キャンセル待ち) of a full slot.

A seat that comes free (cancellation, an unpaid booking lapsing, an unconfirmed lottery win)
is held for the first in line as a provisional booking for ``OFFER_HOURS``; if they neither
confirm nor pay, it lapses like any unpaid booking and is offered to the next.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings import groups, notices, registrations, services, slots
from musubi.citizen.bookings.errors import BookingError, NotAllowed, NotBookable
from musubi.citizen.bookings.models import (
    HOLDING,
    Booking,
    Origin,
    Resource,
    Status,
    UserGroup,
    WaitlistEntry,
    WaitStatus,
)

OFFER_HOURS = 24
OPEN = (WaitStatus.WAITING, WaitStatus.OFFERED)


def join(
    resource: Resource, start: dt.datetime, user: Any, party_size: int = 1,
    group: UserGroup | None = None,
) -> WaitlistEntry:  # fmt: skip
    """Put ``user`` in line for a slot that is full now (a free one is simply booked); for a
    ``group``, the same group rule as a direct booking, so an offer can always be taken."""
    slot = slots.slot_on_open_day(resource, start)
    if slot is None or slot.start <= timezone.now():
        raise NotBookable(_("この枠はキャンセル待ちできません。"))
    if not 1 <= party_size <= resource.max_party:
        raise NotAllowed(_("利用人数は 1〜%(max)s 人で入力してください。"), max=resource.max_party)
    groups.check_group(resource, user, group)
    registrations.check_registered(resource, user, group)
    held = Booking.objects.filter(resource=resource, start=slot.start, status__in=HOLDING)
    if held.count() < resource.capacity:
        raise NotAllowed(_("この枠には空きがあります。そのまま予約してください。"))
    if held.filter(user=user).exists():
        raise NotAllowed(_("この枠はすでに予約しています。"))
    try:
        with transaction.atomic():
            return WaitlistEntry.objects.create(
                resource=resource, start=slot.start, user=user, party_size=party_size,
                group=group,
            )  # fmt: skip
    except IntegrityError:
        raise NotAllowed(_("この枠のキャンセル待ちにはすでに登録しています。")) from None


def leave(entry: WaitlistEntry, *, by: Any) -> WaitlistEntry:
    """Leave the line. A seat already held for this place is given back at once, so it is
    offered to the next in line now rather than when the offer would have lapsed."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status not in OPEN:
            raise NotAllowed(_("このキャンセル待ちはすでに終わっています。"))
        offered = entry.booking if entry.status == WaitStatus.OFFERED else None
        entry.status = WaitStatus.WITHDRAWN
        entry.save(update_fields=["status"])
        if offered is not None and offered.status == Status.PROVISIONAL:
            services.cancel(offered, by=by, reason=str(_("キャンセル待ちの取り下げ")))
    return entry


def place_in_line(entry: WaitlistEntry) -> int | None:
    """1 for the next to be offered a seat; None once the entry is no longer waiting."""
    if entry.status != WaitStatus.WAITING:
        return None
    ahead = line(entry.resource, entry.start).filter(status=WaitStatus.WAITING)
    earlier = Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lt=entry.pk)
    return ahead.filter(earlier).count() + 1


def line(resource: Resource, start: dt.datetime) -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.filter(resource=resource, start=start, status__in=OPEN)


def offer_next(resource: Resource, start: dt.datetime) -> WaitlistEntry | None:
    """Hold the freed seat for the first one still waiting; the one whose offer lapsed
    leaves the line. Returns the entry offered, or None when no one is waiting."""
    _close_lapsed_offers(resource, start)
    if start <= timezone.now():
        return None
    for entry in line(resource, start).filter(status=WaitStatus.WAITING).select_related("user"):
        until = timezone.now() + dt.timedelta(hours=OFFER_HOURS)
        try:
            booking = services.hold(
                resource, start, entry.user, party_size=entry.party_size,
                origin=Origin.WAITLIST, until=until, group=entry.group,
            )  # fmt: skip
        except BookingError as exc:
            if exc.code == "already_taken":
                return None  # someone booked the seat first: the line keeps its order
            entry.status = WaitStatus.WITHDRAWN  # no longer eligible: skip them
            entry.save(update_fields=["status"])
            continue
        entry.status, entry.booking = WaitStatus.OFFERED, booking
        entry.save(update_fields=["status", "booking"])
        notices.held_for(booking, won=False)
        return entry
    return None


def _close_lapsed_offers(resource: Resource, start: dt.datetime) -> None:
    """An offer whose held booking is no longer provisional is done (taken or lapsed)."""
    for entry in line(resource, start).filter(status=WaitStatus.OFFERED).select_related("booking"):
        if entry.booking is None or entry.booking.status != "provisional":
            entry.status = WaitStatus.DONE
            entry.save(update_fields=["status"])


def my_entries(user: Any) -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.filter(user=user, status__in=OPEN).select_related(
        "resource", "group", "booking__resource"
    )
