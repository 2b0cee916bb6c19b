"""The demo: synthetic Komagane facilities and counters, bookings made through the services."""

from __future__ import annotations

import datetime as dt

from musubi.citizen.bookings import demo
from musubi.citizen.bookings.checkup_models import Programme
from musubi.citizen.bookings.models import Booking, Kind, Resource
from musubi.platform.accounts import demo as accounts_demo
from musubi.platform.accounts.services import has_permission


def test_seed_makes_labelled_resources_and_bookings_and_is_repeatable(small_city):
    counts = demo.seed()
    assert counts["bookable resources"] == 9
    assert counts["check-up types"] == 6
    assert counts["bookings"] > 20
    assert set(Resource.objects.values_list("synthetic", flat=True)) == {True}
    assert Resource.objects.filter(kind=Kind.COUNTER).count() == 3
    assert Booking.objects.filter(resource__code="bunka-center-daihall").exists()
    needs_registration = Resource.objects.filter(registration_required=True)
    assert list(needs_registration.values_list("code", flat=True)) == ["kominkan-washitsu"]
    assert Resource.objects.filter(kind=Kind.CHECKUP).count() == 2
    assert not Booking.objects.filter(resource__kind=Kind.CHECKUP).exists()
    programme = Programme.objects.get(fiscal_year=2027)
    assert programme.synthetic and programme.notice_on == dt.date(2026, 12, 1)
    assert programme.types.get(code="nyugan").sites.count() == 1
    demo.seed()
    assert Resource.objects.count() == 9 and Programme.objects.count() == 1
    demo.clear()
    assert not Resource.objects.exists() and not Programme.objects.exists()


def test_facility_staff_manage_bookings_in_the_demo(small_city):
    from musubi.platform.accounts.models import User

    clerk = User.objects.get(email=accounts_demo.staff_email("shakaikyoiku", "clerk"))
    assert has_permission(clerk, "bookings.manage")
    health = User.objects.get(email=accounts_demo.staff_email("chiikihoken", "clerk"))
    assert has_permission(health, "bookings.checkups")
