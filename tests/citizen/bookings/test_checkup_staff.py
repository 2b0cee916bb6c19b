"""Staff book and move a check-up session for an applicant who phoned: the booking is the
applicant's, a move is all or nothing, the read is audited, bad input keeps the old session."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from musubi.citizen.bookings import checkups
from musubi.citizen.bookings.checkup_models import Application
from musubi.citizen.bookings.models import Booking, Channel, Status
from musubi.platform.audit.models import AuditRecord

from .conftest import IN_APRIL, IN_JANUARY, TUESDAY_SESSION, account_for, person

pytestmark = pytest.mark.django_db

LATER = TUESDAY_SESSION + dt.timedelta(minutes=30)


@pytest.fixture
def applied(programme, register_resident) -> Application:
    """A resident who applied online for 大腸がん検診 in January."""
    resident = person(register_resident, dt.date(1970, 5, 5))
    with time_machine.travel(IN_JANUARY, tick=False):
        (made,) = checkups.apply(
            programme, resident, checkups.Ask(codes=("daicho",)), user=account_for(resident)
        )
    return made


@pytest.fixture
def clerk(make_staff, signed_in, health):
    """The 地域保健課 clerk, signed in when called (inside the test's time travel)."""
    staff = make_staff("chiikihoken", "bookings.checkups")
    return lambda: signed_in(staff)


def _page(application):
    return reverse("bookings:staff_checkup_book", args=[application.pk])


def test_staff_book_then_move_the_session_of_a_caller(clerk, applied, site):
    with time_machine.travel(IN_APRIL, tick=False):
        staff = clerk()
        page = staff.get(_page(applied))
        assert page.status_code == 200 and "未予約" in page.content.decode()
        booked = staff.post(
            _page(applied),
            {"site": site.pk, "start": TUESDAY_SESSION.isoformat(), "channel": "phone"},
        )
        assert booked.status_code == 302
        first = Application.objects.get(pk=applied.pk).booking
        moved = staff.post(
            _page(applied), {"site": site.pk, "start": LATER.isoformat(), "channel": "counter"}
        )
        assert moved.status_code == 302
    applied.refresh_from_db()
    first.refresh_from_db()
    assert first.status == Status.CANCELLED and first.channel == Channel.PHONE
    assert applied.booking.start == LATER and applied.booking.status == Status.CONFIRMED
    assert applied.booking.user == applied.user  # the resident still sees it as theirs
    assert applied.booking.channel == Channel.COUNTER
    assert AuditRecord.objects.filter(what="検診の予約（代理）").count() == 3
    assert AuditRecord.objects.filter(what="検診の代理予約").count() == 2


def test_a_move_to_a_taken_session_keeps_the_old_one(
    clerk, applied, site, programme, register_resident
):
    other = person(register_resident, dt.date(1971, 6, 6), n=2)
    with time_machine.travel(IN_JANUARY, tick=False):
        (theirs,) = checkups.apply(programme, other, checkups.Ask(codes=("daicho",)))
    with time_machine.travel(IN_APRIL, tick=False):
        kept = checkups.book(applied, site, TUESDAY_SESSION)
        checkups.book(theirs, site, LATER)
        staff = clerk()
        refused = staff.post(
            _page(applied), {"site": site.pk, "start": LATER.isoformat(), "channel": "phone"}
        )
        same = staff.post(
            _page(applied),
            {"site": site.pk, "start": TUESDAY_SESSION.isoformat(), "channel": "phone"},
        )
    assert refused.status_code == 422 and "すでに予約" in refused.content.decode()
    assert 'value="phone" selected' in refused.content.decode()
    assert same.status_code == 422 and "同じ日時" in same.content.decode()
    kept.refresh_from_db()
    assert kept.status == Status.CONFIRMED
    assert Application.objects.get(pk=applied.pk).booking == kept


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"site": "x", "start": "2027-04-06T09:00:00+09:00", "channel": "phone"}, "会場と日時"),
        ({"site": "SITE", "start": "soon", "channel": "phone"}, "会場と日時"),
        ({"site": "SITE", "start": "2027-04-06T09:00:00+09:00", "channel": "web"}, "電話か窓口"),
        ({"site": "SITE", "start": "2027-04-06T15:00:00+09:00", "channel": "phone"}, "開館時間外"),
    ],
)
def test_bad_input_is_a_clear_422_and_books_nothing(clerk, applied, site, body, text):
    body = {**body, "site": site.pk if body["site"] == "SITE" else body["site"]}
    with time_machine.travel(IN_APRIL, tick=False):
        answer = clerk().post(_page(applied), body)
    assert answer.status_code == 422 and text in answer.content.decode()
    assert not Booking.objects.exists()


def test_outside_the_booking_window_is_refused_with_the_dates(clerk, applied, site):
    with time_machine.travel(IN_JANUARY, tick=False):
        answer = clerk().post(
            _page(applied),
            {"site": site.pk, "start": TUESDAY_SESSION.isoformat(), "channel": "phone"},
        )
    assert answer.status_code == 422 and "2027-04-01" in answer.content.decode()


def test_staff_of_another_department_cannot_book(make_staff, signed_in, applied):
    with time_machine.travel(IN_APRIL, tick=False):
        other = signed_in(make_staff("zeimu", "bookings.checkups"))
        assert other.get(_page(applied)).status_code == 404
