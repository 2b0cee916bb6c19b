"""A small town for the hub's tests: households in two 区, with and without email."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from musubi.devtools.peers.sms import SmsPeer
from musubi.platform.accounts.models import Department
from musubi.platform.api.models import ApiToken
from musubi.platform.notify import services
from musubi.platform.notify.models import Template
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactPoint, District, Household, Relationship


@dataclass
class Town:
    """Households: ``nakazawa`` (2 people, both email), ``higashi`` (1, email), ``paper``
    (1, no address) and ``unverified`` (1, unverified email only)."""

    households: dict[str, Household]

    def members(self, name: str) -> list:
        return list(self.households[name].members.order_by("id"))


def _person(given: str, birthdate: dt.date, language: str = "ja") -> residents.PersonDetails:
    return residents.PersonDetails(
        family_name="駒ヶ根",
        given_name=given,
        family_name_kana="コマガネ",
        given_name_kana="テスト",
        birthdate=birthdate,
        sex="2",
    )


def _household(district: str, banchi: str, kumi: int | None = None):
    district_row = District.objects.get(name=district)
    kumi_row = district_row.kumi.filter(number=kumi).first() if kumi else None
    address = residents.create_address(
        district=district_row,
        postal_code="399-4231",
        town=district,
        banchi=banchi,
        kumi=kumi_row,
    )
    return residents.new_household(address)


def _move_in(household, given, birthdate, relationship=Relationship.HEAD, email="", verified=True):
    person = residents.move_in(
        _person(given, birthdate),
        household=household,
        relationship=relationship,
        on=max(dt.date(2020, 4, 1), birthdate),
    )
    if email:
        ContactPoint.objects.create(resident=person, kind="email", value=email, verified=verified)
    return person


@pytest.fixture
def town(db) -> Town:
    residents.ensure_districts()
    nakazawa = _household("中沢", "1-1", kumi=1)
    _move_in(nakazawa, "一郎", dt.date(1950, 5, 1), email="ichiro@example.jp")
    _move_in(
        nakazawa,
        "花",
        dt.date.today() - dt.timedelta(days=400),
        Relationship.CHILD,
        email="hana@example.jp",
    )
    higashi = _household("東伊那", "2-2")
    _move_in(higashi, "次郎", dt.date(1985, 1, 1), email="jiro@example.jp")
    paper = _household("東伊那", "3-3")
    _move_in(paper, "三郎", dt.date(1940, 1, 1))
    unverified = _household("中沢", "4-4")
    _move_in(unverified, "四郎", dt.date(1990, 1, 1), email="shiro@example.jp", verified=False)
    return Town(
        {"nakazawa": nakazawa, "higashi": higashi, "paper": paper, "unverified": unverified}
    )


@pytest.fixture
def template(db) -> Template:
    return services.save_template(
        Template(
            code="water-stop",
            name="断水のお知らせ",
            subjects={"ja": "断水のお知らせ（{date}）", "en": "Water outage ({date})"},
            bodies={
                "ja": "{date}に{area}で断水します。",
                "en": "Water is off in {area} on {date}.",
            },
            placeholders=["date", "area"],
        )
    )


@pytest.fixture
def somu(db) -> Department:
    return Department.objects.get_or_create(
        code="somu", defaults={"name": "総務課", "name_en": "General Affairs"}
    )[0]


@pytest.fixture
def compose(template, somu):
    """``compose(audience={"kind": "all"}, **options)`` → a message due now."""

    def make(audience=None, **options):
        values = options.pop("values", {"date": "6月1日", "area": "中沢"})
        return services.compose(
            template=options.pop("template", template),
            values=values,
            audience={"kind": "all"} if audience is None else audience,
            created_by=None,
            department=somu,
            **options,
        )

    return make


@pytest.fixture
def token(db, somu):
    def issue(*scopes: str) -> str:
        _token, key = ApiToken.issue(f"t-{len(scopes)}-{'-'.join(scopes)}", list(scopes), somu)
        return f"Bearer {key}"

    return issue


@pytest.fixture
def sms_peer(settings):
    """A local gateway speaking the Twilio Messages API, as the SMS channel's provider."""
    with SmsPeer() as running:
        settings.SMS_API_URL = running.url
        settings.SMS_ACCOUNT_SID = running.account_sid
        settings.SMS_AUTH_TOKEN = running.auth_token
        settings.SMS_FROM = "+815012345678"
        yield running
