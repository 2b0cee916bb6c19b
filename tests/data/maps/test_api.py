"""/api/v1 for map layers: public reads without a token, internal layers behind the scope,
feature writes by the owning department only, Idempotency-Key on create, problem+json."""

from __future__ import annotations

import json

import pytest

from musubi.data.maps.models import Feature, Layer
from musubi.platform.accounts.models import Department
from musubi.platform.api.models import ApiToken
from musubi.platform.audit.models import AuditRecord

pytestmark = pytest.mark.django_db
POINT = {"type": "Point", "coordinates": [137.93, 35.72]}


@pytest.fixture
def token(db):
    """``token(*scopes, department="kikikanri")`` → an Authorization header value."""

    def issue(*scopes: str, department: str = "kikikanri") -> str:
        owner, _ = Department.objects.get_or_create(code=department, defaults={"name": department})
        _token, key = ApiToken.issue(f"t-{department}-{len(scopes)}", list(scopes), owner)
        return f"Bearer {key}"

    return issue


def _post(client, code, body, auth, **headers):
    return client.post(
        f"/api/v1/maps/layers/{code}/features/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
        **headers,
    )


def _feature(name="新しい避難場所", geometry=POINT, **properties):
    return {"type": "Feature", "geometry": geometry, "properties": {"name": name, **properties}}


def test_anyone_lists_the_public_layers_only(client, demo_layers):
    body = client.get("/api/v1/maps/layers/").json()
    codes = {layer["code"] for layer in body["results"]}
    assert "shelters" in codes and "fire-hydrants" not in codes
    shelters = next(layer for layer in body["results"] if layer["code"] == "shelters")
    assert shelters["department"] == "kikikanri"
    assert shelters["feature_count"] == Layer.objects.get(code="shelters").features.count()


def test_the_scope_shows_internal_layers(client, demo_layers, token):
    auth = token("maps.view_internal")
    body = client.get("/api/v1/maps/layers/", HTTP_AUTHORIZATION=auth).json()
    assert "fire-hydrants" in {layer["code"] for layer in body["results"]}
    features = client.get("/api/v1/maps/layers/fire-hydrants/features/", HTTP_AUTHORIZATION=auth)
    assert features.status_code == 200 and features.json()["count"] > 0


def test_internal_features_are_refused_without_the_scope(client, demo_layers, token):
    anonymous = client.get("/api/v1/maps/layers/fire-hydrants/features/")
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"].startswith("application/problem+json")
    wrong = client.get(
        "/api/v1/maps/layers/fire-hydrants/features/", HTTP_AUTHORIZATION=token("maps.edit")
    )
    assert wrong.status_code == 403
    assert "庁内限定" in wrong.json()["detail"]
    hydrant = Layer.objects.get(code="fire-hydrants").features.first()
    assert client.get(f"/api/v1/maps/features/{hydrant.pk}/").status_code == 401


def test_features_are_a_paginated_geojson_collection(client, demo_layers):
    first = client.get("/api/v1/maps/layers/districts/features/", {"page_size": 10}).json()
    assert first["type"] == "FeatureCollection"
    assert first["count"] == 16 and len(first["features"]) == 10
    assert first["features"][0]["type"] == "Feature"
    assert first["features"][0]["geometry"]["type"] == "Polygon"
    second = client.get(first["next"]).json()
    assert len(second["features"]) == 6 and second["next"] is None
    assert client.get("/api/v1/maps/layers/nowhere/features/").status_code == 404


def test_the_owning_department_creates_once_with_an_idempotency_key(client, demo_layers, token):
    auth = token("maps.edit")
    body = _feature(address="長野県駒ヶ根市赤穂1", 想定収容人数="200")
    made = _post(client, "shelters", body, auth, HTTP_IDEMPOTENCY_KEY="k-1")
    assert made.status_code == 201, made.content
    again = _post(client, "shelters", body, auth, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == made.json()["id"]
    assert Feature.objects.filter(name="新しい避難場所").count() == 1
    feature = Feature.objects.get(name="新しい避難場所")
    assert feature.address == "長野県駒ヶ根市赤穂1"
    assert feature.properties == {"想定収容人数": "200"}
    assert AuditRecord.objects.filter(action="create", subject_id=str(feature.pk)).exists()


def test_another_department_or_a_missing_scope_cannot_write(client, demo_layers, token):
    other = _post(client, "shelters", _feature(), token("maps.edit", department="kodomo"))
    assert other.status_code == 403
    assert "所管する課" in other.json()["detail"]
    unscoped = _post(client, "shelters", _feature(), token("maps.view_internal"))
    assert unscoped.status_code == 403
    assert _post(client, "shelters", _feature(), "").status_code == 401
    assert not Feature.objects.filter(name="新しい避難場所").exists()


def test_bad_features_are_refused_with_the_field_and_nothing_written(client, demo_layers, token):
    auth = token("maps.edit")
    lat_lon = {"type": "Point", "coordinates": [35.72, 137.93]}
    swapped = _post(client, "shelters", _feature(geometry=lat_lon), auth)
    assert swapped.status_code == 400
    assert swapped.json()["errors"][0]["field"] == "geometry"
    assert "緯度と経度" in swapped.json()["detail"]
    nameless = _post(client, "shelters", {"type": "Feature", "geometry": POINT}, auth)
    assert nameless.status_code == 400
    assert nameless.json()["errors"][0]["field"] == "properties"
    wrong_kind = _post(client, "shelters", {**_feature(), "type": "FeatureCollection"}, auth)
    assert wrong_kind.json()["errors"][0]["field"] == "type"
    line = {"type": "LineString", "coordinates": [[137.93, 35.72], [137.94, 35.73]]}
    assert _post(client, "shelters", _feature(geometry=line), auth).status_code == 400
    assert not Feature.objects.filter(name="新しい避難場所").exists()


def test_update_and_delete_by_the_owning_department(client, demo_layers, token):
    auth = token("maps.edit")
    feature = Layer.objects.get(code="shelters").features.first()
    url = f"/api/v1/maps/features/{feature.pk}/"
    shown = client.get(url).json()
    shown["properties"]["備考"] = "改修中"
    changed = client.put(
        url, json.dumps(shown), content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert changed.status_code == 200, changed.content
    feature.refresh_from_db()
    assert feature.properties["備考"] == "改修中" and "name" not in feature.properties
    other = token("maps.edit", department="kodomo")
    assert client.delete(url, HTTP_AUTHORIZATION=other).status_code == 403
    assert client.delete(url, HTTP_AUTHORIZATION=auth).status_code == 204
    assert not Feature.objects.filter(pk=feature.pk).exists()
    assert AuditRecord.objects.filter(action="delete", subject_id=str(feature.pk)).exists()


def test_staff_of_the_owning_department_write_with_their_session(
    client, demo_layers, make_staff, signed_in
):
    api = signed_in(make_staff("kikikanri", "maps.edit"))
    made = api.post(
        "/api/v1/maps/layers/shelters/features/",
        json.dumps(_feature()),
        content_type="application/json",
    )
    assert made.status_code == 201
    outsider = signed_in(make_staff("kodomo", "maps.edit"))
    refused = outsider.delete(f"/api/v1/maps/features/{made.json()['id']}/")
    assert refused.status_code == 403
