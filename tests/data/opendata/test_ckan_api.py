"""CKAN Action API through Django's test client: envelope, errors, GET and POST, no redirects."""

import json

import pytest
from django.test import Client

PREFIXES = ["/api/3/action/", "/api/action/"]


@pytest.fixture
def catalogue(make_dataset, group, make_staff):
    """Three public datasets and a private one, with tags, groups and formats."""
    make_dataset("aed", csv=b"a\r\n1\r\n", tags=["防災", "医療"], title="AED設置箇所一覧")
    make_dataset("shelters", csv=b"a\r\n1\r\n", tags=["防災"], groups=[group], title="避難所")
    make_dataset("budget", tags=["財政"], title="予算", description="歳出と歳入")
    make_dataset("draft", public=False)


def _get(client, action, prefix="/api/3/action/", **params):
    return client.get(prefix + action, params)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_package_list_answers_on_both_prefixes_without_redirect(client, catalogue, prefix):
    response = _get(client, "package_list", prefix)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["result"] == ["aed", "budget", "shelters"]
    assert body["help"].endswith("/api/3/action/help_show?name=package_list")


def test_post_with_a_json_body_and_with_a_form(client, catalogue):
    as_json = client.post(
        "/api/action/package_show", json.dumps({"id": "aed"}), content_type="application/json"
    )
    as_form = client.post("/api/action/package_show", {"id": "aed"})
    assert as_json.status_code == as_form.status_code == 200
    assert as_json.json()["result"] == as_form.json()["result"]


def test_a_post_needs_no_csrf_token(catalogue):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/api/action/package_list", "{}", content_type="application/json")
    assert response.status_code == 200


def test_package_show_uses_ckan_field_names(client, catalogue):
    result = _get(client, "package_show", id="aed").json()["result"]
    assert result["name"] == "aed"
    assert result["title"] == "AED設置箇所一覧"
    assert result["notes"] == "説明です。"
    assert result["organization"]["name"] == "kikakushinko"
    assert result["organization"]["title"] == "企画振興課"
    assert [t["name"] for t in result["tags"]] == ["防災", "医療"]
    assert result["license_id"] == "cc-by-4.0"
    assert result["metadata_modified"][:4].isdigit() and "T" in result["metadata_modified"]
    resource = result["resources"][0]
    assert resource["format"] == "CSV"
    assert resource["url"].startswith("http://testserver/opendata/dataset/aed/resource/")
    assert client.get(resource["url"]).content == b"a\r\n1\r\n"


def test_package_show_by_uuid_and_resource_show(client, catalogue):
    by_name = _get(client, "package_show", id="aed").json()["result"]
    by_id = _get(client, "package_show", id=by_name["id"]).json()["result"]
    assert by_id["name"] == "aed"
    resource_id = by_name["resources"][0]["id"]
    resource = _get(client, "resource_show", id=resource_id).json()["result"]
    assert resource["package_id"] == by_name["id"]


def test_errors_have_ckan_types_and_statuses(client, catalogue):
    missing = _get(client, "package_show", id="nothing")
    assert missing.status_code == 404
    assert missing.json() == {
        "help": missing.json()["help"],
        "success": False,
        "error": {"__type": "Not Found Error", "message": "Not found: Dataset"},
    }
    invalid = _get(client, "package_show")
    assert invalid.status_code == 409
    assert invalid.json()["error"]["__type"] == "Validation Error"
    assert invalid.json()["error"]["id"] == ["Missing value"]
    private = _get(client, "package_show", id="draft")
    assert private.status_code == 403
    assert private.json()["error"]["__type"] == "Authorization Error"
    bad_rows = _get(client, "package_search", rows="many")
    assert bad_rows.status_code == 409
    assert bad_rows.json()["error"]["rows"] == ["Invalid integer"]
    bad_json = client.post("/api/action/package_list", "{", content_type="application/json")
    assert bad_json.status_code == 409
    unknown = _get(client, "package_delete")
    assert unknown.status_code == 400
    assert unknown.json()["success"] is False
    assert _get(client, "resource_show", id="not-a-uuid").status_code == 404


def test_the_publisher_sees_a_private_dataset(client, catalogue, make_staff, signed_in):
    signed_in(make_staff("kikakushinko", "opendata.publish"))
    assert _get(client, "package_show", id="draft").status_code == 200


def test_package_search_with_q_fq_rows_start_sort_and_facets(client, catalogue):
    result = _get(
        client,
        "package_search",
        q="防災",
        sort="name desc",
        **{"facet.field": json.dumps(["tags", "organization", "res_format"])},
    ).json()["result"]
    assert result["count"] == 2
    assert [p["name"] for p in result["results"]] == ["shelters", "aed"]
    assert result["facets"]["tags"] == {"防災": 2, "医療": 1}
    items = result["search_facets"]["organization"]["items"]
    assert items == [{"name": "kikakushinko", "display_name": "企画振興課", "count": 2}]
    filtered = _get(client, "package_search", fq='tags:"医療"').json()["result"]
    assert [p["name"] for p in filtered["results"]] == ["aed"]
    grouped = _get(client, "package_search", fq="groups:bosai res_format:CSV").json()["result"]
    assert [p["name"] for p in grouped["results"]] == ["shelters"]
    paged = _get(client, "package_search", rows=1, start=1, sort="name asc").json()["result"]
    assert paged["count"] == 3
    assert [p["name"] for p in paged["results"]] == ["budget"]
    words = _get(client, "package_search", q="歳出").json()["result"]
    assert [p["name"] for p in words["results"]] == ["budget"]


@pytest.mark.parametrize("params", [{"fq": "colour:red"}, {"sort": "size up"}, {"q": 'a "b'}])
def test_bad_search_syntax_is_a_search_query_error(client, catalogue, params):
    response = _get(client, "package_search", **params)
    assert response.status_code == 409
    assert response.json()["error"]["__type"] == "Search Query Error"


def test_organization_group_tag_and_status_actions(client, catalogue):
    assert _get(client, "organization_list").json()["result"] == ["kikakushinko"]
    full = _get(client, "organization_list", all_fields="true").json()["result"]
    assert full[0]["title"] == "企画振興課" and full[0]["package_count"] == 3
    shown = _get(client, "organization_show", id="kikakushinko", include_datasets="true")
    assert [p["name"] for p in shown.json()["result"]["packages"]] == ["aed", "budget", "shelters"]
    assert _get(client, "organization_show", id="nobody").status_code == 404
    assert _get(client, "group_list").json()["result"] == ["bosai"]
    assert _get(client, "group_list", all_fields=True).json()["result"][0]["package_count"] == 1
    assert _get(client, "tag_list").json()["result"] == ["医療", "財政", "防災"]
    assert _get(client, "tag_list", query="防").json()["result"] == ["防災"]
    status = _get(client, "status_show").json()["result"]
    assert status["ckan_version"].startswith("2.")
    assert "One dataset" in _get(client, "help_show", name="package_show").json()["result"]
