"""Fixtures shared by every test package: staff with chosen grants, a registered resident."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import translation

from musubi import settings as configured
from musubi.platform.accounts import demo as accounts_demo
from musubi.platform.accounts.models import Department, PermissionGrant, Role, StaffMembership, User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Relationship, Resident


@pytest.fixture(autouse=True)
def _japanese_first():
    """Each test starts in Japanese: a request in English (LocaleMiddleware activates it for the
    thread) must not leave later tests' messages in English."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """Django's advice for test suites: the configured argon2 costs about 150 ms a hash, paid
    for every account a test makes and every password login. Argon2 stays accepted for
    hashes made elsewhere; ``test_resident_signup`` checks the real setting hashes with it."""
    settings.PASSWORD_HASHERS = [QUICK_HASHER, *configured.PASSWORD_HASHERS]


QUICK_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


def _staff(code: str, *grants: str, role: str = Role.CLERK) -> User:
    department, _ = Department.objects.get_or_create(
        code=code, defaults={"name": f"{code}課", "name_en": f"{code} division"}
    )
    email = f"{code}.{role}@city.example.jp"
    user = User.objects.create_user(username=email, email=email, password="long-enough-pass-1")
    StaffMembership.objects.create(user=user, department=department, role=role)
    for permission in grants:
        PermissionGrant.objects.get_or_create(
            department=department, role=role, permission=permission
        )
    return user


@pytest.fixture
def make_staff(db):
    """``make_staff(department_code, *granted_codes, role="clerk")`` → a staff user."""
    return _staff


@pytest.fixture
def signed_in(client):
    """``signed_in(user)``: the test client, logged in with the second factor passed."""

    def sign_in(user: User):
        client.force_login(user)
        session = client.session
        session["staff_mfa_passed"] = True
        session.save()
        return client

    return sign_in


@pytest.fixture
def small_city(db):
    """Four households in 中沢 (一郎 … 四郎) and the demo staff accounts: what the apps' demo
    seeds build on."""
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


@pytest.fixture
def register_resident(db):
    """``register_resident(given_name=..., birthdate=..., banchi=...)`` → a 世帯主 in 中沢."""
    return _register_head_in_nakazawa


def _register_head_in_nakazawa(
    given_name: str = "花子",
    given_name_kana: str = "ハナコ",
    birthdate: dt.date = dt.date(1989, 1, 7),
    sex: str = "2",
    banchi: str = "1234-5",
) -> Resident:
    """A 駒ヶ根 resident who moved in as 世帯主 of a new household at 中沢 ``banchi``."""
    residents.ensure_districts()
    address = residents.create_address(
        district=District.objects.get(name="中沢"),
        postal_code="399-4231",
        town="中沢",
        banchi=banchi,
    )
    person = residents.PersonDetails(
        family_name="駒ヶ根",
        given_name=given_name,
        family_name_kana="コマガネ",
        given_name_kana=given_name_kana,
        birthdate=birthdate,
        sex=sex,
    )
    return residents.move_in(
        person,
        household=residents.new_household(address),
        relationship=Relationship.HEAD,
        on=dt.date(2020, 4, 1),
    )
