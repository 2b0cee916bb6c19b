"""Dataset 01 公共施設一覧 from the booking facilities (issue 6): one row per facility with a
position, the rooms named in 説明; the facilities layer when no booking facility has one."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from musubi.citizen.bookings.models import Kind, Resource
from musubi.data.maps import demo as maps_demo
from musubi.data.opendata import standard, tables
from musubi.platform.accounts.models import Department

pytestmark = pytest.mark.django_db


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _room(code: str, name: str, **place) -> Resource:
    department = Department.objects.get_or_create(
        code="shakaikyoiku", defaults={"name": "社会教育課"}
    )[0]
    return Resource.objects.create(
        code=code, kind=Kind.ROOM, name_ja=name, department=department, **place
    )


HALL = {
    "address": "長野県駒ヶ根市赤須町20-2",
    "latitude": Decimal("35.729300"),
    "longitude": Decimal("137.933100"),
}


def test_booking_rooms_with_a_position_make_one_row_per_facility():
    maps_demo.seed()
    _room("hall-1", "中央公民館 第1会議室", **HALL)
    _room("hall-2", "中央公民館 和室", **HALL)
    _room("no-position", "どこかの集会所 ホール")
    before = standard.generator("facilities").version()
    data = standard.generate("facilities")
    assert tables.validate("facilities", data) == []
    (row,) = _rows(data)
    assert row["名称"] == "中央公民館"
    assert row["ID"] == "202100-hall-1"
    assert (row["所在地_町字"], row["所在地_番地以下"]) == ("赤須町", "20-2")
    assert (row["緯度"], row["経度"]) == ("35.7293", "137.9331")
    assert row["説明"] == "第1会議室、和室"
    _room("gym", "総合体育館 アリーナ", address="長野県駒ヶ根市赤穂1100-1",
          latitude=Decimal("35.7372"), longitude=Decimal("137.9204"))  # fmt: skip
    assert standard.generator("facilities").version() != before


def test_without_positioned_booking_facilities_the_layer_is_used():
    maps_demo.seed()
    _room("no-position", "どこかの集会所 ホール")
    rows = _rows(standard.generate("facilities"))
    assert len(rows) > 1 and "どこかの集会所" not in {r["名称"] for r in rows}
