"""The procedures API: public catalogue, a resident's applications with Idempotency-Key,
and staff applications with transitions under the optimistic lock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from musubi.citizen.procedures.models import Application, Procedure, Status
from musubi.platform.audit.models import AuditRecord

from .conftest import GOOD_DATA


@pytest.fixture
def resident_api(client, resident):
    client.force_login(resident)
    return client


def _body(procedure, id_photo, **changes):
    body = {
        "procedure": procedure.code,
        "data": dict(GOOD_DATA),
        "attachments": [{"requirement": "id_doc", "file": str(id_photo.pk)}],
    }
    return {**body, **changes}


def test_public_catalogue_with_form(client, procedure):
    listed = client.get("/api/v1/procedures/?q=テスト").json()
    assert [p["code"] for p in listed["results"]] == [procedure.code]
    assert client.get("/api/v1/procedures/?category=kaigo").json()["count"] == 0
    detail = client.get(f"/api/v1/procedures/{procedure.code}/").json()
    assert detail["form"]["version"] == 1
    assert detail["form"]["definition"]["id"] == "test-form"
    assert detail["attachments"][0]["code"] == "id_doc"


def test_submit_once_with_idempotency_key(resident_api, procedure, id_photo):
    headers = {"HTTP_IDEMPOTENCY_KEY": "click-1"}
    body = _body(procedure, id_photo)
    first = resident_api.post(
        "/api/v1/me/applications/", body, content_type="application/json", **headers
    )
    assert first.status_code == 201, first.content
    again = resident_api.post(
        "/api/v1/me/applications/", body, content_type="application/json", **headers
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["receipt_number"] == first.json()["receipt_number"]
    assert Application.objects.count() == 1
    other = _body(procedure, id_photo, data={**GOOD_DATA, "copies": 3})
    reused = resident_api.post(
        "/api/v1/me/applications/", other, content_type="application/json", **headers
    )
    assert reused.status_code == 422 and reused["Content-Type"].startswith(
        "application/problem+json"
    )
    assert Application.objects.count() == 1
    mine = resident_api.get("/api/v1/me/applications/").json()
    assert mine["results"][0]["status"] == Status.SUBMITTED
    detail = resident_api.get(f"/api/v1/me/applications/{first.json()['id']}/").json()
    assert detail["data"]["copies"] == 2 and detail["history"][0]["to_status"] == "submitted"


def test_invalid_submission_is_a_problem_with_paths_and_leaves_nothing(
    resident_api, procedure, id_photo
):
    data = {**GOOD_DATA, "applicant_kana": {"family": "Komagane", "given": "ハナコ"},
            "birthdate": "2999-01-01"}  # fmt: skip
    response = resident_api.post(
        "/api/v1/me/applications/",
        _body(procedure, id_photo, data=data, attachments=[]),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "data.birthdate" in fields
    assert any(f.startswith("data.applicant_kana") for f in fields)
    assert "「本人確認書類」を添付してください。" in fields["attachments.id_doc"]
    assert Application.objects.count() == 0


def test_unknown_procedure_and_bad_signature_encoding(resident_api, procedure, id_photo):
    response = resident_api.post(
        "/api/v1/me/applications/",
        {**_body(procedure, id_photo), "procedure": "nope", "signature": "***"},
        content_type="application/json",
    )
    fields = [e["field"] for e in response.json()["errors"]]
    assert response.status_code == 400 and set(fields) == {"procedure", "signature"}


def test_resident_api_needs_a_login(client, procedure):
    assert client.get("/api/v1/me/applications/").status_code in (401, 403)


def test_staff_list_detail_and_transitions(submitted, staff, signed_in, make_staff):
    clerk_client = signed_in(staff())
    listed = clerk_client.get("/api/v1/applications/?status=submitted").json()
    assert [a["receipt_number"] for a in listed["results"]] == [submitted.receipt_number]
    detail = clerk_client.get(f"/api/v1/applications/{submitted.pk}/")
    assert detail.json()["data"]["copies"] == 2
    assert AuditRecord.objects.filter(action="read").exists()
    url = f"/api/v1/applications/{submitted.pk}/transitions/"
    moved = clerk_client.post(
        url,
        {"to_status": "received", "expected_version": submitted.version},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["status"] == "received"
    stale = clerk_client.post(
        url,
        {"to_status": "in_review", "expected_version": submitted.version},
        content_type="application/json",
    )
    assert stale.status_code == 409 and "他の職員" in stale.json()["detail"]
    no_message = clerk_client.post(
        url,
        {"to_status": "correction_requested", "expected_version": moved.json()["version"]},
        content_type="application/json",
    )
    assert no_message.status_code == 422 and "理由" in no_message.json()["detail"]


def test_staff_of_another_department_see_nothing(submitted, make_staff, signed_in):
    other = signed_in(make_staff("kaigo", "procedures.view"))
    assert other.get("/api/v1/applications/").json()["count"] == 0
    assert other.get(f"/api/v1/applications/{submitted.pk}/").status_code == 404


def test_an_inactive_procedure_or_one_with_no_form_in_force_is_refused(
    resident_api, procedure, id_photo
):
    """The API reads the procedure and its version in force together; each way of missing
    one is still told apart, and nothing is stored."""
    expired = procedure.versions.get()
    expired.valid_to = timezone.now() - dt.timedelta(days=1)
    expired.save(update_fields=["valid_to"])
    response = resident_api.post(
        "/api/v1/me/applications/", _body(procedure, id_photo), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "この手続は現在受け付けていません。"
    Procedure.objects.filter(pk=procedure.pk).update(active=False)
    response = resident_api.post(
        "/api/v1/me/applications/", _body(procedure, id_photo), content_type="application/json"
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["procedure"]
    assert Application.objects.count() == 0
