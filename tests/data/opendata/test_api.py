"""/api/v1 for the open data catalogue: public datasets only, read-only, resources with links."""

from __future__ import annotations

import pytest

from musubi.data.maps import demo as maps_demo
from musubi.data.opendata import demo as opendata_demo
from musubi.platform.accounts import services as accounts

pytestmark = pytest.mark.django_db


def test_the_list_shows_public_datasets_only(client, make_dataset):
    make_dataset("aed", csv=b"a\r\n1\r\n", frequency="monthly")
    make_dataset("secret", public=False)
    body = client.get("/api/v1/opendata/datasets/").json()
    assert [d["name"] for d in body["results"]] == ["aed"]
    aed = body["results"][0]
    assert aed["organization"] == "kikakushinko"
    assert aed["frequency"] == "monthly" and aed["stale"] is False and aed["age_days"] == 0
    assert aed["url"].endswith("/opendata/dataset/aed/")
    assert client.get("/api/v1/opendata/datasets/secret/").status_code == 404


def test_the_detail_lists_resources_with_working_download_links(client, make_dataset):
    make_dataset("aed", csv=b"a\r\n1\r\n")
    body = client.get("/api/v1/opendata/datasets/aed/").json()
    (resource,) = body["resources"]
    assert resource["format"] == "CSV" and resource["generated"] is False
    download = client.get(resource["download_url"])
    assert download.status_code == 200 and download.content == b"a\r\n1\r\n"


def test_the_catalogue_is_read_only(client, make_dataset):
    make_dataset("aed")
    assert client.post("/api/v1/opendata/datasets/", {}).status_code == 405
    assert client.delete("/api/v1/opendata/datasets/aed/").status_code == 405


def test_standard_datasets_of_the_demo_are_generated_and_filterable(client):
    accounts.sync_reference_data()
    maps_demo.seed()
    opendata_demo.seed()
    body = client.get("/api/v1/opendata/datasets/", {"standard": "true", "page_size": 50}).json()
    numbers = sorted(d["standard_number"] for d in body["results"])
    assert numbers == ["01", "03", "04", "05", "06", "08", "11", "12"]
    events = client.get("/api/v1/opendata/datasets/202100-events/").json()
    (resource,) = events["resources"]
    assert resource["generated"] is True and resource["size"] > 0
    csv = client.get(resource["download_url"]).content.decode("utf-8-sig")
    assert "冬の星空観察会" in csv
    only_kodomo = client.get("/api/v1/opendata/datasets/", {"organization": "kodomo"}).json()
    assert {d["name"] for d in only_kodomo["results"]} >= {"202100-childcare-facilities"}
