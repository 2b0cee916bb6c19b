import datetime as dt

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from musubi.platform.accounts import demo
from musubi.platform.accounts.models import StaffMembership, User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import AccountLink, District, Relationship


@pytest.fixture
def three_households(db):
    residents.ensure_districts()
    district = District.objects.get(name="中沢")
    for number, given in enumerate(["一郎", "二郎", "三郎"], start=1):
        address = residents.create_address(
            district=district, postal_code="399-4231", town="中沢", banchi=f"{number}00"
        )
        residents.move_in(
            residents.PersonDetails(
                family_name="駒ヶ根",
                given_name=given,
                family_name_kana="コマガネ",
                given_name_kana="イチロウ",
                birthdate=dt.date(1980, 5, number),
                sex="1",
            ),
            household=residents.new_household(address),
            relationship=Relationship.HEAD,
            on=dt.date(2015, 4, 1),
        )


def test_seed_is_idempotent_and_complete(three_households):
    counts = demo.seed_accounts()
    again = demo.seed_accounts()
    assert counts == again
    assert counts["staff logins"] == 16 + 3
    assert counts["resident logins"] == 3
    assert StaffMembership.objects.filter(role="clerk").count() == 16
    admin = User.objects.get(email="somu.administrator@demo.musubi.example")
    assert admin.memberships.get().role == "administrator"
    assert AccountLink.objects.filter(user__email__startswith="resident").count() == 3
    emails = [login.email for login in demo.demo_logins()]
    assert "shimin.clerk@demo.musubi.example" in emails
    assert "shimin.head@demo.musubi.example" in emails
    assert User.objects.filter(email__in=emails).count() == len(emails)


def test_demo_staff_can_log_in_with_the_printed_code(client, three_households, capsys):
    demo.seed_accounts()
    call_command("demo_totp")
    code = capsys.readouterr().out.strip()
    assert code == pyotp.TOTP(demo.DEMO_TOTP_SECRET).now()
    client.post(
        reverse("accounts:staff_login"),
        {"email": "shimin.supervisor@demo.musubi.example", "password": demo.DEMO_PASSWORD},
    )
    response = client.post(reverse("accounts:staff_mfa"), {"code": code})
    assert response.url == "/staff/"
    assert client.session["staff_mfa_passed"]


def test_demo_resident_can_log_in(client, three_households):
    demo.seed_accounts()
    response = client.post(
        reverse("accounts:login"),
        {"email": "resident1@demo.musubi.example", "password": demo.DEMO_PASSWORD},
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_demo_totp_refuses_without_demo_accounts(db):
    with pytest.raises(CommandError, match="only works on a demo instance"):
        call_command("demo_totp")


def test_demo_password_is_long_enough():
    assert len(demo.DEMO_PASSWORD) >= 10
