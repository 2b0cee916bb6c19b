"""The iCalendar feed is RFC 5545: CRLF, folded lines, stable UIDs, DTSTAMP, VTIMEZONE; it
parses with both ``icalendar`` and ``ical``."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import time_machine
from ical.calendar_stream import IcsCalendarStream

from musubi.citizen.bookings import services
from musubi.citizen.bookings.icalfeed import fold

from .conftest import NOW, TUESDAY, at

pytestmark = pytest.mark.django_db


def _feed(client, resource) -> bytes:
    response = client.get(f"/bookings/{resource.pk}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content


def test_feed_is_crlf_folded_and_parses_with_both_libraries(client, room):
    room.name_ja = (
        "文化センター 大ホール（客席数七百席・舞台・楽屋・リハーサル室を含む全館一括利用）"
    )
    room.save()
    with time_machine.travel(NOW, tick=False):
        services.book(services.Request(resource=room, start=at(TUESDAY, 12)), user=None)
        body = _feed(client, room)
    text = body.decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\r\n " in text  # the long name was folded
    parsed = icalendar.Calendar.from_ical(body)
    events = parsed.walk("VEVENT")
    assert parsed.walk("VTIMEZONE")[0]["TZID"] == "Asia/Tokyo"
    full = [e for e in events if e["TRANSP"] == "OPAQUE"]
    assert len(full) == 1
    assert full[0].decoded("DTSTART") == at(TUESDAY, 12)
    assert "予約済み" in str(full[0]["SUMMARY"])
    assert all("DTSTAMP" in e for e in events)
    calendar = IcsCalendarStream.calendar_from_ics(text)
    assert len(calendar.events) == len(events)
    assert calendar.events[0].dtstart.utcoffset() == dt.timedelta(hours=9)


def test_uids_are_stable_between_fetches(client, counter):
    with time_machine.travel(NOW, tick=False):
        first = icalendar.Calendar.from_ical(_feed(client, counter))
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        second = icalendar.Calendar.from_ical(_feed(client, counter))
    uids = [str(e["UID"]) for e in first.walk("VEVENT")]
    assert len(uids) == len(set(uids))
    assert uids[:5] == [str(e["UID"]) for e in second.walk("VEVENT")][:5]
    assert uids[0] == "kaigo-sodan-20261207T000000Z@localhost"


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "駒" * 60
    folded = fold(line)
    assert folded.replace("\r\n ", "") == line
    for part in folded.split("\r\n"):
        assert len(part.encode()) <= 75
        part.encode().decode("utf-8")
