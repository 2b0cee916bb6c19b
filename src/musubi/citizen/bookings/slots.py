"""Slot generation: a resource's slots for any day, computed from its opening hours.

Nothing here is stored, so opening hours can change without rewriting years of rows; only
bookings are rows. Times are computed in the city's zone (Asia/Tokyo) and handed out as
aware datetimes, which the database stores in UTC.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

from musubi.citizen.bookings.models import HOLDING, Booking, ClosedDay, Resource


def city_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@cache
def _japanese_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year, language="ja")


def holiday_name(day: dt.date) -> str:
    """The name of the 国民の祝日 on ``day`` (振替休日 included), or ""."""
    return _japanese_holidays(day.year).get(day, "")


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    capacity: int
    taken: int = 0

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


@dataclass(frozen=True)
class Day:
    date: dt.date
    slots: list[Slot]
    closed_reason: str = ""

    @property
    def free(self) -> int:
        return sum(slot.free for slot in self.slots)

    @property
    def capacity(self) -> int:
        return sum(slot.capacity for slot in self.slots)

    @property
    def booked(self) -> int:
        return self.capacity - self.free


def _clock(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _slot_starts(resource: Resource, day: dt.date) -> list[dt.datetime]:
    hours = resource.hours.get(str(day.isoweekday()))
    if not hours:
        return []
    zone = city_zone()
    opens = dt.datetime.combine(day, _clock(hours[0]), zone)
    closes = dt.datetime.combine(day, _clock(hours[1]), zone)
    length = dt.timedelta(minutes=resource.slot_minutes)
    starts = []
    while opens + length <= closes:
        starts.append(opens)
        opens += length
    return starts


def closed_reason(resource: Resource, day: dt.date, closed: set[dt.date] | None = None) -> str:
    """Why ``resource`` is closed on ``day`` ("" when open): closed day, holiday or weekday."""
    if closed is None:
        closed = _closed_dates(resource, day, day)
    if day in closed:
        return "closed"
    if not resource.open_on_holidays and holiday_name(day):
        return "holiday"
    if not resource.hours.get(str(day.isoweekday())):
        return "weekday"
    return ""


def _closed_dates(resource: Resource, first: dt.date, last: dt.date) -> set[dt.date]:
    rows = ClosedDay.objects.filter(date__range=(first, last)).filter(
        resource__in=[resource.pk, None]
    )
    return set(rows.values_list("date", flat=True))


def _taken(resource: Resource, first: dt.date, last: dt.date) -> Counter:
    zone = city_zone()
    since = dt.datetime.combine(first, dt.time(0), zone)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone)
    starts = Booking.objects.filter(
        resource=resource, status__in=HOLDING, start__gte=since, start__lt=until
    ).values_list("start", flat=True)
    return Counter(starts)


def days(resource: Resource, first: dt.date, last: dt.date) -> list[Day]:
    """Every day from ``first`` to ``last`` with its slots and how many seats each has left."""
    closed = _closed_dates(resource, first, last)
    taken = _taken(resource, first, last)
    length = dt.timedelta(minutes=resource.slot_minutes)
    out = []
    day = first
    while day <= last:
        reason = closed_reason(resource, day, closed)
        slots = [
            Slot(start, start + length, resource.capacity, taken[start])
            for start in ([] if reason else _slot_starts(resource, day))
        ]
        out.append(Day(day, slots, reason))
        day += dt.timedelta(days=1)
    return out


def slot_at(resource: Resource, start: dt.datetime) -> Slot | None:
    """The slot of ``resource`` starting exactly at ``start``, or None (not a slot boundary,
    outside opening hours, or a closed day)."""
    day = start.astimezone(city_zone()).date()
    if closed_reason(resource, day):
        return None
    return slot_on_open_day(resource, start)


def slot_on_open_day(resource: Resource, start: dt.datetime) -> Slot | None:
    """Like ``slot_at`` for a caller that already knows the day is open (one query less)."""
    if start not in _slot_starts(resource, start.astimezone(city_zone()).date()):
        return None
    return Slot(start, start + dt.timedelta(minutes=resource.slot_minutes), resource.capacity)


def month_grid(resource: Resource, first: dt.date) -> list[list[Day | None]]:
    """The weeks (Sunday first) of ``first``'s month, each day with its slots; the days of
    the neighbouring months that fill the first and last week are None."""
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    by_date = {day.date: day for day in days(resource, first, last)}
    return [
        [by_date.get(date) if date.month == first.month else None for date in week]
        for week in calendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month)
    ]
