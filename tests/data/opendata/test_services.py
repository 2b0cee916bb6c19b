"""The write path: validation before writing, uploads checked, age and staleness."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from musubi.data.opendata import services
from musubi.data.opendata.errors import CatalogueError
from musubi.data.opendata.models import Dataset, Resource


def test_a_dataset_gets_the_default_licence_and_clean_tags(make_dataset):
    dataset = make_dataset("shelters", tags=[" 防災 ", "防災", "避難所"])
    assert dataset.licence == "CC-BY-4.0"
    assert dataset.tags == ["防災", "避難所"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Bad Name"}, "識別名は英小文字"),
        ({"licence": "WTFPL"}, "ライセンスを一覧から"),
        ({"frequency": "hourly"}, "更新頻度を一覧から"),
        ({"title": "  "}, "タイトルと説明は必須"),
        ({"tags": ["x" * 51]}, "長すぎます"),
    ],
)
def test_bad_dataset_fields_are_refused_and_nothing_is_written(organization, fields, message):
    values = {"name": "ok-name", "title": "題", "description": "説明", **fields}
    with pytest.raises(CatalogueError, match=message):
        services.save_dataset(services.DatasetFields(**values), organization=organization)
    assert not Dataset.objects.exists()


def test_a_name_is_unique(make_dataset):
    make_dataset("aed")
    with pytest.raises(CatalogueError, match="既に使われています"):
        make_dataset("aed")


def test_an_uploaded_csv_is_stored_and_read_back(make_dataset):
    dataset = make_dataset("aed", csv="名称,緯度\r\n市役所,35.7\r\n".encode())
    resource = dataset.resources.get()
    assert resource.format == "CSV"
    assert resource.size == len("名称,緯度\r\n市役所,35.7\r\n".encode())
    assert services.content(resource).decode() == "名称,緯度\r\n市役所,35.7\r\n"


def test_a_cp932_csv_is_refused_with_its_line(make_dataset):
    dataset = make_dataset("aed")
    data = "名称,緯度\r\n".encode() + "市役所,35.7\r\n".encode("cp932")
    with pytest.raises(CatalogueError, match="2行目がUTF-8ではありません"):
        services.add_upload(dataset, name="x", filename="x.csv", data=data)
    assert not Resource.objects.exists()


def test_a_csv_with_a_short_row_is_refused_with_its_line(make_dataset):
    dataset = make_dataset("aed")
    data = "名称,緯度,経度\r\n市役所,35.7,137.9\r\n公民館,35.7\r\n".encode()
    with pytest.raises(CatalogueError, match="3行目の列数が2個です（見出しは3列）"):
        services.add_upload(dataset, name="x", filename="x.csv", data=data)
    assert not Resource.objects.exists()


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [("x.exe", b"MZ", "この形式のファイルは登録できません"), ("x.csv", b"", "ファイルが空です")],
)
def test_other_bad_uploads_are_refused(make_dataset, filename, data, message):
    dataset = make_dataset("aed")
    with pytest.raises(CatalogueError, match=message):
        services.add_upload(dataset, name="x", filename=filename, data=data)


def test_a_monthly_dataset_turns_stale_after_35_days(make_dataset):
    with time_machine.travel(dt.datetime(2025, 1, 1, tzinfo=dt.UTC)):
        dataset = make_dataset("counts", frequency="monthly")
    assert not services.is_stale(dataset, dt.datetime(2025, 2, 4, tzinfo=dt.UTC))
    assert services.is_stale(dataset, dt.datetime(2025, 2, 6, tzinfo=dt.UTC))
    assert services.age(dataset, dt.datetime(2025, 2, 6, tzinfo=dt.UTC)).days == 36


def test_an_upload_makes_the_dataset_fresh_again(make_dataset):
    with time_machine.travel(dt.datetime(2025, 1, 1, tzinfo=dt.UTC)):
        dataset = make_dataset("counts", frequency="monthly")
    services.add_upload(dataset, name="x", filename="x.csv", data=b"a\r\n1\r\n")
    dataset.refresh_from_db()
    assert not services.is_stale(dataset)
    assert services.age(dataset) < dt.timedelta(minutes=1)


def test_irregular_data_is_never_stale(make_dataset):
    dataset = make_dataset("plan", frequency="irregular")
    assert not services.is_stale(dataset, timezone.now() + dt.timedelta(days=3650))


def test_staff_publish_only_for_departments_granting_it(make_staff, organization):
    publisher = make_staff("kikakushinko", "opendata.publish")
    other = make_staff("zeimu", "opendata.publish", role="supervisor")
    services.ensure_organizations()
    assert services.can_publish(publisher, organization)
    assert not services.can_publish(other, organization)
