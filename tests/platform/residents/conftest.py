"""Small registry fixtures: the city's 区 and 組, a household or two, and signed-in staff."""

from __future__ import annotations

import datetime as dt

import pytest

from musubi.platform.residents import services
from musubi.platform.residents.models import District, Household
from musubi.platform.residents.services import PersonDetails


@pytest.fixture
def city(db):
    services.ensure_districts()
    return {d.name: d for d in District.objects.all()}


@pytest.fixture
def make_household(city):
    """``make_household(district="南割", kumi=1, town="赤穂", banchi="123-4")``: an empty 世帯."""

    def make(district: str = "南割", kumi: int = 1, town: str = "赤穂", banchi: str = "123-4"):
        place = city[district]
        address = services.create_address(
            district=place,
            kumi=place.kumi.get(number=kumi),
            postal_code="399-4117",
            town=town,
            banchi=banchi,
        )
        return services.new_household(address)

    return make


def person(
    family="山田", given="太郎", kana=("ヤマダ", "タロウ"), born=dt.date(1980, 4, 1), **extra
):
    return PersonDetails(
        family_name=family,
        given_name=given,
        family_name_kana=kana[0],
        given_name_kana=kana[1],
        birthdate=born,
        sex=extra.pop("sex", "1"),
        **extra,
    )


@pytest.fixture
def make_person():
    """``make_person(family=..., given=..., kana=(..., ...), born=date, sex="1", ...)``."""
    return person


@pytest.fixture
def family(make_household):
    """世帯主 山田太郎 (moved in 2010-04-01), 妻 花子, 子 一郎 (born 2012-05-05)."""
    household: Household = make_household()
    head = services.move_in(
        person(), household=household, relationship="世帯主", on=dt.date(2010, 4, 1)
    )
    wife = services.move_in(
        person(given="花子", kana=("ヤマダ", "ハナコ"), born=dt.date(1982, 6, 1), sex="2"),
        household=household,
        relationship="妻",
        on=dt.date(2010, 4, 1),
    )
    child = services.register_birth(
        person(given="一郎", kana=("ヤマダ", "イチロウ"), born=dt.date(2012, 5, 5)),
        household=household,
    )
    household.refresh_from_db()
    return {"household": household, "head": head, "wife": wife, "child": child}


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
