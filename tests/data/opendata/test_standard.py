"""自治体標準オープンデータセット: the generated CSV passes its schema, small cells are hidden,
and the output follows its source."""

import csv
import dataclasses
import datetime as dt
import io

import pytest

from musubi.data.maps import demo as maps_demo
from musubi.data.maps import services as maps
from musubi.data.maps.models import GeometryType, Layer, Visibility
from musubi.data.opendata import services, standard, tables
from musubi.data.opendata.errors import CatalogueError
from musubi.platform.accounts.models import Department

BOM = b"\xef\xbb\xbf"


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_population_schema_has_the_standard_head_and_18_bands():
    columns = tables.header("population")
    assert columns[:8] == [
        "全国地方公共団体コード",
        "地域コード",
        "地方公共団体名",
        "調査年月日",
        "地域名",
        "総人口",
        "男性",
        "女性",
    ]
    assert columns[8:10] == ["0-4歳の男性", "0-4歳の女性"]
    assert columns[-4:] == ["85歳以上の男性", "85歳以上の女性", "世帯数", "備考"]
    assert len(columns) == 8 + 18 * 2 + 2


def test_population_is_counted_by_district_band_and_sex_with_small_cells_suppressed(populate):
    today = dt.date.today()
    populate("中沢", 12, today.replace(year=today.year - 32) - dt.timedelta(days=1), "1")
    populate("中沢", 11, today.replace(year=today.year - 41), "2")
    populate("中沢", 3, today.replace(year=today.year - 70), "1")
    data = standard.generate("population")
    assert data.startswith(BOM)
    assert tables.validate("population", data) == []
    rows = {row["地域名"]: row for row in _rows(data)}
    nakazawa = rows["中沢"]
    assert nakazawa["全国地方公共団体コード"] == "202100"
    assert nakazawa["地方公共団体名"] == "長野県駒ヶ根市"
    assert nakazawa["総人口"] == "26"
    assert nakazawa["男性"] == "15"
    assert nakazawa["女性"] == "11"
    assert nakazawa["30-34歳の男性"] == "12"
    assert nakazawa["40-44歳の女性"] == "11"
    assert nakazawa["70-74歳の男性"] == "X"  # 3 people
    assert nakazawa["0-4歳の男性"] == "X"  # 0 is under 10 too
    assert nakazawa["世帯数"] == "26"
    assert nakazawa["備考"] == "10人未満の区分は秘匿（X）"
    assert rows["東伊那"]["総人口"] == "X"


def test_a_hidden_cell_cannot_be_recovered_from_a_published_total():
    bands = [12] * 36
    bands[2 * 7] = 6  # men 35-39: under 10
    counts = [sum(bands), sum(bands[0::2]), sum(bands[1::2]), *bands, 40]
    published = standard.suppress(counts)
    male = published[3::2][:18]
    assert male[7] == "X"
    # men's total minus the other bands would give the 6 back: one more band is hidden
    assert male.count("X") == 2
    assert published[:3] == [str(c) for c in counts[:3]]
    assert "X" not in published[4::2]


def test_the_open_data_list_lists_public_datasets_and_passes_its_schema(make_dataset):
    make_dataset("aed", csv=b"a\r\n1\r\n", frequency="monthly", title="AED設置箇所一覧")
    make_dataset("secret", public=False)
    data = standard.generate("opendata_list")
    assert tables.validate("opendata_list", data) == []
    rows = _rows(data)
    assert [row["ID"] for row in rows] == ["aed"]
    assert rows[0]["データ名称"] == "AED設置箇所一覧"
    assert rows[0]["データ形式"] == "CSV"
    assert rows[0]["更新頻度"] == "毎月"
    assert rows[0]["ライセンス"] == "クリエイティブ・コモンズ 表示 4.0 国際"
    assert rows[0]["URL"].endswith("/opendata/dataset/aed/")


def test_a_generated_resource_follows_its_source_and_only_then(make_dataset, populate):
    dataset = make_dataset("population")
    resource = services.add_generated(dataset, generator="population", name="人口")
    first = services.content(resource)
    version, modified = resource.generated_version, resource.last_modified
    assert services.content(resource) == first
    resource.refresh_from_db()
    assert resource.last_modified == modified
    populate("中沢", 12, dt.date(1990, 5, 5))
    changed = services.content(resource)
    resource.refresh_from_db()
    assert changed != first
    assert resource.generated_version != version
    assert resource.last_modified > modified
    assert _rows(changed)[14]["地域名"] == "中沢"


def test_a_long_source_key_fits_the_stored_version(make_dataset, monkeypatch):
    """Keys made of several timestamps outgrow the column (PostgreSQL refuses, SQLite does not)."""
    made = standard.GENERATORS["opendata_list"]
    monkeypatch.setitem(
        standard.GENERATORS, "opendata_list", dataclasses.replace(made, version=lambda: "9" * 300)
    )
    resource = services.add_generated(make_dataset("list"), generator="opendata_list", name="一覧")
    resource.refresh_from_db()
    field = resource._meta.get_field("generated_version")
    assert 0 < len(resource.generated_version) <= field.max_length


def test_the_validator_catches_departures_from_the_schema(db):
    good = standard.generate("opendata_list")
    assert tables.validate("opendata_list", good.removeprefix(BOM)) == [
        "BOM付きUTF-8ではありません。"
    ]
    bad_head = tables.write_csv(["全国地方公共団体コード"], [["202100"]])
    assert tables.validate("opendata_list", bad_head) == ["見出し行が標準の列と一致しません。"]
    row = ["20210", "x", "市", "名", "", "CSV", "", "", "ftp://x", "", "CC", "2025-13-01", "", ""]
    problems = tables.validate(
        "opendata_list", tables.write_csv(tables.header("opendata_list"), [row])
    )
    assert problems == [
        "2: 全国地方公共団体コード: 6桁の全国地方公共団体コードではありません",
        "2: URL: URLではありません",
        "2: 登録日: YYYY-MM-DD形式の日付ではありません",
    ]


def test_an_unknown_generator_is_refused(make_dataset):
    with pytest.raises(CatalogueError, match="生成元「weather」はありません"):
        services.add_generated(make_dataset("xx"), generator="weather", name="x")


# --- from map layers -------------------------------------------------------------------------

SHELTERS_CSV = (
    "名称,名称_カナ,所在地_連結表記,緯度,経度,災害種別_洪水,災害種別_地震,想定収容人数\r\n"
    "赤穂小学校,アカホショウガッコウ,長野県駒ヶ根市上穂南6-1,35.7262,137.9262,1,1,800\r\n"
    "中沢小学校,ナカザワショウガッコウ,長野県駒ヶ根市中沢1,35.7105,137.9755,,1,300\r\n"
).encode()


@pytest.fixture
def shelters_layer(db):
    """A public point layer ``shelters`` loaded through the maps app's importer."""
    department, _ = Department.objects.get_or_create(
        code="kikikanri", defaults={"name": "危機管理課"}
    )
    layer = Layer.objects.create(
        code="shelters",
        name="指定緊急避難場所",
        name_en="Evacuation sites",
        department=department,
        visibility=Visibility.PUBLIC,
        geometry_type=GeometryType.POINT,
    )
    report = maps.import_features(layer, SHELTERS_CSV, "csv")
    assert report.ok, report.problems
    return layer


def test_shelters_from_the_layer_have_the_39_standard_columns(shelters_layer):
    assert len(tables.header("shelters")) == 39
    data = standard.generate("shelters")
    assert tables.validate("shelters", data) == []
    rows = _rows(data)
    assert [r["名称"] for r in rows] == ["赤穂小学校", "中沢小学校"]
    first = rows[0]
    assert first["全国地方公共団体コード"] == "202100"
    assert first["地方公共団体名"] == "長野県駒ヶ根市"
    assert (first["緯度"], first["経度"]) == ("35.7262", "137.9262")
    assert first["災害種別_洪水"] == "1" and rows[1]["災害種別_洪水"] == ""
    assert first["想定収容人数"] == "800"
    assert first["所在地_連結表記"] == "長野県駒ヶ根市上穂南6-1"


def test_a_layer_dataset_follows_the_layer(shelters_layer, make_dataset):
    dataset = make_dataset("shelters")
    resource = services.add_generated(dataset, generator="shelters", name="避難場所")
    before = services.content(resource)
    more = "名称,緯度,経度\r\n東伊那小学校,35.7300,137.9900\r\n".encode()
    assert maps.import_features(shelters_layer, more, "csv").ok
    after = services.content(resource)
    assert after != before
    assert [r["名称"] for r in _rows(after)][-1] == "東伊那小学校"


def test_an_internal_layer_is_never_published(shelters_layer):
    shelters_layer.visibility = Visibility.INTERNAL
    shelters_layer.save()
    with pytest.raises(CatalogueError, match="公開されていません"):
        standard.generate("shelters")


# --- every layer dataset from the demo layers ------------------------------------------------

LAYER_DATASETS = {
    "facilities": ("01", "facilities"),
    "childcare": ("05", "childcare"),
    "aeds": ("08", "aeds"),
    "tourist_spots": ("11", "tourist-spots"),
    "events": ("12", "events"),
    "shelters": ("03", "shelters"),
}


@pytest.fixture
def demo_layers(db):
    maps_demo.seed()


@pytest.mark.parametrize("code", sorted(LAYER_DATASETS))
def test_each_layer_dataset_from_the_demo_passes_its_schema(demo_layers, code):
    number, layer = LAYER_DATASETS[code]
    assert tables.schema(code)["number"] == number
    data = standard.generate(code)
    assert data.startswith(BOM)
    assert tables.validate(code, data) == []
    rows = _rows(data)
    assert len(rows) == Layer.objects.get(code=layer).features.count() > 0
    assert {r["全国地方公共団体コード"] for r in rows} == {"202100"}


def test_every_schema_says_whether_it_is_verified_and_why_not():
    verified = set()
    for path in tables.SCHEMAS.glob("*.json"):
        spec = tables.schema(path.stem)
        assert isinstance(spec["verified"], bool), path.name
        if spec["verified"]:
            verified.add(path.stem)
            assert "unverified" not in spec["_source"], path.name
        else:
            assert "unverified" in spec["_source"], path.name
    # Issue 6: only these two layouts were confirmed by two independent public sources.
    assert verified == {"shelters", "population"}


def test_the_facility_datasets_share_the_current_head_with_the_position_after_the_address():
    head = tables.header("aeds")[:16]
    assert head[:4] == ["全国地方公共団体コード", "ID", "地方公共団体名", "名称"]
    assert head[-3:] == ["建物名等(方書)", "緯度", "経度"]
    for code in ("facilities", "childcare", "tourist_spots", "shelters"):
        at = tables.header(code).index("建物名等(方書)")
        assert tables.header(code)[at : at + 3] == head[-3:]
    for code in ("facilities", "childcare", "tourist_spots"):
        assert tables.header(code)[:16] == head
    assert "住所" not in tables.header("aeds") and "方書" not in tables.header("aeds")


def test_aeds_stored_under_the_old_names_reach_the_renamed_columns(demo_layers):
    rows = {r["名称"]: r for r in _rows(standard.generate("aeds"))}
    city_hall = rows["駒ヶ根市役所"]
    assert city_hall["所在地_連結表記"] == "長野県駒ヶ根市赤須町20-1"
    assert city_hall["建物名等(方書)"] == "本庁舎"
    assert (city_hall["所在地_町字"], city_hall["所在地_番地以下"]) == ("赤須町", "20-1")
    assert city_hall["開始時間"] == "08:30"
    assert city_hall["小児対応設備の有無"] == "有"


def test_events_carry_their_dates_fee_organiser_and_place(demo_layers):
    rows = {r["イベント名"]: r for r in _rows(standard.generate("events"))}
    stars = rows["冬の星空観察会"]
    assert (stars["開始日"], stars["開始時間"], stars["終了時間"]) == (
        "2027-02-06",
        "18:30",
        "20:30",
    )
    assert stars["料金(基本)"] == "500円"
    assert stars["主催者"] == "駒ヶ根市観光協会"
    assert stars["場所名称"] == "駒ヶ根高原"
    assert stars["イベント名_英語"] == "Winter stargazing"


def test_childcare_is_synthetic_and_has_the_three_kinds(demo_layers):
    assert Layer.objects.get(code="childcare").synthetic
    rows = _rows(standard.generate("childcare"))
    assert {r["種別"] for r in rows} == {"保育園", "児童館", "子育て支援センター"}


EVENTS_CSV = (
    "NO,名称,開始日,開始時間,緯度,経度\r\n"
    "1,夏祭り,2027/08/01,25:00,35.72,137.93\r\n"
    "2,紅葉まつり,2027-10-20,10:00,35.73,137.94\r\n"
)


def test_an_event_with_a_bad_date_or_time_is_held_back_and_named(
    make_layer_for_events, make_dataset
):
    assert maps.import_features(make_layer_for_events, EVENTS_CSV.encode(), "csv").ok
    data = standard.generate("events")
    assert tables.validate("events", data) == []  # what is published always passes
    assert [r["イベント名"] for r in _rows(data)] == ["紅葉まつり"]
    resource = services.add_generated(make_dataset("events"), generator="events", name="CSV")
    assert resource.held_back == [
        "1 夏祭り: 開始日: YYYY-MM-DD形式の日付ではありません; "
        "開始時間: HH:MM形式の時刻ではありません"
    ]


def test_held_back_rows_are_counted_for_all_and_explained_to_the_publisher(
    make_layer_for_events, make_dataset, client, make_staff, signed_in
):
    assert maps.import_features(make_layer_for_events, EVENTS_CSV.encode(), "csv").ok
    services.add_generated(make_dataset("events"), generator="events", name="イベントCSV")
    page = client.get("/opendata/dataset/events/").content.decode()
    assert "「イベントCSV」の1行は、標準の形式に合わないため" in page
    assert "夏祭り: 開始日" not in page  # the details are for the department that fixes it
    publisher = signed_in(make_staff("kikakushinko", "opendata.publish"))
    assert "1 夏祭り: 開始日" in publisher.get("/opendata/dataset/events/").content.decode()


@pytest.fixture
def make_layer_for_events(db):
    department, _ = Department.objects.get_or_create(
        code="shokokanko", defaults={"name": "商工観光課"}
    )
    return Layer.objects.create(
        code="events", name="イベント", name_en="Events", department=department,
        geometry_type=GeometryType.POINT,
    )  # fmt: skip


# --- regeneration stays cheap ------------------------------------------------------------------


def test_the_layer_version_is_one_query_and_moves_with_every_change(
    shelters_layer, django_assert_num_queries
):
    with django_assert_num_queries(1):
        first = maps.layer_version("shelters")
    feature = shelters_layer.features.first()
    maps.save_feature(shelters_layer, feature.geometry, {"備考": "改修中"}, name=feature.name,
                      feature=feature)  # fmt: skip
    edited = maps.layer_version("shelters")
    assert edited != first
    maps.delete_feature(shelters_layer.features.last())
    assert maps.layer_version("shelters") not in (first, edited)


def test_an_unchanged_layer_is_not_read_again(shelters_layer, make_dataset, monkeypatch):
    resource = services.add_generated(make_dataset("shelters"), generator="shelters", name="x")
    first = services.content(resource)

    def no_reading(code):
        raise AssertionError("the layer's features were read again")

    monkeypatch.setattr(maps, "layer_features", no_reading)
    assert services.content(resource) == first


def test_a_layer_made_internal_or_deleted_empties_its_dataset(shelters_layer, make_dataset, client):
    dataset = make_dataset("shelters")
    resource = services.add_generated(dataset, generator="shelters", name="避難場所")
    assert len(_rows(services.content(resource))) == 2
    shelters_layer.visibility = Visibility.INTERNAL
    shelters_layer.save()
    page = client.get("/opendata/dataset/shelters/")
    assert page.status_code == 200
    withdrawn = services.content(resource)
    assert _rows(withdrawn) == [] and tables.validate("shelters", withdrawn) == []
    shelters_layer.visibility = Visibility.PUBLIC
    shelters_layer.save()
    assert len(_rows(services.content(resource))) == 2
    shelters_layer.delete()
    assert client.get("/api/3/action/package_show", {"id": "shelters"}).status_code == 200
    assert _rows(services.content(resource)) == []
