"""In Chromium: a resident sets how notices reach them, meets the errors for a bad address, a
bad SMS code and two channels on one rank, refuses every digital channel (letters remain),
and unlinks LINE; axe on every state of the page, in
Japanese and English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from playwright.sync_api import expect

from musubi.platform.accounts.models import User
from musubi.platform.notify.models import NotifyPreference
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactPoint, District, Relationship, Resident

pytestmark = pytest.mark.browser

TEXT = {
    "ja": {
        "save": "受け取り方を保存する",
        "send": "確認メールを送る",
        "unlink": "LINEとの連携を解除する",
        "code": "コードを確かめる",
    },
    "en": {
        "save": "Save my choices",
        "send": "Send the confirmation email",
        "unlink": "Unlink LINE",
        "code": "Check the code",
    },
}


@pytest.fixture
def resident(transactional_db) -> Resident:
    residents.ensure_districts()
    address = residents.create_address(
        district=District.objects.get(code="nakazawa"), postal_code="399-4231", town="中沢",
        banchi="1",
    )  # fmt: skip
    person = residents.PersonDetails(
        "駒ヶ根", "花子", "コマガネ", "ハナコ", dt.date(1980, 1, 1), "2"
    )
    found = residents.move_in(
        person, household=residents.new_household(address), relationship=Relationship.HEAD,
        on=dt.date(2020, 1, 1),
    )  # fmt: skip
    ContactPoint.objects.create(resident=found, kind="line", value="U" + "b" * 32, verified=True)
    ContactPoint.objects.create(resident=found, kind="mobile", value="09012345678")
    return found


def _signed_in(new_context, live_server, resident: Resident, language: str):
    user = User.objects.create_user(
        username="hanako@example.jp", email="hanako@example.jp", password="browser-test-pass-1"
    )
    residents.link_account(user, resident, method="demo")
    client = Client()
    client.force_login(user)
    context = new_context(language)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    context.add_cookies([{**cookie, "url": live_server.url}])
    return context.new_page()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_choose_channels_add_an_address_and_unlink_line(
    resident, new_context, live_server, axe, language
):
    text = TEXT[language]
    page = _signed_in(new_context, live_server, resident, language)
    page.goto("/notices/preferences/")
    axe(page)

    page.fill("#new-email", "not-an-address")
    page.get_by_role("button", name=text["send"]).click()
    expect(page.locator("#new-email")).to_have_value("not-an-address")
    expect(page.locator("#new-email-error")).to_be_visible()
    axe(page)

    mobile = ContactPoint.objects.get(kind="mobile")
    page.fill(f"#code-{mobile.pk}", "12345")
    page.get_by_role("button", name=text["code"]).click()
    expect(page.locator(f"#code-{mobile.pk}")).to_have_value("12345")
    expect(page.locator(f"#code-error-{mobile.pk}")).to_be_visible()
    axe(page)

    page.select_option("#rank-email", "1")
    page.select_option("#rank-line", "1")
    page.get_by_role("button", name=text["save"]).click()
    expect(page.locator("#choice-error")).to_be_visible()
    expect(page.locator("#rank-email")).to_have_value("1")
    axe(page)

    for position, code in enumerate(["line", "webpush", "email", "sms"], 1):
        page.select_option(f"#rank-{code}", str(position))
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_role("button", name=text["save"]).click()
    expect(page.locator(".messages")).to_be_visible()
    assert NotifyPreference.objects.get().opted_out == ["email", "line", "sms", "webpush"]
    axe(page)

    page.get_by_role("button", name=text["unlink"]).click()
    assert not ContactPoint.objects.filter(kind="line").exists()
    expect(page.get_by_role("button", name=text["unlink"])).to_have_count(0)
    axe(page)
