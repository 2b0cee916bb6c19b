"""The API index, /healthz, and answers for routes that do not exist."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from musubi.platform.api.views import VERSION


def test_healthz_reports_the_database_and_version(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "version": VERSION}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_fails(client, db):
    broken = mock.MagicMock()
    broken.__enter__.return_value.execute.side_effect = OperationalError("connection refused")
    with mock.patch("musubi.platform.api.views.connection.cursor", return_value=broken):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "version": VERSION}


def test_healthz_answers_only_safe_methods(client, db):
    assert client.post("/healthz").status_code == 405


def test_index_links_schema_and_docs(client, db):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Musubi API" and body["version"] == VERSION
    assert body["links"]["schema"] == "http://testserver/api/v1/schema/"
    assert body["links"]["docs"] == "http://testserver/api/v1/docs/"
    assert body["links"]["residents-list"] == "http://testserver/api/v1/residents/"
    assert "residents-detail" not in body["links"]  # routes needing an id are not listed


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_unknown_api_routes_are_404_problems(client, db, method):
    response = getattr(client, method)("/api/v1/no-such-thing/42", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json; charset=utf-8"
    body = response.json()
    assert body["status"] == 404 and body["type"] == "about:blank"
    assert body["title"] == "見つかりません"
    assert body["detail"] == "このURLに該当するAPIはありません。"


def test_unknown_route_even_with_a_bad_token_is_404(client, db):
    response = client.get("/api/v1/nothing", headers={"authorization": "Bearer wrong"})
    assert response.status_code == 404


def test_method_not_allowed_is_a_problem_with_allow(client, db):
    response = client.post("/api/v1/", {}, content_type="application/json")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/problem+json")
    assert "GET" in response["Allow"]
    assert response.json()["title"] == "このメソッドは使えません"
