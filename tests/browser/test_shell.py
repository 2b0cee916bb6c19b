"""The shell in a real browser: axe-core on every page in both languages, the switches,
reflow at 320 CSS px, and keyboard access through the skip link."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, resolve, reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["ja", "en"]


def existing(*url_names: str) -> list[str]:
    """The paths of those pages whose apps are routed (pages not built yet are left out)."""
    paths = []
    for name in url_names:
        try:
            paths.append(reverse(name))
        except NoReverseMatch:
            continue
    return paths


def existing_with(url_name: str, pk: int) -> list[str]:
    try:
        return [reverse(url_name, args=[pk])]
    except NoReverseMatch:
        return []


def guard_of(path: str) -> list[str]:
    code = getattr(resolve(path.split("?")[0]).func, "staff_permission", None)
    return [code] if code else []


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_pass_axe(new_context, axe, language):
    page = new_context(language).new_page()
    paths = existing(
        "ui:home", "ui:accessibility", "accounts:login", "accounts:signup", "accounts:staff_login"
    )
    assert len(paths) >= 3
    for path in [*paths, "/no-such-page/"]:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == language, path
        axe(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_page_passes_axe(resident_context, axe, language):
    page = resident_context(language).new_page()
    page.goto(reverse("ui:mypage"))
    assert page.locator("h1").inner_text() == ("マイページ" if language == "ja" else "My page")
    axe(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_pages_pass_axe_after_real_totp_login(
    new_context, axe, make_staff, staff_login, registry_resident, language
):
    paths = existing("ui:staff_dashboard", "residents:search", "residents:import", "audit:list")
    paths += existing_with("residents:resident", registry_resident.pk)
    paths += existing_with("residents:household", registry_resident.household_id)
    if "residents:search" in [resolve(p).view_name for p in paths]:
        paths.append(reverse("residents:search") + "?name=駒ヶ根")
    codes = [code for path in paths for code in guard_of(path)]
    user, secret = make_staff(*codes)
    page = new_context(language).new_page()
    staff_login(page, user, secret)
    assert page.locator(".staff-bar").inner_text().count("clerk@city.example.jp") == 1
    for path in paths:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == language, path
        axe(page)


def test_language_switch_works_without_javascript(new_context):
    page = new_context("ja", java_script_enabled=False).new_page()
    page.goto(reverse("ui:accessibility"))
    assert page.locator("html").get_attribute("lang") == "ja"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("ui:accessibility"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Accessibility policy"
    page.get_by_role("button", name="日本語").click()
    assert page.locator("h1").inner_text() == "アクセシビリティ方針"


def font_size(page, selector: str) -> float:
    return page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)")


def test_text_size_switch_scales_the_page(page):
    page.goto("/")
    standard_root, standard_heading = font_size(page, "html"), font_size(page, "h1")
    page.get_by_role("button", name="特大").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="特大").get_attribute("aria-pressed") == "true"
    assert font_size(page, "html") == pytest.approx(standard_root * 1.5)
    assert font_size(page, "h1") == pytest.approx(standard_heading * 1.5)
    page.get_by_role("button", name="大", exact=True).click()
    assert font_size(page, "html") == pytest.approx(standard_root * 1.25)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("text_size", ["m", "xl"])
def test_no_horizontal_scroll_at_320px(
    new_context, make_staff, staff_login, live_server, text_size
):
    context = new_context("en", viewport={"width": 320, "height": 640})
    context.add_cookies([{"name": "text_size", "value": text_size, "url": live_server.url}])
    page = context.new_page()
    page.goto("/")
    assert no_horizontal_scroll(page), "home page scrolls sideways at 320px"
    user, secret = make_staff()
    staff_login(page, user, secret)
    assert no_horizontal_scroll(page), "staff dashboard scrolls sideways at 320px"


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.hash]")
    assert focused == ["skip-link", "#main"]
    expect(page.locator(".skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
