"""Spatial questions other apps ask: which 区 contains a point, nearest N, within a radius."""

import pytest

from musubi.data.maps import services

pytestmark = pytest.mark.django_db

CITY_HALL = (137.93389, 35.72889)
NAKAZAWA = (137.99, 35.703)


def test_containing_finds_the_district_of_a_point(demo_layers):
    assert [f.name for f in services.containing(NAKAZAWA, "districts")] == ["中沢"]
    assert len(services.containing(CITY_HALL, "districts")) == 1
    assert services.containing((139.69, 35.69), "districts") == []  # Tokyo


def test_nearest_returns_n_features_with_geodesic_distances(demo_layers):
    found = services.nearest(CITY_HALL, "aeds", 3)
    assert found[0][0].name == "駒ヶ根市役所"
    assert found[0][1] == pytest.approx(0, abs=1)
    distances = [d for _, d in found]
    assert distances == sorted(distances) and len(found) == 3
    # 文化会館 (35.7253, 137.9289) is about 600 m from the city hall
    assert distances[1] == pytest.approx(600, rel=0.15)


def test_distance_to_a_polygon_is_zero_inside_and_to_its_edge_outside(demo_layers):
    ((flood, inside),) = services.nearest((137.965, 35.72), "hazard-zones", 1)
    assert inside == 0 and flood.properties["種別"] == "浸水想定区域"
    ((_, outside),) = services.nearest((137.945, 35.72), "hazard-zones", 1)
    assert 500 < outside < 1200


def test_within_distance_is_bounded_and_sorted(demo_layers):
    near = services.within_distance(CITY_HALL, "shelters", 1500)
    assert near and all(d <= 1500 for _, d in near)
    assert [d for _, d in near] == sorted(d for _, d in near)
    everything = {f.pk for f, _ in services.nearest(CITY_HALL, "shelters", 100)}
    far = everything - {f.pk for f, _ in near}
    assert far  # 中沢 and 東伊那 schools are several kilometres away
    assert services.within_distance(CITY_HALL, "shelters", 10) == []


def test_layer_features_for_the_opendata_app(demo_layers):
    shelters = services.layer_features("shelters")
    first = shelters[0]
    assert first["type"] == "Feature" and first["geometry"]["type"] == "Point"
    assert first["properties"]["名称"] == first["properties"]["name"] == "赤穂小学校"
    assert first["properties"]["想定収容人数"] == "800"
    assert len(services.layer_features("districts")) == 16


def test_demo_layers_are_labelled_and_internal_ones_hidden_from_the_public(demo_layers):
    assert set(demo_layers) == {
        "shelters", "aeds", "facilities", "districts", "hazard-zones", "tourist-spots",
        "fire-hydrants", "childcare", "events",
    }  # fmt: skip
    assert demo_layers["childcare"].synthetic and demo_layers["events"].synthetic
    assert demo_layers["hazard-zones"].synthetic and not demo_layers["tourist-spots"].synthetic
    assert "fire-hydrants" not in set(services.public_layers().values_list("code", flat=True))


def test_search_by_name_and_address(demo_layers):
    public = services.public_layers()
    assert {f.name for f in services.search(public, "光前寺")} == {"光前寺"}
    by_address = services.search(public, "中沢2489")
    assert {f.layer.code for f in by_address} == {"aeds", "facilities"}
