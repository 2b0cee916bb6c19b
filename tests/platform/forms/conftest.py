"""Fixtures for the form engine: a resident linked to the registry, with two children."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from musubi.platform.accounts.models import User
from musubi.platform.forms import views
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Relationship


@pytest.fixture
def sample() -> dict:
    """A fresh copy of the demo definition dict (tests may change it)."""
    return copy.deepcopy(json.loads(views.SAMPLE_FORM.read_text(encoding="utf-8")))


@pytest.fixture
def resident_user(db) -> User:
    return User.objects.create_user(
        username="hanako@example.jp", email="hanako@example.jp", password="long-enough-pass-1"
    )


@pytest.fixture
def linked(resident_user, register_resident):
    """The user, linked to 駒ヶ根 花子 (世帯主, 1989-01-07) whose household has two children."""
    head = register_resident()
    for given, kana, born in (
        ("一郎", "イチロウ", dt.date(2015, 6, 1)),
        ("二葉", "フタバ", dt.date(2019, 3, 3)),
    ):
        residents.register_birth(
            residents.PersonDetails("駒ヶ根", given, "コマガネ", kana, born, "1"),
            household=head.household,
            relationship=Relationship.CHILD,
        )
    residents.link_account(resident_user, head, "demo")
    return head


@pytest.fixture
def resident_client(client, resident_user):
    client.force_login(resident_user)
    return client
