"""The synthetic city: deterministic, and shaped like Komagane."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from musubi.platform.residents import demo, services
from musubi.platform.residents.models import Household, Resident


def test_same_seed_same_people(city):
    today = dt.date(2025, 4, 1)
    first = demo.CityBuilder(7, today).build(300, 20)
    again = demo.CityBuilder(7, today).build(300, 20)
    other = demo.CityBuilder(8, today).build(300, 20)
    assert [r.__dict__ for r in first[:50]] == [r.__dict__ for r in again[:50]]
    assert [r.family_name for r in first[:50]] != [r.family_name for r in other[:50]]
    assert len(first) == 300 and sum(r.nationality != "JP" for r in first) == 20


@pytest.mark.django_db(transaction=False)
def test_full_demo_city_proportions(city):
    """The one full-size run (a few seconds): counts, 65+ share, foreign residents, consistency."""
    counts = demo.generate(seed=202100)
    assert counts["residents"] == 32_000
    assert 12_500 <= counts["households"] <= 13_500
    today = timezone.localdate()
    living = Resident.objects.filter(status="active")
    total = living.count()
    elderly = sum(
        1
        for born in living.values_list("birthdate", flat=True)
        if (today.year - born.year - ((today.month, today.day) < (born.month, born.day))) >= 65
    )
    assert abs(elderly / total - 0.317) <= 0.01
    assert abs(living.exclude(nationality="JP").count() - 640) <= 5
    assert (
        len(set(living.exclude(nationality="JP").values_list("preferred_language", flat=True))) >= 8
    )
    assert not Household.objects.filter(head__isnull=True).exists()
    assert services.residents_on(today).count() == total
    picked = demo.demo_residents(3)
    assert len(picked) == 3 and all(not r.contacts.filter(kind="email") for r in picked)
    assert demo.has_population()
    demo.clear()
    assert not demo.has_population()
