"""Fixtures of the booking tests: a room with a fee, a counter service, times in Tokyo."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import OperationalError, connection
from django.utils import translation

from musubi.citizen.bookings import checkups
from musubi.citizen.bookings.errors import BookingError
from musubi.citizen.bookings.models import Kind, Resource
from musubi.platform.accounts.models import Department, User
from musubi.platform.residents import services as residents

TOKYO = ZoneInfo("Asia/Tokyo")
EVERY_DAY = {str(d): ["09:00", "21:00"] for d in range(1, 8)}
# A Tuesday that is no public holiday; tests travel to the Monday before it.
TUESDAY = dt.date(2026, 12, 8)
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=TOKYO)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


@pytest.fixture
def monday_morning():
    """The clock stopped at ``NOW`` (Monday 2026-12-07 09:00 in Tokyo) for the whole test; a
    module asks for it with ``pytest.mark.usefixtures("monday_morning")``."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def department(db) -> Department:
    return Department.objects.get_or_create(
        code="shogai", defaults={"name": "生涯学習課", "name_en": "Lifelong Learning"}
    )[0]


@pytest.fixture
def room(department) -> Resource:
    """公民館 会議室: one party per 3-hour slot, 市内 1,000 yen, 市外 2,000 yen."""
    return Resource.objects.create(
        code="kominkan-kaigi",
        kind=Kind.ROOM,
        name_ja="公民館 会議室",
        name_en="Community hall meeting room",
        department=department,
        capacity=1,
        max_party=30,
        slot_minutes=180,
        hours={str(d): ["09:00", "21:00"] for d in range(1, 7)},  # closed on Sundays
        min_notice_hours=24,
        max_advance_days=90,
        monthly_quota=2,
        fee_resident_yen=1000,
        fee_nonresident_yen=2000,
        payment_days=7,
    )


@pytest.fixture
def counter(department) -> Resource:
    """介護相談: 30-minute appointments, two staff, free, every day."""
    return Resource.objects.create(
        code="kaigo-sodan",
        kind=Kind.COUNTER,
        name_ja="介護相談",
        name_en="Long-term care consultation",
        department=department,
        capacity=2,
        max_party=3,
        slot_minutes=30,
        hours=EVERY_DAY,
        open_on_holidays=True,
    )


@pytest.fixture
def resident_user(register_resident) -> User:
    """A 市内 resident whose account is linked to the registry."""
    from musubi.platform.residents import services as residents

    person = register_resident()
    user = User.objects.create_user(
        username="hanako@example.jp", email="hanako@example.jp", password="long-enough-pass-1"
    )
    residents.link_account(user, person, "counter")
    return user


@pytest.fixture
def outsider(db) -> User:
    """Someone from outside the city (no registry link)."""
    return User.objects.create_user(
        username="visitor@example.com", email="visitor@example.com", password="long-enough-pass-1"
    )


# --- health check-ups ----------------------------------------------------------------------

FEES = {"tokutei": 1000, "igan": 1500, "daicho": 500, "nyugan": 1500, "shikyukei": 1000}
IN_JANUARY = dt.datetime(2027, 1, 12, 9, 0, tzinfo=TOKYO)
IN_APRIL = dt.datetime(2027, 4, 5, 9, 0, tzinfo=TOKYO)  # a Monday
TUESDAY_SESSION = at(dt.date(2027, 4, 6), 9)


@pytest.fixture
def health(db) -> Department:
    return Department.objects.get_or_create(
        code="chiikihoken", defaults={"name": "地域保健課", "name_en": "Community Health"}
    )[0]


@pytest.fixture
def site(health) -> Resource:
    """保健センター: one person per 30-minute session, weekday mornings."""
    return Resource.objects.create(
        code="hoken-center",
        kind=Kind.CHECKUP,
        name_ja="保健センター",
        department=health,
        capacity=1,
        slot_minutes=30,
        hours={str(d): ["09:00", "11:00"] for d in range(1, 6)},
        max_advance_days=400,
    )


@pytest.fixture
def programme(health, site):
    """令和9年度 with the default flow: notice 2026-12-01, applications in January 2027,
    bookings 2027-04-01 to 2028-02-29, ages on 2028-03-31."""
    made = checkups.create_programme(2027, health, fees=FEES)
    for checkup in made.types.all():
        checkup.sites.add(site)
    return made


def person(register_resident, born: dt.date, sex: str = "2", n: int = 1):
    return register_resident(given_name=f"人{n}", birthdate=born, sex=sex, banchi=f"{n}-1")


def account_for(resident, email: str = "hanako@example.jp") -> User:
    user = User.objects.create_user(username=email, email=email, password="long-enough-pass-1")
    residents.link_account(user, resident, "counter")
    return user


@pytest.fixture(autouse=True)
def in_japanese():
    """Messages are asserted in Japanese, whatever an earlier request left activated."""
    with translation.override("ja"):
        yield


def retrying_on_sqlite(action: Callable[[], object], done: str = "booked") -> str:
    """``done``, or the code of the refusal. SQLite's shared in-memory *test* database answers
    "locked" instead of waiting (a file database waits, with the busy timeout in settings), so
    a racing test asks again as a client would."""
    while True:
        try:
            action()
            return done
        except BookingError as exc:
            return exc.code
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.001)
