"""Fixtures for the open data catalogue: organisations, datasets, a small registry, a server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from musubi.data.opendata import services
from musubi.data.opendata.models import Dataset, Group, Organization
from musubi.platform.accounts.models import Department
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Relationship


@pytest.fixture
def organization(db) -> Organization:
    """企画振興課 as an organisation (its department is created if missing)."""
    Department.objects.get_or_create(
        code="kikakushinko",
        defaults={"name": "企画振興課", "name_en": "Planning and Promotion Division"},
    )
    services.ensure_organizations()
    return Organization.objects.get(name="kikakushinko")


@pytest.fixture
def group(db) -> Group:
    return Group.objects.create(name="bosai", title="防災", title_en="Disaster prevention")


@pytest.fixture
def make_dataset(organization) -> Callable[..., Dataset]:
    """``make_dataset(name, csv=b"...", **fields)``: a dataset saved through the services."""

    def make(name: str, csv: bytes | None = None, organization=organization, **fields) -> Dataset:
        values = {"title": f"{name} のデータ", "description": "説明です。", **fields}
        dataset = services.save_dataset(
            services.DatasetFields(name=name, **values), organization=organization
        )
        if csv is not None:
            services.add_upload(dataset, name=f"{name} CSV", filename=f"{name}.csv", data=csv)
        return dataset

    return make


def _person(n: int, birthdate: dt.date, sex: str) -> residents.PersonDetails:
    return residents.PersonDetails(
        family_name="駒ヶ根",
        given_name=f"太郎{n}",
        family_name_kana="コマガネ",
        given_name_kana=f"タロウ{n}",
        birthdate=birthdate,
        sex=sex,
    )


@pytest.fixture
def populate(db) -> Callable[..., None]:
    """``populate(district_name, count, birthdate, sex)``: ``count`` people, one household each."""
    residents.ensure_districts()

    def add(district_name: str, count: int, birthdate: dt.date, sex: str = "1") -> None:
        district = District.objects.get(name=district_name)
        for n in range(count):
            address = residents.create_address(
                district=district, postal_code="399-4100", town=district.name, banchi=f"{n}"
            )
            residents.move_in(
                _person(n, birthdate, sex),
                household=residents.new_household(address),
                relationship=Relationship.HEAD,
                on=dt.date(2020, 4, 1),
            )

    return add


@pytest.fixture
def server(live_server) -> str:
    """The live server's base URL (pytest-django's threaded server over the test database)."""
    return live_server.url
