"""Demo data: synthetic Komagane facilities and counter services, and a few bookings made
through the real services by the demo residents (so calendars and reports show something)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from django.utils import timezone

from musubi.citizen.bookings import services, slots
from musubi.citizen.bookings.errors import BookingError
from musubi.citizen.bookings.models import AvailabilityView, Booking, ClosedDay, Resource
from musubi.platform.accounts import demo as accounts_demo
from musubi.platform.accounts.models import Department, User

RESOURCES = Path(__file__).resolve().parent / "data" / "demo_resources.yaml"
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
        for number, start in enumerate(_future_starts(resource, DEMO_BOOKINGS)):
            user = residents[number % len(residents)] if residents else None
            ask = services.Request(resource=resource, start=start, purpose="デモ")
            try:
                services.book(ask, user=user)
                made += 1
            except BookingError:
                continue  # e.g. the resident is over the monthly quota: skip
    return made


def seed() -> dict[str, int]:
    resources = load_resources()
    return {"bookable resources": len(resources), "bookings": _book_some(resources)}


def clear() -> None:
    synthetic = Resource.objects.filter(synthetic=True)
    Booking.objects.filter(resource__in=synthetic).delete()
    AvailabilityView.objects.filter(resource__in=synthetic).delete()
    ClosedDay.objects.filter(resource__in=synthetic).delete()
    synthetic.delete()
