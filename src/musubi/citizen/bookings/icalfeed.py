"""A resource's availability as an iCalendar feed (RFC 5545), for calendar apps.

Each open slot of the coming weeks is one VEVENT: free slots are TRANSPARENT and say how
many places are left, full ones are OPAQUE. UIDs are derived from the resource and the
slot's start, so a calendar app updates the same event when availability changes. No
holder's name is ever in the feed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.citizen.bookings import slots
from musubi.citizen.bookings.models import Resource

FEED_DAYS = 60
CRLF = "\r\n"
LINE_OCTETS = 75


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces without cutting a UTF-8 character."""
    pieces, current = [], ""
    limit = LINE_OCTETS
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            pieces.append(current)
            current, limit = char, LINE_OCTETS - 1  # continuation lines start with a space
        else:
            current += char
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(slots.city_zone()).strftime("%Y%m%dT%H%M%S")


def _vtimezone() -> list[str]:
    """Asia/Tokyo: JST, UTC+9, no daylight saving since 1951."""
    return [
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Tokyo",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0900",
        "TZOFFSETTO:+0900",
        "TZNAME:JST",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


def _event(resource: Resource, slot: slots.Slot, stamp: str, host: str) -> list[str]:
    summary = _("空きあり（残り %(free)s）") % {"free": slot.free} if slot.free else _("予約済み")
    return [
        "BEGIN:VEVENT",
        f"UID:{resource.code}-{_utc(slot.start)}@{host}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;TZID=Asia/Tokyo:{_local(slot.start)}",
        f"DTEND;TZID=Asia/Tokyo:{_local(slot.end)}",
        f"SUMMARY:{_escape(f'{resource.name} {summary}')}",
        f"TRANSP:{'TRANSPARENT' if slot.free else 'OPAQUE'}",
        "END:VEVENT",
    ]


def feed(resource: Resource, first: dt.date | None = None) -> str:
    """The VCALENDAR text for ``resource``'s slots from ``first`` (today) for FEED_DAYS."""
    first = first or timezone.localdate()
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    stamp = _utc(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Musubi//Bookings//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(resource.name)}",
        "X-WR-TIMEZONE:Asia/Tokyo",
        *_vtimezone(),
    ]
    for day in slots.days(resource, first, first + dt.timedelta(days=FEED_DAYS - 1)):
        for slot in day.slots:
            lines += _event(resource, slot, stamp, host)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
