"""Linking a resident's login to their registry record by verified name, birthdate and address."""

from __future__ import annotations

import datetime as dt

import pytest

from musubi.platform.accounts.models import User
from musubi.platform.residents import services
from musubi.platform.residents.models import AccountLink

BORN = dt.date(1980, 4, 1)


@pytest.mark.parametrize(
    "address",
    [
        "赤穂123-4",
        "長野県駒ヶ根市赤穂１２３番地４",
        "駒ケ根市赤穂123番地の4 コーポ赤穂101",
        "赤穂123−4",
    ],
)
def test_match_tolerates_how_the_address_is_written(family, address):
    found = services.match_resident(
        family_name="山田", given_name="太郎", birthdate=BORN, address=address
    )
    assert found == family["head"]


def test_no_match_on_other_address_birthdate_or_name(family):
    assert (
        services.match_resident(
            family_name="山田", given_name="太郎", birthdate=BORN, address="赤穂124-4"
        )
        is None
    )
    assert (
        services.match_resident(
            family_name="山田",
            given_name="太郎",
            birthdate=dt.date(1980, 4, 2),
            address="赤穂123-4",
        )
        is None
    )
    assert (
        services.match_resident(
            family_name="山田", given_name="次郎", birthdate=BORN, address="赤穂123-4"
        )
        is None
    )


def test_two_matches_are_ambiguous(family, make_household, make_person):
    twin_home = make_household()
    services.move_in(
        make_person(), household=twin_home, relationship="世帯主", on=dt.date(2015, 1, 1)
    )
    assert (
        services.match_resident(
            family_name="山田", given_name="太郎", birthdate=BORN, address="赤穂123-4"
        )
        is None
    )


def test_link_and_look_up(family):
    user = User.objects.create_user(
        username="t@example.jp", email="t@example.jp", password="x" * 12
    )
    assert services.resident_for(user) is None
    link = services.link_account(user, family["head"], "oidc")
    assert services.resident_for(user) == family["head"]
    services.link_account(user, family["wife"], "counter")
    assert AccountLink.objects.get(pk=link.pk).resident == family["wife"]
    with pytest.raises(services.RegistryError):
        services.link_account(user, family["wife"], "telepathy")
    services.move_out(family["child"], on=dt.date(2020, 1, 1))
    with pytest.raises(services.RegistryError, match="住民でない記録"):
        services.link_account(user, family["child"], "oidc")
