"""The KPI dashboard shows the core KPI figures of the staff member's procedures only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import time_machine

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Channel, Status
from tests.citizen.procedures.backoffice import build_world, claim, sign_in

START = dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC)


def _at(hours: float):
    return time_machine.travel(START + dt.timedelta(hours=hours), tick=False)


def _fixture_world():
    """Three applications: two online, one at the counter; one completed after 10 hours."""
    world = build_world()
    with _at(0):
        fast = world.submit()
    with _at(2):
        fast = world.move(fast, Status.RECEIVED, Status.IN_REVIEW, Status.APPROVED)
    with _at(10):
        world.move(fast, Status.COMPLETED)
    with _at(1):
        slow = world.submit()
    with _at(5):
        world.move(slow, Status.RECEIVED)
    with _at(3):
        counter = services.start_application(
            world.procedure, applicant=None, channel=Channel.COUNTER, actor=world.clerk
        )
        services.submit(counter, claim(), actor=world.clerk)
    return world


def test_kpi_table_from_a_fixture(db, client):
    world = _fixture_world()
    response = sign_in(client, world.clerk).get("/procedures/staff/kpi/")
    assert response.status_code == 200
    row = dict(zip(response.context["headers"], response.context["table"][0], strict=True))
    assert row["手続"] == "児童手当 認定請求"
    assert row["申請件数"] == "3"
    assert row["オンライン"] == "2" and row["窓口"] == "1"
    assert row["オンライン率（%）"] == "66.7"
    assert row["完了件数"] == "1"
    assert row["完了まで 中央値（時間）"] == "10.0"
    assert row["初回対応まで 中央値（時間）"] == "3.0"  # 2 h and 4 h
    assert row["初回対応まで 90パーセンタイル（時間）"] == "4.0"
    page = response.content.decode()
    assert '<th scope="row">児童手当 認定請求</th>' in page


def test_kpi_csv_matches_the_table(db, client):
    world = _fixture_world()
    sign_in(client, world.clerk)
    table = client.get("/procedures/staff/kpi/").context["table"]
    body = client.get("/procedures/staff/kpi.csv").content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1] == table[0]


def test_other_departments_do_not_see_these_figures(db, client):
    world = _fixture_world()
    response = sign_in(client, world.outsider).get("/procedures/staff/kpi/")
    assert response.context["table"] == []
