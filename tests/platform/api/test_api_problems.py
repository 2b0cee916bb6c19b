"""Every API error is RFC 9457 problem+json, in the request's language, never a 500."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import DatabaseError
from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.platform.api.permissions import require
from musubi.platform.audit import services as audit
from musubi.platform.audit.models import Action, AuditRecord
from musubi.platform.audit.services import Subject

PROBLEM = "application/problem+json; charset=utf-8"
URL = "/api/v1/test/households/"


class MemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    birthdate = serializers.DateField()


class HouseholdSerializer(serializers.Serializer):
    address = serializers.CharField()
    members = MemberSerializer(many=True)
    tags = serializers.ListField(child=serializers.IntegerField(), required=False)

    def validate(self, data: dict) -> dict:
        if data["address"] == "nowhere":
            raise serializers.ValidationError("住所が見つかりません")
        return data


class Households(APIView):
    """Test-only: GET shows a resident (audited first), POST validates a household."""

    permission_classes = [require("audit.view")]

    def get(self, request):
        audit.record(request, action=Action.READ, subject=Subject("resident", "9"), what="test")
        return Response({"name": "駒ヶ根 花子"})

    def post(self, request):
        serializer = HouseholdSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.data, status=201)


urlpatterns = [path(URL.strip("/") + "/", Households.as_view()), path("", include("musubi.urls"))]


@pytest.fixture(autouse=True)
def _test_routes(settings):
    settings.ROOT_URLCONF = __name__


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    return body


def test_missing_credentials_is_401_with_a_bearer_challenge(client, db):
    body = _is_problem(client.get(URL), 401)
    assert body["title"] == "認証が必要です"
    assert body["detail"] == "認証情報が含まれていません。"
    assert client.get(URL)["WWW-Authenticate"] == "Bearer"


def test_messages_follow_accept_language(client, db):
    body = _is_problem(client.get(URL, headers={"accept-language": "en"}), 401)
    assert body["title"] == "Authentication required"
    assert body["detail"] == "Authentication credentials were not provided."


def test_unknown_or_revoked_token_is_401(client, issue_token):
    _is_problem(client.get(URL, headers={"authorization": "Bearer not-a-key"}), 401)
    body = client.get(URL, headers={"authorization": "Bearer not-a-key"}).json()
    assert body["detail"] == "APIトークンが無効か、期限切れです。"


def test_token_without_the_scope_is_403(client, issue_token):
    auth = issue_token("residents.view")
    body = _is_problem(client.get(URL, headers={"authorization": auth}), 403)
    assert body["title"] == "この操作の権限がありません"


def test_staff_without_second_factor_or_grant_is_403(client, make_staff, signed_in):
    user = make_staff("somu", "audit.view")
    client.force_login(user)
    _is_problem(client.get(URL), 403)
    other = signed_in(make_staff("shimin", "residents.view"))
    _is_problem(other.get(URL), 403)


def test_token_with_the_scope_reads_and_is_audited_as_the_client(client, issue_token):
    auth = issue_token("audit.view", name="tax-core", department="zeimu")
    response = client.get(URL, headers={"authorization": auth, "x-request-id": "api-call-001"})
    assert response.status_code == 200
    row = AuditRecord.objects.get()
    assert (row.actor, row.client, row.department, row.actor_id) == (
        "tax-core",
        "tax-core",
        "zeimu",
        None,
    )
    assert row.request_id == "api-call-001"


def test_staff_session_reads_and_is_audited_as_the_person(make_staff, signed_in):
    user = make_staff("somu", "audit.view")
    assert signed_in(user).get(URL).status_code == 200
    assert AuditRecord.objects.get().actor_id == user.pk


def test_a_failed_audit_write_sends_no_data(client, issue_token):
    auth = issue_token("audit.view")
    with mock.patch.object(audit, "append", side_effect=DatabaseError("disk full")):
        response = client.get(URL, headers={"authorization": auth})
    body = _is_problem(response, 503)
    assert "駒ヶ根" not in response.content.decode()
    assert "監査記録" in body["detail"]


def test_validation_errors_list_every_field_with_nested_paths(client, issue_token):
    auth = issue_token("audit.view")
    payload = {
        "address": "赤穂1番地",
        "members": [{"name": "長すぎる名前です", "birthdate": "2020-01-01"}, {"name": "花子"}],
        "tags": [1, "x"],
    }
    response = client.post(
        URL, payload, content_type="application/json", headers={"authorization": auth}
    )
    body = _is_problem(response, 400)
    assert body["title"] == "入力内容に誤りがあります"
    found = {(e["field"], e["code"]) for e in body["errors"]}
    assert found == {
        ("members[0].name", "max_length"),
        ("members[1].birthdate", "required"),
        ("tags[1]", "invalid"),
    }
    assert all(e["message"] for e in body["errors"])


def test_object_level_errors_have_an_empty_field(client, issue_token):
    auth = issue_token("audit.view")
    payload = {"address": "nowhere", "members": []}
    response = client.post(
        URL, payload, content_type="application/json", headers={"authorization": auth}
    )
    body = _is_problem(response, 400)
    assert body["errors"] == [{"field": "", "code": "invalid", "message": "住所が見つかりません"}]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"address": ', "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"address=x", "text/plain", 415),
    ],
    ids=["truncated-json", "json-array", "not-utf8", "unsupported-type"],
)
def test_malformed_bodies_are_problems_not_500s(client, issue_token, body, content_type, status):
    auth = issue_token("audit.view")
    response = client.post(URL, body, content_type=content_type, headers={"authorization": auth})
    _is_problem(response, status)


def test_english_validation_messages(client, issue_token):
    auth = issue_token("audit.view")
    response = client.post(
        URL,
        {"members": []},
        content_type="application/json",
        headers={"authorization": auth, "accept-language": "en"},
    )
    errors = _is_problem(response, 400)["errors"]
    assert errors == [
        {"field": "address", "code": "required", "message": "This field is required."}
    ]
