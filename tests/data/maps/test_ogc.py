"""OGC API – Features through the test client: documents, paging, filters, formats and errors."""

import pytest

pytestmark = pytest.mark.django_db


def get(client, path, **params):
    return client.get(path, params)


def test_landing_page_without_trailing_slash_and_json_by_default(client, demo_layers):
    for path in ("/ogc", "/ogc/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"  # exact: checkers compare it
        rels = {link["rel"] for link in response.json()["links"]}
        assert {"self", "service-desc", "conformance", "data"} <= rels


def test_conformance_declares_core_geojson_html_oas30_and_part_2_crs(client):
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    assert {c.rsplit("/", 1)[1] for c in classes} == {"core", "geojson", "html", "oas30", "crs"}
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_collections_list_only_public_layers(client, demo_layers):
    collections = client.get("/ogc/collections").json()["collections"]
    ids = {c["id"] for c in collections}
    assert "shelters" in ids and "fire-hydrants" not in ids
    districts = next(c for c in collections if c["id"] == "districts")
    min_lon, min_lat, max_lon, max_lat = districts["extent"]["spatial"]["bbox"][0]
    assert 137.8 < min_lon < max_lon < 138.1 and 35.6 < min_lat < max_lat < 35.8


def test_internal_and_unknown_collections_are_404_with_json(client, demo_layers):
    for path in (
        "/ogc/collections/fire-hydrants",
        "/ogc/collections/nope/items",
        "/ogc/collections/shelters/items/999999",
        "/ogc/collections/shelters/items/abc",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "NotFound"


def test_items_page_with_counts_and_next_prev_links(client, demo_layers):
    first = get(client, "/ogc/collections/districts/items", limit=5).json()
    assert first["type"] == "FeatureCollection"
    assert (first["numberMatched"], first["numberReturned"]) == (16, 5)
    links = {link["rel"]: link["href"] for link in first["links"]}
    assert "prev" not in links and "offset=5" in links["next"]
    second = client.get(links["next"]).json()
    assert second["features"][0]["id"] != first["features"][0]["id"]
    assert "offset=0" in {link["rel"]: link["href"] for link in second["links"]}["prev"]
    last = get(client, "/ogc/collections/districts/items", limit=5, offset=15).json()
    assert last["numberReturned"] == 1 and "next" not in {link["rel"] for link in last["links"]}


def test_default_and_maximum_limit(client, demo_layers):
    assert get(client, "/ogc/collections/districts/items").json()["numberReturned"] == 10
    assert (
        get(client, "/ogc/collections/districts/items", limit=5000).json()["numberReturned"] == 16
    )


def test_bbox_filters_features(client, demo_layers):
    response = get(client, "/ogc/collections/tourist-spots/items", bbox="137.80,35.76,137.83,35.79")
    names = [f["properties"]["name"] for f in response.json()["features"]]
    assert names == ["千畳敷カール"]
    assert response["Content-Type"].startswith("application/geo+json")


def test_datetime_filters_on_last_update(client, demo_layers):
    url = "/ogc/collections/aeds/items"
    assert get(client, url, datetime="2000-01-01T00:00:00Z/..").json()["numberMatched"] == 8
    assert get(client, url, datetime="../2000-01-01").json()["numberMatched"] == 0


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "ten"}, {"offset": "-1"}, {"bbox": "1,2,3"},
     {"bbox": "137,36,138,35"}, {"datetime": "yesterday"}, {"f": "xml"}, {"colour": "red"},
     {"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}, {"bbox-crs": "EPSG:4326"},
     {"bbox": "36,138,35,137", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}],
)  # fmt: skip
def test_bad_parameters_are_400_with_a_json_body(client, demo_layers, params):
    response = client.get("/ogc/collections/aeds/items", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and body["description"]


def test_single_item(client, demo_layers):
    first = get(client, "/ogc/collections/aeds/items", limit=1).json()["features"][0]
    item = client.get(f"/ogc/collections/aeds/items/{first['id']}").json()
    assert item["type"] == "Feature" and item["properties"]["name"] == "駒ヶ根市役所"
    assert {"self", "collection"} <= {link["rel"] for link in item["links"]}


def test_html_by_f_and_by_accept(client, demo_layers):
    assert get(client, "/ogc/collections", f="html")["Content-Type"].startswith("text/html")
    browser = client.get("/ogc/collections/aeds/items", HTTP_ACCEPT="text/html,*/*")
    assert browser["Content-Type"].startswith("text/html")
    assert "駒ヶ根市役所" in browser.content.decode()
    item_id = get(client, "/ogc/collections/aeds/items", limit=1).json()["features"][0]["id"]
    page = get(client, f"/ogc/collections/aeds/items/{item_id}", f="html").content.decode()
    assert "設置位置" in page


def test_openapi_document_lists_every_path(client, demo_layers):
    response = client.get("/ogc/api")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    assert document["openapi"].startswith("3.0")
    assert "/collections/{collectionId}/items" in document["paths"]
    params = document["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    assert {p["$ref"].rsplit("/", 1)[1] for p in params} >= {"bbox", "limit", "offset", "datetime"}


# --- Part 2: CRS by reference ------------------------------------------------------------------

EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
PLANE_VIII = "http://www.opengis.net/def/crs/EPSG/0/6676"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def test_collections_list_their_crs_and_storage_crs(client, demo_layers):
    body = client.get("/ogc/collections").json()
    assert CRS84 in body["crs"] and EPSG4326 in body["crs"]
    shelters = client.get("/ogc/collections/shelters").json()
    assert shelters["storageCrs"] == CRS84 and PLANE_VIII in shelters["crs"]


def test_items_in_another_crs_follow_its_axis_order_and_say_so(client, demo_layers):
    url = "/ogc/collections/aeds/items"
    default = get(client, url, limit=1)
    assert default["Content-Crs"] == f"<{CRS84}>"
    lon, lat = default.json()["features"][0]["geometry"]["coordinates"]
    latlon = get(client, url, limit=1, crs=EPSG4326)
    assert latlon["Content-Crs"] == f"<{EPSG4326}>"
    assert latlon.json()["features"][0]["geometry"]["coordinates"] == pytest.approx([lat, lon])
    plane = get(client, url, limit=1, crs=PLANE_VIII).json()["features"][0]["geometry"]
    north, east = plane["coordinates"]  # zone VIII's origin is 36°N 138°30'E
    assert -40_000 < north < -25_000 and -60_000 < east < -45_000
    one = client.get(f"/ogc/collections/aeds/items/{default.json()['features'][0]['id']}",
                     {"crs": EPSG4326})  # fmt: skip
    assert one["Content-Crs"] == f"<{EPSG4326}>"
    assert one.json()["geometry"]["coordinates"] == pytest.approx([lat, lon])


def test_a_bbox_in_lat_lon_order_with_bbox_crs(client, demo_layers):
    response = get(client, "/ogc/collections/tourist-spots/items",
                   bbox="35.76,137.80,35.79,137.83", **{"bbox-crs": EPSG4326})  # fmt: skip
    assert [f["properties"]["name"] for f in response.json()["features"]] == ["千畳敷カール"]
