"""The lottery (抽選) for slots of a future month: entries in a window, then a fair draw that
anyone can check.

The draw: for every slot, each entry gets the rank ``HMAC-SHA256(key=seed, message="<slot>|
<entry number>")`` (hex); the ``capacity`` lowest ranks win. The seed is drawn from the
operating system's randomness at draw time (so no one knows it while entries are open),
stored, and published with the entries, so ``rerun`` — or a few lines in any language —
gives the same winners. Winners' seats are held until the confirmation deadline; a seat left
unconfirmed lapses, goes to the waiting list, or else to first come, first served.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings import groups, notices, registrations, services, slots
from musubi.citizen.bookings.errors import BookingError, NotAllowed, NotBookable
from musubi.citizen.bookings.models import (
    Booking,
    EntryStatus,
    LotteryEntry,
    LotteryWindow,
    Origin,
    Resource,
    Status,
    UserGroup,
)

ALGORITHM = (
    "For each slot, rank every entry by hex(HMAC-SHA256(key=seed as UTF-8, "
    "message='<slot>|<entry>' as UTF-8)); the `capacity` lowest ranks win."
)
TAKEN = (Status.CONFIRMED, Status.CHECKED_IN, Status.NO_SHOW)


def open_windows(now: dt.datetime | None = None) -> QuerySet[LotteryWindow]:
    """Lotteries taking entries now, of resources anyone may book, by closing time."""
    now = now or timezone.now()
    return (
        LotteryWindow.objects.filter(
            opens_at__lte=now,
            closes_at__gt=now,
            drawn_at__isnull=True,
            resource__in=services.public_resources(),
        )
        .select_related("resource")
        .order_by("closes_at", "pk")
    )


def my_entries(user: Any) -> QuerySet[LotteryEntry]:
    """``user``'s entries, newest lottery first, with the held booking of each win."""
    return (
        LotteryEntry.objects.filter(user=user)
        .select_related("window__resource", "group", "booking__resource")
        .order_by("-window__month", "start", "pk")
    )


def create_window(
    resource: Resource, month: dt.date, opens_at: dt.datetime, closes_at: dt.datetime,
    confirm_days: int = 7,
) -> LotteryWindow:  # fmt: skip
    """A lottery for ``resource``'s slots in ``month``; entries must close before it starts."""
    month = month.replace(day=1)
    first_slot = dt.datetime.combine(month, dt.time(0), slots.city_zone())
    if not opens_at < closes_at <= first_slot:
        raise NotAllowed(_("申込期間は、開始を締切より前に、締切を対象月より前にしてください。"))
    month_bookings = Booking.objects.filter(
        resource=resource, start__gte=first_slot, start__lt=_next_month(first_slot)
    )
    if month_bookings.filter(status__in=TAKEN).exists():
        raise NotAllowed(_("この月にはすでに予約があります。抽選は予約のない月だけです。"))
    try:
        with transaction.atomic():
            return LotteryWindow.objects.create(
                resource=resource, month=month, opens_at=opens_at, closes_at=closes_at,
                confirm_days=confirm_days,
            )  # fmt: skip
    except IntegrityError:
        raise NotAllowed(_("この月の抽選はすでにあります。")) from None


def _next_month(first: dt.datetime) -> dt.datetime:
    return (first + dt.timedelta(days=32)).replace(day=1)


def enter(
    window: LotteryWindow, user: Any, start: dt.datetime, party_size: int = 1,
    group: UserGroup | None = None,
) -> LotteryEntry:  # fmt: skip
    """One entry of ``user`` for one slot of the lottery's month, while entries are open;
    for a ``group``, the same group rule as a direct booking (approved, theirs; required on
    a ``groups_only`` resource), so no seat is ever won for someone who could not book it."""
    now, resource = timezone.now(), window.resource
    if not window.opens_at <= now < window.closes_at or window.drawn_at:
        raise NotAllowed(_("抽選の申込期間ではありません。"))
    slot = slots.slot_on_open_day(resource, start)
    local_day = start.astimezone(slots.city_zone()).date()
    if slot is None or local_day.replace(day=1) != window.month:
        raise NotBookable(_("抽選の対象月の、開館している枠を選んでください。"))
    if slots.closed_reason(resource, local_day):
        raise NotBookable(_("%(date)s は休館日です。"), date=local_day.isoformat())
    if not 1 <= party_size <= resource.max_party:
        raise NotAllowed(_("利用人数は 1〜%(max)s 人で入力してください。"), max=resource.max_party)
    services.check_eligibility(resource, user, local_day)
    groups.check_group(resource, user, group)
    registrations.check_registered(resource, user, group)
    try:
        with transaction.atomic():
            return LotteryEntry.objects.create(
                window=window, user=user, start=slot.start, party_size=party_size, group=group
            )
    except IntegrityError:
        raise NotAllowed(_("この枠にはすでに申し込んでいます。")) from None


def withdraw(entry: LotteryEntry) -> None:
    if entry.window.drawn_at or entry.window.closes_at <= timezone.now():
        raise NotAllowed(_("申込期間が終わったため取り下げできません。"))
    entry.delete()


# --- the draw --------------------------------------------------------------------------------


def slot_label(start: dt.datetime) -> str:
    """How a slot is written in the published results: ISO 8601 in the city's zone."""
    return start.astimezone(slots.city_zone()).isoformat()


def rank(seed: str, slot: str, entry: int) -> str:
    return hmac.new(seed.encode(), f"{slot}|{entry}".encode(), hashlib.sha256).hexdigest()


def rerun(seed: str, capacity: int, entries: Iterable[dict[str, Any]]) -> set[int]:
    """The winning entry numbers for published ``entries`` (``{"entry": n, "slot": s}``)."""
    by_slot: dict[str, list[int]] = defaultdict(list)
    for entry in entries:
        by_slot[entry["slot"]].append(int(entry["entry"]))
    winners: set[int] = set()
    for slot, numbers in by_slot.items():
        winners.update(sorted(numbers, key=lambda n: rank(seed, slot, n))[:capacity])
    return winners


def draw(window: LotteryWindow, now: dt.datetime | None = None) -> LotteryWindow:
    """Draw once, after entries closed: hold winners' seats, tell winners and losers."""
    now = now or timezone.now()
    with transaction.atomic():
        window = (
            LotteryWindow.objects.select_for_update().select_related("resource").get(pk=window.pk)
        )
        if window.drawn_at:
            raise NotAllowed(_("この抽選はすでに行われています。"))
        if now < window.closes_at:
            raise NotAllowed(_("申込の締切前は抽選できません。"))
        window.seed, window.drawn_at = secrets.token_hex(16), now
        window.save(update_fields=["seed", "drawn_at"])
        entries = list(window.entries.select_related("user").order_by("pk"))
        winners = rerun(window.seed, window.resource.capacity, _published(entries))
        until = now + dt.timedelta(days=window.confirm_days)
        for entry in entries:
            _settle(window, entry, entry.pk in winners, until)
    return window


def _settle(window: LotteryWindow, entry: LotteryEntry, won: bool, until: dt.datetime) -> None:
    if won:
        try:
            entry.booking = services.hold(
                window.resource, entry.start, entry.user, party_size=entry.party_size,
                origin=Origin.LOTTERY, until=until, group=entry.group,
            )  # fmt: skip
        except BookingError:
            won = False  # blocked by the city, no longer eligible, or over the (group) quota
    entry.status = EntryStatus.WON if won else EntryStatus.LOST
    entry.save(update_fields=["status", "booking"])
    if won:
        notices.held_for(entry.booking, won=True)
    else:
        notices.lost(entry.user, window.resource, entry.start)


def draw_due(now: dt.datetime | None = None) -> int:
    """Draw every lottery whose entries have closed (the worker's job); returns how many."""
    now = now or timezone.now()
    due = LotteryWindow.objects.filter(drawn_at__isnull=True, closes_at__lte=now)
    for window in due:
        draw(window, now)
    return len(due)


def tell_released(booking: Booking) -> int:
    """An unconfirmed lottery win lapsed: the slot's other entrants may now book it."""
    losers = LotteryEntry.objects.filter(
        window__resource=booking.resource, start=booking.start, status=EntryStatus.LOST
    ).select_related("user")
    for entry in losers:
        notices.released(entry.user, booking.resource, booking.start)
    return len(losers)


# --- what is published -----------------------------------------------------------------------


def _published(entries: Iterable[LotteryEntry]) -> list[dict[str, Any]]:
    return [{"entry": entry.pk, "slot": slot_label(entry.start)} for entry in entries]


def results(window: LotteryWindow) -> dict[str, Any]:
    """The public record of a draw: seed, entries by number (no names) and who won."""
    entries = list(window.entries.order_by("pk"))
    published = _published(entries)
    for row, entry in zip(published, entries, strict=True):
        row["won"] = entry.status == EntryStatus.WON
    return {
        "resource": window.resource.code,
        "month": window.month.strftime("%Y-%m"),
        "entries_open": window.opens_at.isoformat(),
        "entries_close": window.closes_at.isoformat(),
        "drawn_at": window.drawn_at.isoformat() if window.drawn_at else None,
        "seed": window.seed or None,
        "capacity": window.resource.capacity,
        "algorithm": ALGORITHM,
        "entries": published if window.drawn_at else [],
        "statistics": statistics(window),
    }


def statistics(window: LotteryWindow) -> dict[str, Any]:
    """For the report: entries per slot, winners, and the share of winners who confirmed."""
    entries = list(window.entries.select_related("booking"))
    per_slot = Counter(slot_label(entry.start) for entry in entries)
    won = [entry for entry in entries if entry.status == EntryStatus.WON]
    confirmed = sum(1 for entry in won if entry.booking and entry.booking.status in TAKEN)
    return {
        "entries": len(entries),
        "slots_entered": len(per_slot),
        "entries_per_slot": dict(sorted(per_slot.items())),
        "winners": len(won),
        "confirmed": confirmed,
        "confirmed_share": round(confirmed / len(won), 3) if won else None,
    }
