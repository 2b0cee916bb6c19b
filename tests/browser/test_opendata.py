"""The open data pages in a real browser: axe-core on the catalogue and a dataset page
(with its CSV preview table) in both languages, and a facet followed by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from musubi.data.opendata import services
from musubi.data.opendata.models import Organization
from musubi.platform.accounts.models import Department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(transactional_db) -> None:
    Department.objects.get_or_create(
        code="kikikanri", defaults={"name": "危機管理課", "name_en": "Crisis Management Division"}
    )
    services.ensure_organizations()
    fields = services.DatasetFields(
        name="shelters",
        title="指定緊急避難場所",
        title_en="Evacuation sites",
        description="避難場所の一覧です。",
        description_en="The evacuation sites.",
        tags=["bosai"],
        frequency="annual",
    )
    dataset = services.save_dataset(fields, organization=Organization.objects.get())
    csv = "名称,緯度,経度\r\n赤穂小学校,35.7262,137.9262\r\n".encode()
    services.add_upload(dataset, name="shelters.csv", filename="shelters.csv", data=csv)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_catalogue_and_dataset_pages_pass_axe(new_context, axe, published, language):
    page = new_context(language).new_page()
    page.goto("/opendata/")
    axe(page)
    page.get_by_role("link", name="bosai").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/opendata/?*tag=bosai*")
    title = "Evacuation sites" if language == "en" else "指定緊急避難場所"
    page.get_by_role("link", name=title).click()
    page.wait_for_url("**/opendata/dataset/shelters/")
    expect(page.get_by_role("cell", name="赤穂小学校")).to_be_visible()
    axe(page)
