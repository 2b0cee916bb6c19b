"""The demo: catalogue loaded and published, applications in several states."""

from __future__ import annotations

import datetime as dt

import pytest

from musubi.citizen.procedures import demo, services
from musubi.citizen.procedures.models import Application, Channel, Procedure, Status
from musubi.platform.accounts import demo as accounts_demo
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Relationship


@pytest.fixture
def small_city(db):
    residents.ensure_districts()
    district = District.objects.get(name="中沢")
    for number, given in enumerate(["一郎", "二郎", "三郎", "四郎"], start=1):
        address = residents.create_address(
            district=district, postal_code="399-4231", town="中沢", banchi=f"{number}00"
        )
        residents.move_in(
            residents.PersonDetails(
                "駒ヶ根", given, "コマガネ", "イチロウ", dt.date(1980, 5, number), "1"
            ),
            household=residents.new_household(address),
            relationship=Relationship.HEAD,
            on=dt.date(2020, 4, 1),
        )
    accounts_demo.seed_accounts()


def test_seed_loads_the_catalogue_and_tells_stories(small_city):
    counts = demo.seed()
    assert counts == {"procedures": 27, "demo applications": 4}
    assert all(services.published_version(p) for p in Procedure.objects.all())
    statuses = sorted(Application.objects.values_list("status", flat=True))
    assert statuses == sorted(
        [Status.COMPLETED, Status.CORRECTION_REQUESTED, Status.SUBMITTED, Status.RECEIVED]
    )
    counter = Application.objects.get(channel=Channel.COUNTER)
    assert counter.applicant is None and counter.resident is not None
    assert counter.data["requester_name"]["family"] == "駒ヶ根"
    demo.clear()
    assert not Application.objects.exists()
