"""The form engine's try page in a real browser, in Japanese and English: axe on every step
(with errors shown too), the error summary's links, adding a row without JavaScript, review."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from musubi.platform.accounts.models import User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Relationship

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def linked_page(resident_context, register_resident):
    """``linked_page(language)``: a page whose resident is linked to a registry household."""

    def open_page(language: str):
        context = resident_context(language)
        head = register_resident()
        residents.register_birth(
            residents.PersonDetails(
                "駒ヶ根", "一郎", "コマガネ", "イチロウ", dt.date(2016, 5, 5), "1"
            ),
            household=head.household,
            relationship=Relationship.CHILD,
        )
        residents.link_account(User.objects.get(email="r@example.jp"), head, "demo")
        return context.new_page()

    return open_page


@pytest.mark.parametrize("language", ["ja", "en"])
def test_try_form_passes_axe_on_every_step(linked_page, axe, language):
    page = linked_page(language)
    page.goto("/forms/try/")
    assert page.locator("html").get_attribute("lang") == language
    assert "駒ヶ根 花子" in page.locator("main").inner_text()
    axe(page)

    page.fill("#f-phone", "12")
    page.locator("main form .actions button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    axe(page)
    summary.locator("a").first.click()
    assert page.evaluate("document.activeElement.id") == "f-phone"
    expect(page.locator("#f-phone")).to_have_value("12")

    page.fill("#f-phone", "0265-83-2111")
    page.check("#f-has_spouse-1")
    page.locator("main form .actions button[type=submit]").click()
    page.wait_for_url("**/forms/try/step/children/")
    axe(page)
    page.locator("button[value='add:children']").click()
    expect(page.locator("#f-children-1-name-family")).to_be_visible()
    axe(page)
    page.locator("button[value='remove:children:1']").click()
    page.check("#f-children-0-living_together-0")
    page.locator("main form .actions button[type=submit]").click()

    page.wait_for_url("**/forms/try/step/payment/")
    page.fill("#f-bank_account-bank_code", "0143")
    page.fill("#f-bank_account-branch_code", "557")
    page.select_option("#f-bank_account-account_type", "1")
    page.fill("#f-bank_account-number", "1234567")
    page.fill("#f-bank_account-holder", "コマガネ ハナコ")
    axe(page)
    page.locator("main form .actions button[type=submit]").click()
    page.wait_for_url("**/forms/try/step/confirm/")
    page.check("#f-income_consent")
    page.locator("main form .actions button[type=submit]").click()

    page.wait_for_url("**/forms/try/review/")
    assert "ｺﾏｶﾞﾈ ﾊﾅｺ" in page.locator("main").inner_text()
    axe(page)
    page.locator("main form button[type=submit]").click()
    assert '"number": "1234567"' in page.locator("#final-data").inner_text()
    axe(page)
