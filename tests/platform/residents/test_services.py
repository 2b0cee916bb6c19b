"""The registry's write path and its history: who lived where on a given date."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from musubi.platform.events.services import subscribe
from musubi.platform.residents import services
from musubi.platform.residents.models import District, EventKind, Kumi, Status
from musubi.platform.residents.services import RegistryError


def test_city_file_facts_and_districts_are_idempotent(db):
    city = services.load_city()
    assert city["code"] == "202100"
    assert city["city_hall"]["latitude"] == 35.72888889
    first = services.ensure_districts()
    again = services.ensure_districts()
    assert first == again
    assert first["districts"] == 16
    assert District.objects.filter(area="akaho").count() == 14
    assert Kumi.objects.filter(district__name="中沢").count() == 24


def test_history_answers_who_lived_where_on_a_date(family, make_household):
    head, child = family["head"], family["child"]
    old_address = family["household"].address
    new_home = make_household(district="中沢", kumi=2, town="中沢", banchi="5")
    services.relocate(family["household"], address=new_home.address, on=dt.date(2020, 1, 10))
    services.move_out(child, on=dt.date(2023, 3, 31), destination="東京都")

    assert services.address_of(head, dt.date(2019, 12, 31)) == old_address
    assert services.address_of(head, dt.date(2020, 1, 10)) == new_home.address
    assert services.address_of(child, dt.date(2011, 1, 1)) is None
    assert services.address_of(child, dt.date(2024, 1, 1)) is None
    on_2011 = set(services.residents_on(dt.date(2011, 1, 1)))
    assert on_2011 == {head, family["wife"]}
    assert child in services.residents_on(dt.date(2022, 1, 1))
    assert child not in services.residents_on(dt.date(2023, 3, 31))
    kinds = [e.kind for e in services.history(child)]
    assert kinds == [EventKind.BIRTH, EventKind.RELOCATE, EventKind.MOVE_OUT]


def test_death_rules(family):
    child = family["child"]
    with pytest.raises(RegistryError, match="死亡日が生年月日より前です"):
        services.register_death(child, on=dt.date(2011, 1, 1))
    with time_machine.travel(dt.datetime(2025, 1, 1, 12)):
        with pytest.raises(RegistryError, match="未来の日付"):
            services.register_death(child, on=dt.date(2025, 6, 1))
        services.register_death(family["head"], on=dt.date(2024, 12, 1))
    family["head"].refresh_from_db()
    assert family["head"].status == Status.DECEASED
    family["household"].refresh_from_db()
    assert family["household"].head is None
    with pytest.raises(RegistryError, match="既に死亡として記録されています"):
        services.register_death(family["head"], on=dt.date(2024, 12, 2))


def test_moving_out_twice_is_refused(family):
    services.move_out(family["wife"], on=dt.date(2020, 1, 1))
    with pytest.raises(RegistryError, match="既に転出しています"):
        services.move_out(family["wife"], on=dt.date(2021, 1, 1))


def test_event_before_last_event_is_refused(family):
    with pytest.raises(RegistryError, match="最後の異動"):
        services.move_out(family["child"], on=dt.date(2012, 1, 1))


def test_household_rules(family, make_household, make_person):
    person = make_person
    household = family["household"]
    with pytest.raises(RegistryError, match="既に世帯主がいます"):
        services.move_in(
            person(given="次郎"), household=household, relationship="世帯主", on=dt.date(2020, 1, 1)
        )
    empty = make_household()
    with pytest.raises(RegistryError, match="世帯主がいません"):
        services.move_in(
            person(given="次郎"), household=empty, relationship="子", on=dt.date(2020, 1, 1)
        )
    with pytest.raises(RegistryError, match="国籍コード"):
        services.move_in(
            person(nationality="XX"), household=empty, relationship="世帯主", on=dt.date(2020, 1, 1)
        )
    services.change_household(
        family["child"], household=empty, relationship="世帯主", on=dt.date(2030 - 5, 1, 1)
    )
    empty.refresh_from_db()
    assert empty.head == family["child"]
    assert services.history(family["child"]).last().kind == EventKind.HOUSEHOLD_CHANGE


def test_changes_publish_events(family, django_capture_on_commit_callbacks):
    seen = []

    @subscribe("residents.moved_out")
    def remember(**payload):
        seen.append(payload)

    with django_capture_on_commit_callbacks(execute=True):
        services.move_out(family["wife"], on=dt.date(2020, 2, 3))
    assert {"resident_id": family["wife"].pk, "effective_on": "2020-02-03"}.items() <= seen[
        -1
    ].items()
