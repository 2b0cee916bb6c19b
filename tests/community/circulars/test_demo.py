"""The demo: a 組長 who can log in, two circulars in 中沢 with reads and replies, once."""

from __future__ import annotations

import datetime as dt

import pytest

from musubi.community.circulars import demo, leaders
from musubi.community.circulars.models import Circular, Leader, Read
from musubi.platform.accounts import demo as accounts_demo
from musubi.platform.accounts.models import User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Kumi, Relationship


@pytest.fixture
def kumi1(db):
    residents.ensure_districts()
    kumi = Kumi.objects.get(district=District.objects.get(code="nakazawa"), number=1)
    for n in range(6):
        address = residents.create_address(
            district=kumi.district, kumi=kumi, postal_code="399-4231", town="中沢", banchi=str(n)
        )
        person = residents.PersonDetails(
            "中沢", f"{n}郎", "ナカザワ", "ロウ", dt.date(1960, 1, 1), "1"
        )
        residents.move_in(
            person,
            household=residents.new_household(address),
            relationship=Relationship.HEAD,
            on=dt.date(2020, 1, 1),
        )
    return kumi


def test_seed_makes_a_leader_login_and_circulars_once(kumi1):
    counts = demo.seed()
    assert counts["circulars"] == 2
    assert set(Leader.objects.values_list("role", flat=True)) == {"kucho", "kumicho"}
    user = User.objects.get(email=demo.leader_email())
    assert user.check_password(accounts_demo.DEMO_PASSWORD)
    assert leaders.jurisdiction_of(user).covers(leaders.Area(kumi1.district_id, kumi1.pk))
    assert Read.objects.exists()
    assert demo.seed() == {}
    assert Circular.objects.count() == 2
    demo.clear()
    assert not Leader.objects.exists()
