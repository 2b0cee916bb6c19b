"""Fixtures for the circular board: a small 中沢 with households in 組 1 and 2, a 区長 and a
組長, and residents signed in through accounts linked to the registry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone, translation

from musubi.community.circulars import leaders, services
from musubi.community.circulars.leaders import Area
from musubi.platform.accounts.models import User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Kumi, Relationship, Resident


@dataclass
class Town:
    """中沢 with four households: 組1 (Aoki with two members, Baba), 組2 (Chiba), and one
    household in 東伊那 that no 中沢 circular may reach."""

    district: District
    kumi1: Kumi
    kumi2: Kumi
    aoki: Resident
    aoki_child: Resident
    baba: Resident
    chiba: Resident
    outsider: Resident
    kucho: Resident
    kumicho: Resident


def _person(family: str, given: str, birth: dt.date) -> residents.PersonDetails:
    return residents.PersonDetails(
        family_name=family,
        given_name=given,
        family_name_kana="テスト",
        given_name_kana="テスト",
        birthdate=birth,
        sex="1",
    )


def _head(district: District, kumi: Kumi | None, family: str, banchi: str) -> Resident:
    address = residents.create_address(
        district=district, kumi=kumi, postal_code="399-4231", town=district.name, banchi=banchi
    )
    return residents.move_in(
        _person(family, "太郎", dt.date(1970, 5, 1)),
        household=residents.new_household(address),
        relationship=Relationship.HEAD,
        on=dt.date(2020, 4, 1),
    )


def _member(head: Resident, given: str) -> Resident:
    return residents.move_in(
        _person(head.family_name, given, dt.date(2000, 6, 1)),
        household=head.household,
        relationship=Relationship.CHILD,
        on=dt.date(2020, 4, 1),
    )


@pytest.fixture
def town(db) -> Town:
    residents.ensure_districts()
    nakazawa = District.objects.get(code="nakazawa")
    kumi1, kumi2 = (
        Kumi.objects.get(district=nakazawa, number=1),
        Kumi.objects.get(district=nakazawa, number=2),
    )
    aoki = _head(nakazawa, kumi1, "青木", "1")
    baba = _head(nakazawa, kumi1, "馬場", "2")
    chiba = _head(nakazawa, kumi2, "千葉", "3")
    outsider = _head(District.objects.get(code="higashiina"), None, "外山", "4")
    start = timezone.localdate() - dt.timedelta(days=30)
    leaders.appoint(
        chiba, role="kucho", district=nakazawa, kumi=None, term_start=start, term_end=None, by=None
    )
    leaders.appoint(
        baba,
        role="kumicho",
        district=nakazawa,
        kumi=kumi1,
        term_start=start,
        term_end=None,
        by=None,
    )
    return Town(
        nakazawa, kumi1, kumi2, aoki, _member(aoki, "花子"), baba, chiba, outsider, chiba, baba
    )


@pytest.fixture
def account():
    """``account(resident)`` → a login linked to the resident's registry record."""

    def make(resident: Resident) -> User:
        linked = User.objects.filter(resident_link__resident=resident).first()
        if linked:
            return linked
        email = f"r{resident.pk}@example.jp"
        user = User.objects.create_user(username=email, email=email, password="long-enough-pass-1")
        residents.link_account(user, resident, method="demo")
        return user

    return make


@pytest.fixture
def post_circular(town, account):
    """``post_circular(targets=[Area…], questions=[…], due=date, by=resident)`` as the 区長."""

    def make(targets=None, questions=(), due=None, by=None, titles=None, **extra):
        poster = by or town.kucho
        user = account(poster)
        draft = services.Draft(
            titles=titles or {"ja": "草刈りのお知らせ", "en": "Grass cutting"},
            bodies={"ja": "6月1日に草刈りを行います。", "en": "We cut the grass on 1 June."},
            targets=targets or [Area(town.district.pk)],
            due_date=due or timezone.localdate() + dt.timedelta(days=7),
            questions=list(questions),
            **extra,
        )
        return services.post(draft, by=user, where=leaders.jurisdiction_of(user))

    return make


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Attachments go to a throwaway directory."""
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


@pytest.fixture
def resident_client(client, account):
    """``resident_client(resident)``: the test client signed in as that resident."""

    def sign_in(resident: Resident):
        client.force_login(account(resident))
        return client

    return sign_in


@pytest.fixture(autouse=True)
def japanese():
    """Service-level assertions read Japanese: an English page test must not leak into them."""
    with translation.override("ja"):
        yield
