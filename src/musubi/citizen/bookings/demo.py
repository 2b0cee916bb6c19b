"""Demo data: synthetic Komagane facilities, counter services and check-up sites, a few
bookings made through the real services by the demo residents (so calendars and reports show
something), and the 令和9年度 check-up programme (``data/demo_checkups.yaml``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from django.utils import timezone

from musubi.citizen.bookings import checkups, services, slots
from musubi.citizen.bookings.checkup_models import Application, Programme
from musubi.citizen.bookings.errors import BookingError
from musubi.citizen.bookings.models import AvailabilityView, Booking, ClosedDay, Kind, Resource
from musubi.platform.accounts import demo as accounts_demo
from musubi.platform.accounts.models import Department, User

RESOURCES = Path(__file__).resolve().parent / "data" / "demo_resources.yaml"
CHECKUPS = Path(__file__).resolve().parent / "data" / "demo_checkups.yaml"
DEMO_BOOKINGS = 6


def load_resources() -> list[Resource]:
    """Create or update every demo resource from the data file (idempotent)."""
    made = []
    for entry in yaml.safe_load(RESOURCES.read_text(encoding="utf-8")):
        fields = dict(entry)
        code = fields.pop("code")
        fields["department"] = Department.objects.get(code=fields["department"])
        resource, _created = Resource.objects.update_or_create(
            code=code, defaults={**fields, "synthetic": True}
        )
        made.append(resource)
    return made


def _future_starts(resource: Resource, count: int) -> list[dt.datetime]:
    """The first ``count`` slot starts from a week ahead (always inside the booking window)."""
    first = timezone.localdate() + dt.timedelta(days=7)
    starts = []
    for day in slots.days(resource, first, first + dt.timedelta(days=21)):
        starts += [slot.start for slot in day.slots]
    return starts[:count]


def _book_some(resources: list[Resource]) -> int:
    residents = list(
        User.objects.filter(email__in=[accounts_demo.resident_email(n) for n in range(1, 4)])
    )
    made = 0
    for resource in resources:
        if resource.kind == Kind.CHECKUP:
            continue  # sessions are booked from a check-up application
        for number, start in enumerate(_future_starts(resource, DEMO_BOOKINGS)):
            user = residents[number % len(residents)] if residents else None
            ask = services.Request(resource=resource, start=start, purpose="デモ")
            try:
                services.book(ask, user=user)
                made += 1
            except BookingError:
                continue  # e.g. the resident is over the monthly quota: skip
    return made


def load_programme() -> Programme:
    """The demo programme with the default flow and its sites (left alone if it exists)."""
    spec = yaml.safe_load(CHECKUPS.read_text(encoding="utf-8"))
    found = Programme.objects.filter(fiscal_year=spec["fiscal_year"]).first()
    if found:
        return found
    programme = checkups.create_programme(
        spec["fiscal_year"],
        Department.objects.get(code=spec["department"]),
        fees={code: entry["fee"] for code, entry in spec["types"].items()},
    )
    Programme.objects.filter(pk=programme.pk).update(synthetic=True)
    for checkup in programme.types.all():
        codes = spec["types"][checkup.code]["sites"]
        checkup.sites.set(Resource.objects.filter(code__in=codes))
    return programme


def seed() -> dict[str, int]:
    resources = load_resources()
    programme = load_programme()
    return {
        "bookable resources": len(resources),
        "bookings": _book_some(resources),
        "check-up types": programme.types.count(),
    }


def clear() -> None:
    synthetic = Resource.objects.filter(synthetic=True)
    programmes = Programme.objects.filter(synthetic=True)
    Application.objects.filter(checkup__programme__in=programmes).delete()
    programmes.delete()
    Booking.objects.filter(resource__in=synthetic).delete()
    AvailabilityView.objects.filter(resource__in=synthetic).delete()
    ClosedDay.objects.filter(resource__in=synthetic).delete()
    synthetic.delete()
