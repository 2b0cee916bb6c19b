"""Real OGC API – Features clients against a live server: OWSLib's Features and GDAL's ogrinfo."""

import subprocess

import pytest
from owslib.ogcapi.features import Features

from musubi.devtools.packages import apt_install


@pytest.fixture(scope="session")
def ogrinfo():
    path = apt_install("gdal-bin", provides="ogrinfo") or "/usr/bin/ogrinfo"
    return path


@pytest.fixture
def served(transactional_db, live_server, demo_layers):
    return f"{live_server.url}/ogc"


def test_owslib_features_client(served):
    api = Features(served)
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in api.conformance()["conformsTo"]
    )
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {"shelters", "districts", "tourist-spots"} <= ids and "fire-hydrants" not in ids
    assert api.collection("shelters")["itemType"] == "feature"
    page = api.collection_items("districts", limit=4, offset=4)
    assert page["numberMatched"] == 16 and len(page["features"]) == 4
    spots = api.collection_items("tourist-spots", bbox=[137.80, 35.76, 137.83, 35.79])
    assert [f["properties"]["name"] for f in spots["features"]] == ["千畳敷カール"]
    first = api.collection_items("shelters", limit=1)["features"][0]
    one = api.collection_item("shelters", str(first["id"]))
    assert one["properties"]["name"] == first["properties"]["name"] == "赤穂小学校"
    assert api.api()["openapi"].startswith("3.0")


def test_gdal_ogrinfo_reads_the_layers(served, ogrinfo):
    listing = subprocess.run(
        [ogrinfo, "-ro", "-q", f"OAPIF:{served}"], capture_output=True, text=True, timeout=120
    )
    assert listing.returncode == 0, listing.stderr
    assert "shelters" in listing.stdout and "districts" in listing.stdout
    features = subprocess.run(
        [ogrinfo, "-ro", "-al", f"OAPIF:{served}", "districts"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert features.returncode == 0, features.stderr
    # GDAL pages through the items with the next links; all 16 区 arrive
    assert features.stdout.count("OGRFeature(districts)") == 16
    assert "name (String) = 中沢" in features.stdout
    assert "POLYGON ((137." in features.stdout
