"""Public pages (catalogue, dataset, download) and staff pages (create, edit, upload)."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from musubi.data.opendata.models import Dataset

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")


@pytest.fixture
def catalogue(make_dataset, group):
    make_dataset(
        "aed",
        csv="名称,緯度\r\n市役所,35.72\r\n公民館,35.70\r\n".encode(),
        tags=["防災"],
        title="AED設置箇所一覧",
        title_en="AED locations",
        description_en="Where the AEDs are.",
    )
    make_dataset("budget", tags=["財政"], title="予算", title_en="Budget", description_en="Money.")
    make_dataset("draft", public=False, title="下書き")


def test_the_catalogue_searches_and_shows_facets(client, catalogue):
    page = client.get("/opendata/").content.decode()
    assert "AED設置箇所一覧" in page and "予算" in page and "下書き" not in page
    assert "2件のデータセット" in page
    assert 'href="?q=&amp;tag=%E9%98%B2%E7%81%BD"' in page  # the 防災 tag facet
    found = client.get("/opendata/", {"q": "AED"}).content.decode()
    assert "AED設置箇所一覧" in found and "予算" not in found
    faceted = client.get("/opendata/", {"tag": "財政"}).content.decode()
    assert "予算" in faceted and "AED設置箇所一覧" not in faceted
    by_format = client.get("/opendata/", {"format": "CSV"}).content.decode()
    assert "1件のデータセット" in by_format


def test_a_broken_query_is_explained_not_a_500(client, catalogue):
    response = client.get("/opendata/", {"q": 'AED "open'})
    assert response.status_code == 200
    assert "引用符が閉じていません" in response.content.decode()


def test_the_dataset_page_previews_the_csv_as_a_table(client, catalogue):
    page = client.get("/opendata/dataset/aed/").content.decode()
    assert '<th scope="col">名称</th>' in page
    assert "<td>市役所</td>" in page
    assert "クリエイティブ・コモンズ 表示 4.0 国際" in page
    assert "更新期限を過ぎています" not in page
    assert client.get("/opendata/dataset/draft/").status_code == 404
    assert client.get("/opendata/dataset/nothing/").status_code == 404


def test_a_stale_dataset_is_flagged_with_its_age(client, make_dataset):
    with time_machine.travel(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)):
        make_dataset("counts", frequency="monthly")
    with time_machine.travel(dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)):
        page = client.get("/opendata/dataset/counts/").content.decode()
    assert "更新期限を過ぎています（最終更新から60日）" in page


def test_download_serves_the_file_with_its_name(client, catalogue):
    resource = Dataset.objects.get(name="aed").resources.get()
    response = client.get(f"/opendata/dataset/aed/resource/{resource.pk}/aed.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="aed.csv"' in response["Content-Disposition"]
    assert response.content.decode().startswith("名称,緯度")
    other = f"/opendata/dataset/budget/resource/{resource.pk}/aed.csv"
    assert client.get(other).status_code == 404


def test_pages_show_no_japanese_in_english(client, make_dataset):
    make_dataset(
        "clinics",
        csv=b"name,lat\r\nA,35.7\r\n",
        tags=["health"],
        title="診療所",
        title_en="Clinics",
        description_en="Clinics in the city.",
        frequency="monthly",
    )
    client.cookies["django_language"] = "en"
    for url in ("/opendata/", "/opendata/dataset/clinics/", "/opendata/?tag=health"):
        html = client.get(url).content.decode().replace("日本語", "")
        assert JAPANESE.findall(html) == [], url


# --- staff --------------------------------------------------------------------------------


@pytest.fixture
def publisher(make_staff, organization, signed_in):
    return signed_in(make_staff("kikakushinko", "opendata.publish"))


def _form(**changes):
    form = {
        "organization": "",
        "name": "wifi",
        "title": "公衆無線LAN",
        "description": "アクセスポイントの一覧",
        "tags": "通信, 観光",
        "licence": "CC-BY-4.0",
        "frequency": "annual",
        "public": "on",
    }
    return {**form, **changes}


def test_a_publisher_creates_a_dataset_and_uploads_a_csv(publisher, organization):
    response = publisher.post("/opendata/staff/new/", _form(organization=organization.pk))
    assert response.status_code == 302
    dataset = Dataset.objects.get(name="wifi")
    assert dataset.tags == ["通信", "観光"]
    upload = SimpleUploadedFile("wifi.csv", "名称\r\n駅前\r\n".encode(), content_type="text/csv")
    response = publisher.post("/opendata/staff/wifi/upload/", {"name": "一覧", "file": upload})
    assert response.status_code == 302
    assert dataset.resources.get().name == "一覧"
    edited = publisher.post(
        "/opendata/staff/wifi/edit/", _form(organization=organization.pk, title="無線LAN")
    )
    assert edited.status_code == 302
    assert Dataset.objects.get(name="wifi").title == "無線LAN"
    listing = publisher.get("/opendata/staff/").content.decode()
    assert "無線LAN" in listing


def test_bad_input_is_explained_and_kept(publisher, organization, make_dataset):
    make_dataset("wifi")
    response = publisher.post("/opendata/staff/new/", _form(organization=organization.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert "識別名「wifi」は既に使われています。" in page
    assert "アクセスポイントの一覧" in page
    upload = SimpleUploadedFile("x.csv", "名称,緯度\r\n駅前\r\n".encode())
    refused = publisher.post("/opendata/staff/wifi/upload/", {"file": upload})
    assert "2行目の列数が1個です（見出しは2列）" in refused.content.decode()
    assert not Dataset.objects.get(name="wifi").resources.exists()


def test_another_departments_dataset_cannot_be_edited(make_staff, signed_in, make_dataset):
    make_dataset("aed")
    client = signed_in(make_staff("zeimu", "opendata.publish", role="supervisor"))
    assert client.get("/opendata/staff/aed/edit/").status_code == 403
    assert client.get("/opendata/staff/aed/upload/").status_code == 403
    page = client.get("/opendata/staff/new/").content.decode()
    assert "企画振興課" not in page


def test_staff_without_the_permission_are_refused(make_staff, signed_in, organization):
    client = signed_in(make_staff("kikakushinko"))
    assert client.get("/opendata/staff/").status_code == 403
