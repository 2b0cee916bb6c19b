"""Registry API: filters, pagination, problem+json errors, permission and audit."""

from __future__ import annotations

from musubi.platform.accounts.models import Department
from musubi.platform.api.models import ApiToken
from musubi.platform.audit.models import AuditRecord


def bearer(client, scopes):
    department, _ = Department.objects.get_or_create(
        code="kikaku", defaults={"name": "企画振興課", "name_en": "Planning"}
    )
    _token, key = ApiToken.issue("core", scopes, department)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def test_list_filters_and_paginates(family, client):
    api = bearer(client, ["residents.view"])
    body = api.get("/api/v1/residents/", {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    only = api.get("/api/v1/residents/", {"name": "いちろう"}).json()
    assert [r["given_name"] for r in only["results"]] == ["一郎"]
    born = api.get("/api/v1/residents/", {"born_from": "1981-01-01", "born_to": "1990-01-01"})
    assert [r["given_name"] for r in born.json()["results"]] == ["花子"]
    district = family["household"].district.code
    assert api.get("/api/v1/residents/", {"district": district}).json()["count"] == 3
    assert api.get("/api/v1/residents/", {"status": "moved_out"}).json()["count"] == 0
    actions = list(AuditRecord.objects.values_list("action", "what"))
    assert actions[1] == ("search", "name=いちろう")


def test_bad_filters_are_problem_json(family, client):
    api = bearer(client, ["residents.view"])
    response = api.get("/api/v1/residents/", {"born_from": "yesterday", "district": "nowhere"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert {e["field"] for e in response.json()["errors"]} == {"district", "born_from"}


def test_details_are_audited_as_reads(family, client):
    api = bearer(client, ["residents.view"])
    head = family["head"]
    detail = api.get(f"/api/v1/residents/{head.pk}/").json()
    assert detail["household"] == family["household"].number
    household = api.get(f"/api/v1/households/{family['household'].pk}/").json()
    assert household["head"] == head.pk and len(household["members"]) == 3
    assert household["address"]["district"] == "minamiwari"
    assert api.get("/api/v1/households/").json()["count"] == 1
    reads = list(AuditRecord.objects.filter(action="read").values_list("subject_type", "client"))
    assert reads == [("resident", "core"), ("household", "core")]
    assert api.get("/api/v1/residents/999999/").status_code == 404


def test_scope_is_required(family, client):
    api = bearer(client, ["residents.export"])
    assert api.get("/api/v1/residents/").status_code == 403
    assert not AuditRecord.objects.exists()


def test_schema_names_operations_and_filters(db, client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/residents/"]["get"]
    assert operation["operationId"] == "residents_list"
    names = {p["name"] for p in operation["parameters"]}
    assert {"name", "district", "status", "born_from", "born_to", "page", "page_size"} <= names
    assert (
        schema["paths"]["/api/v1/households/{id}/"]["get"]["operationId"] == "households_retrieve"
    )
