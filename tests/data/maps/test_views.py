"""Map pages: public map and list (no JS needed), staff map, edits by the owning department."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from musubi.data.maps.models import Feature
from musubi.platform.audit.models import AuditRecord

pytestmark = pytest.mark.django_db
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")


def test_public_map_has_leaflet_tiles_switcher_legend_and_the_list(client, demo_layers, settings):
    html = client.get("/maps/").content.decode()
    assert "/static/leaflet/leaflet.js" in html
    assert 'data-tiles="https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"' in html
    assert "国土地理院" in html
    assert 'name="layer" value="shelters"' in html and "fire-hydrants" not in html
    assert "【架空データ】" in html
    assert '<th scope="row"><a href="/maps/features/' in html  # the server-rendered list


def test_tile_url_is_configurable(client, demo_layers, settings):
    settings.MAP_TILE_URL = "https://tiles.example.jp/{z}/{x}/{y}.png"
    assert "tiles.example.jp" in client.get("/maps/").content.decode()


def test_list_view_filters_by_layer_and_search_and_paginates(client, demo_layers):
    page = client.get("/maps/list/", {"layer": "districts"}).content.decode()
    assert "16 件" in page and "page=2" not in page
    every = client.get("/maps/list/").content.decode()
    assert "page=2" in every  # more than 20 public features: a second page
    found = client.get("/maps/list/", {"q": "光前寺"}).content.decode()
    assert "1 件" in found and "光前寺" in found


def test_feature_details_and_geojson_feed(client, demo_layers):
    feed = client.get("/maps/layers/aeds.geojson").json()
    assert len(feed["features"]) == 8
    url = feed["features"][0]["properties"]["url"]
    detail = client.get(url).content.decode()
    assert "駒ヶ根市役所" in detail and "設置位置" in detail


def test_internal_layers_are_not_public(client, demo_layers):
    hydrant = Feature.objects.filter(layer__code="fire-hydrants").first()
    assert client.get(f"/maps/features/{hydrant.pk}/").status_code == 404
    assert client.get("/maps/layers/fire-hydrants.geojson").status_code == 404


def test_staff_map_shows_internal_layers(make_staff, signed_in, demo_layers):
    staff = make_staff("kikikanri", "maps.view_internal", "maps.edit")
    html = signed_in(staff).get("/maps/staff/").content.decode()
    assert 'value="fire-hydrants"' in html
    assert "/maps/staff/layers/shelters/add/" in html  # kikikanri owns shelters
    assert "/maps/staff/layers/aeds/add/" not in html  # 地域保健課 owns AEDs


def test_staff_map_needs_the_permission(client, make_staff, signed_in, demo_layers):
    assert client.get("/maps/staff/").status_code == 302
    outsider = make_staff("zeimu")
    assert signed_in(outsider).get("/maps/staff/").status_code == 403


def test_owner_adds_edits_and_deletes_a_feature_with_audit(make_staff, signed_in, demo_layers):
    client = signed_in(make_staff("kikikanri", "maps.view_internal", "maps.edit"))
    response = client.post("/maps/staff/layers/shelters/add/", {
        "name": "赤穂公民館", "address": "赤穂1", "latitude": "35.72", "longitude": "137.92",
        "properties": json.dumps({"想定収容人数": "200"}),
    })  # fmt: skip
    assert response.status_code == 302
    feature = Feature.objects.get(name="赤穂公民館")
    assert feature.geometry == {"type": "Point", "coordinates": [137.92, 35.72]}
    client.post(f"/maps/staff/features/{feature.pk}/edit/", {
        "name": "赤穂公民館（改）", "address": "赤穂1", "latitude": "35.721", "longitude": "137.92",
        "properties": "{}",
    })  # fmt: skip
    feature.refresh_from_db()
    assert feature.name == "赤穂公民館（改）" and feature.max_lat == 35.721
    confirm = client.get(f"/maps/staff/features/{feature.pk}/delete/")
    assert (
        "よろしいですか" in confirm.content.decode()
        and Feature.objects.filter(pk=feature.pk).exists()
    )
    client.post(f"/maps/staff/features/{feature.pk}/delete/")
    assert not Feature.objects.filter(pk=feature.pk).exists()
    actions = list(
        AuditRecord.objects.filter(subject_type="feature").values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]


def test_bad_feature_input_keeps_the_form_and_says_why(make_staff, signed_in, demo_layers):
    client = signed_in(make_staff("kikikanri", "maps.edit"))
    response = client.post("/maps/staff/layers/shelters/add/", {
        "name": "逆", "latitude": "137.92", "longitude": "35.72", "properties": "{",
    })  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and "JSON として読めません" in html
    swapped = client.post("/maps/staff/layers/shelters/add/", {
        "name": "逆", "latitude": "137.92", "longitude": "35.72", "properties": "",
    })  # fmt: skip
    assert "緯度と経度が入れ替わっている" in swapped.content.decode()
    polygon = client.post("/maps/staff/layers/districts/add/", {"name": "x", "geometry": "[]"})
    assert polygon.status_code == 403  # 危機管理課 does not own the 区 boundaries
    assert not Feature.objects.filter(name="逆").exists()


def test_other_departments_cannot_edit(make_staff, signed_in, demo_layers):
    client = signed_in(make_staff("shokokanko", "maps.edit"))
    shelter = Feature.objects.filter(layer__code="shelters").first()
    assert client.get(f"/maps/staff/features/{shelter.pk}/edit/").status_code == 403
    assert client.post(f"/maps/staff/features/{shelter.pk}/delete/").status_code == 403
    assert Feature.objects.filter(pk=shelter.pk).exists()


def test_import_page_dry_run_then_import(make_staff, signed_in, demo_layers):
    client = signed_in(make_staff("chiikihoken", "maps.import"))
    aeds = demo_layers["aeds"]
    csv = "名称,緯度,経度\n新AED,35.73,137.93\n".encode("cp932")

    def upload(**extra):
        data = {"layer": aeds.pk, "file": SimpleUploadedFile("aed.csv", csv), **extra}
        return client.post("/maps/staff/import/", data).content.decode()

    assert "1 件を取り込めます" in upload(dry_run="on")
    assert not Feature.objects.filter(name="新AED").exists()
    assert "1 件を取り込みました" in upload()
    assert Feature.objects.filter(name="新AED").exists()
    assert AuditRecord.objects.filter(subject_type="layer", action="import").count() == 1


def test_import_page_shows_every_problem_and_only_owned_layers(make_staff, signed_in, demo_layers):
    client = signed_in(make_staff("chiikihoken", "maps.import"))
    shelters = demo_layers["shelters"]
    refused = client.post("/maps/staff/import/", {
        "layer": shelters.pk, "file": SimpleUploadedFile("a.csv", b"x"),
    })  # fmt: skip
    assert "field__error" in refused.content.decode()  # not one of the department's layers
    bad = "名称,緯度,経度\nA,35.7,137.9\nB,abc,137.9\n".encode("cp932")
    html = client.post("/maps/staff/import/", {
        "layer": demo_layers["aeds"].pk, "file": SimpleUploadedFile("a.csv", bad),
    }).content.decode()  # fmt: skip
    assert "3行目、列「緯度」: 数値ではありません（abc）。" in html
    assert not Feature.objects.filter(name="A").exists()


def test_pages_in_english_have_no_japanese_ui_text(client, make_staff, demo_layers):
    client.cookies["django_language"] = "en"
    for url in ("/maps/?layer=districts", "/maps/list/?layer=districts", "/ogc/?f=html",
                "/ogc/collections?f=html", "/ogc/conformance?f=html"):  # fmt: skip
        html = client.get(url).content.decode()
        # 区 names are data (feature names), not UI text
        for name in Feature.objects.filter(layer__code="districts").values_list("name", flat=True):
            html = html.replace(name, "")
        leftover = JAPANESE.findall(html.replace("日本語", "").replace("国土地理院", ""))
        assert leftover == [], (url, leftover)
