"""Imports: each format, each kind of bad input with a precise message, and nothing half-written."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from pyproj import Transformer

from musubi.data.maps import services
from musubi.data.maps.models import Feature

pytestmark = pytest.mark.django_db


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def point(lon, lat, name="x"):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"名称": name, "住所": "長野県駒ヶ根市赤須町20-1"}}  # fmt: skip


def polygon(ring, name="area"):
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"name": name}}  # fmt: skip


SQUARE = [[137.92, 35.72], [137.93, 35.72], [137.93, 35.73], [137.92, 35.73], [137.92, 35.72]]
BOWTIE = [[137.92, 35.72], [137.93, 35.73], [137.93, 35.72], [137.92, 35.73], [137.92, 35.72]]


def test_geojson_import_stores_geometry_bbox_name_and_address(make_layer):
    layer = make_layer("aed")
    report = services.import_features(layer, collection(point(137.93, 35.72, "市役所")), "geojson")
    assert report.ok and report.count == 1
    feature = Feature.objects.get(layer=layer)
    assert feature.name == "市役所"
    assert feature.address == "長野県駒ヶ根市赤須町20-1"
    assert (feature.min_lon, feature.max_lat) == (137.93, 35.72)


def test_broken_geojson_names_line_and_column(make_layer):
    layer = make_layer("aed")
    report = services.import_features(
        layer, b'{"type": "FeatureCollection",\n "features": [}', "geojson"
    )
    assert not report.ok
    assert "2行目" in report.problems[0]
    assert not layer.features.exists()


def test_self_intersecting_polygon_refuses_the_whole_file(make_layer):
    layer = make_layer("areas", "Polygon")
    data = collection(polygon(SQUARE, "ok"), polygon(BOWTIE, "bad"))
    report = services.import_features(layer, data, "geojson")
    assert len(report.problems) == 1
    assert report.problems[0].startswith("地物 2: geometry:")
    assert "Self-intersection" in report.problems[0]
    assert not layer.features.exists()  # the good first polygon was not written either


def test_swapped_latitude_and_longitude_is_named(make_layer):
    layer = make_layer("aed")
    report = services.import_features(layer, collection(point(35.72, 137.93)), "geojson")
    assert "緯度と経度が入れ替わっている" in report.problems[0]
    far = services.import_features(layer, collection(point(2.35, 48.85)), "geojson")
    assert "日本の範囲外" in far.problems[0]


def test_wrong_geometry_type_for_the_layer(make_layer):
    layer = make_layer("aed")
    report = services.import_features(layer, collection(polygon(SQUARE)), "geojson")
    assert "Polygon" in report.problems[0] and "Point" in report.problems[0]


def test_messages_are_english_for_english_users(make_layer):
    layer = make_layer("aed")
    with translation.override("en"):
        report = services.import_features(layer, collection(point(35.72, 137.93)), "geojson")
    assert report.problems == [
        "Feature 1: geometry: Latitude and longitude seem to be swapped "
        "(longitude 35.72, latitude 137.93)."
    ]


def test_csv_utf8_with_bom(make_layer):
    layer = make_layer("aed")
    data = "\ufeff名称,住所,緯度,経度\n市役所,赤須町20-1,35.72889,137.93389\n".encode()
    report = services.import_features(layer, data, "csv")
    assert report.ok and report.count == 1
    assert layer.features.get().geometry == {"type": "Point", "coordinates": [137.93389, 35.72889]}


def test_csv_cp932_with_a_bad_row_names_line_and_column_and_imports_nothing(make_layer):
    layer = make_layer("aed")
    text = (
        "名称,緯度,経度\n市役所,35.72889,137.93389\n文化会館,北緯35度,137.9289\n図書館,137.9,35.7\n"
    )
    report = services.import_features(layer, text.encode("cp932"), "csv")
    assert report.problems[0] == "3行目、列「緯度」: 数値ではありません（北緯35度）。"
    assert report.problems[1].startswith("4行目、列「緯度」「経度」: 緯度と経度が入れ替わっている")
    assert not layer.features.exists()


def test_csv_without_coordinate_columns(make_layer):
    report = services.import_features(make_layer("aed"), "名称\n市役所\n".encode(), "csv")
    assert "緯度と経度の列" in report.problems[0]


def test_dry_run_checks_and_writes_nothing(make_layer):
    layer = make_layer("aed")
    report = services.import_features(
        layer, collection(point(137.93, 35.72)), "geojson", dry_run=True
    )
    assert report.ok and report.count == 1 and report.dry_run
    assert not layer.features.exists()


def test_replace_swaps_the_features_in_one_go(make_layer):
    layer = make_layer("aed")
    services.import_features(layer, collection(point(137.93, 35.72, "old")), "geojson")
    services.import_features(
        layer, collection(point(137.94, 35.73, "new")), "geojson", replace=True
    )
    assert list(layer.features.values_list("name", flat=True)) == ["new"]


def test_shapefile_in_wgs84(make_layer, zipped_shapefile):
    layer = make_layer("aed")
    report = services.import_features(
        layer, zipped_shapefile([(137.93, 35.72, "市役所")], 4326), "shapefile"
    )
    assert report.ok and not report.transformed_from
    assert layer.features.get().name == "市役所"


def test_shapefile_in_plane_rectangular_zone_viii_is_transformed_and_reported(
    make_layer, zipped_shapefile
):
    x, y = Transformer.from_crs(4326, 6676, always_xy=True).transform(137.93389, 35.72889)
    layer = make_layer("aed")
    report = services.import_features(
        layer, zipped_shapefile([(x, y, "市役所")], 6676), "shapefile"
    )
    assert report.ok
    assert "第VIII系" in report.transformed_from
    lon, lat = layer.features.get().geometry["coordinates"]
    assert lon == pytest.approx(137.93389, abs=1e-6) and lat == pytest.approx(35.72889, abs=1e-6)


def test_shapefile_in_jgd2000_geographic_is_transformed(make_layer, zipped_shapefile):
    report = services.import_features(
        make_layer("aed"), zipped_shapefile([(137.93, 35.72, "a")], 4612), "shapefile"
    )
    assert report.ok and report.transformed_from.startswith("JGD2000")


def test_shapefile_in_an_unknown_crs_is_refused(make_layer, zipped_shapefile):
    layer = make_layer("aed")
    report = services.import_features(
        layer, zipped_shapefile([(500000, 4000000, "a")], 32654), "shapefile"
    )
    assert "対応していません" in report.problems[0] and "UTM zone 54N" in report.problems[0]
    missing = services.import_features(
        layer, zipped_shapefile([(137.9, 35.7, "a")], None), "shapefile"
    )
    assert ".prj" in missing.problems[0]
    assert not layer.features.exists()


def test_a_zip_that_is_not_a_zip(make_layer):
    report = services.import_features(make_layer("aed"), b"not a zip", "shapefile")
    assert "ZIP" in report.problems[0]


def test_an_empty_collection_is_refused(make_layer):
    report = services.import_features(make_layer("aed"), collection(), "geojson")
    assert report.problems == ["取り込む地物がありません。"]


def test_command_line_import_dry_run_and_refusal(make_layer, tmp_path):
    layer = make_layer("aed")
    good = tmp_path / "aed.csv"
    good.write_text("名称,緯度,経度\n市役所,35.72889,137.93389\n", encoding="utf-8-sig")
    call_command("import_layer", "aed", str(good), "--dry-run")
    assert not layer.features.exists()
    call_command("import_layer", "aed", str(good))
    assert layer.features.count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes("名称,緯度,経度\nA,35.7,137.9\nB,x,137.9\n".encode("cp932"))
    with pytest.raises(CommandError, match="3行目、列「緯度」"):
        call_command("import_layer", "aed", str(bad))
    with pytest.raises(CommandError, match="no layer"):
        call_command("import_layer", "nope", str(good))
    assert layer.features.count() == 1
