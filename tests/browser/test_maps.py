"""The map in a real browser: Leaflet from the django-leaflet package draws the demo layers,
a marker's popup leads to the feature's page, and axe-core passes the map and list pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from musubi.data.maps import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def layers(transactional_db, settings) -> None:
    # no tile server is reachable from the test machine; a local URL keeps requests on the host
    settings.MAP_TILE_URL = "/static/maps/no-tiles/{z}/{x}/{y}.png"
    demo.seed()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_map_draws_layers_and_passes_axe(new_context, axe, layers, language):
    page = new_context(language).new_page()
    page.goto("/maps/?layer=aeds")
    page.locator("#map.leaflet-container").wait_for()
    markers = page.locator("#map path.leaflet-interactive")
    markers.first.wait_for()
    expect(markers).to_have_count(8)  # the 8 demo AEDs, only the ticked layer shown
    axe(page)
    markers.first.click(force=True)
    details = "Details" if language == "en" else "詳しく見る"
    page.locator(".leaflet-popup").get_by_role("link", name=details).click()
    page.wait_for_url("**/maps/features/*/")
    axe(page)


def test_layer_switcher_adds_a_layer_without_reload(page, axe, layers):
    page.goto("/maps/?layer=aeds")
    markers = page.locator("#map path.leaflet-interactive")
    markers.first.wait_for()
    page.get_by_label("観光スポット").check()
    page.wait_for_function("document.querySelectorAll('#map path.leaflet-interactive').length > 8")
    assert markers.count() == 8 + 7


def test_list_page_passes_axe(page, axe, layers):
    page.goto("/maps/list/?q=光前寺")
    expect(page.get_by_role("link", name="光前寺")).to_be_visible()
    axe(page)


def test_layer_management_pages_pass_axe(page, axe, layers, make_staff, staff_login):
    user, secret = make_staff("maps.manage_layers", "maps.view_internal")
    staff_login(page, user, secret)
    page.goto("/maps/staff/layers/new/")
    axe(page)
    page.get_by_label("コード").fill("notice-boards")
    page.get_by_label("名称", exact=True).fill("掲示板")
    page.get_by_label("英語名称").fill("Notice boards")
    page.get_by_label("所管課").select_option(label="市民課")
    page.get_by_label("図形の種類").select_option("Point")
    page.get_by_label("色").fill("red")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_text("#0031d8 のように # と6桁の16進数で入力してください。")).to_be_visible()
    axe(page)  # the form with its errors
    page.get_by_label("色").fill("#336699")
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url("**/maps/staff/layers/")
    expect(page.get_by_role("rowheader", name="掲示板")).to_be_visible()
    axe(page)
    page.goto("/maps/staff/layers/notice-boards/delete/")
    axe(page)
    page.get_by_role("button", name="削除する").click()
    page.wait_for_url("**/maps/staff/layers/")
    expect(page.get_by_text("所管課のレイヤはまだありません。")).to_be_visible()
