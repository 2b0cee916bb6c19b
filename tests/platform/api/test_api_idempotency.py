"""Idempotency-Key on a creating endpoint: replay, mismatch, concurrency, expiry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import time_machine
from django.urls import include, path
from django.utils import timezone
from rest_framework import serializers, viewsets
from rest_framework.routers import SimpleRouter

from musubi.platform.accounts.models import Department
from musubi.platform.api.idempotency import IdempotentCreateMixin
from musubi.platform.api.models import ApiToken, IdempotentRequest
from musubi.platform.api.permissions import require

URL = "/api/v1/test/departments/"


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_en"]


class DepartmentViewSet(IdempotentCreateMixin, viewsets.ModelViewSet):
    """Test-only creating endpoint."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    permission_classes = [require("audit.view")]


router = SimpleRouter()
router.register("api/v1/test/departments", DepartmentViewSet, basename="test-department")
urlpatterns = [*router.urls, path("", include("musubi.urls"))]


@pytest.fixture(autouse=True)
def _test_routes(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def post(client, issue_token):
    auth = issue_token("audit.view")

    def send(body: dict, key: str | None = "key-0001", authorization: str = auth):
        headers = {"authorization": authorization}
        if key is not None:
            headers["idempotency-key"] = key
        return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)

    return send


KIKAKU = {"code": "kikaku", "name": "企画振興課", "name_en": "Planning"}


def test_same_key_and_body_replays_the_first_answer(post):
    first = post(KIKAKU)
    assert first.status_code == 201
    again = post(KIKAKU)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Department.objects.filter(code="kikaku").count() == 1


def test_same_key_with_another_body_is_422(post):
    post(KIKAKU)
    response = post({**KIKAKU, "code": "other"})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert "別の内容" in response.json()["detail"]
    assert not Department.objects.filter(code="other").exists()


def test_duplicate_while_the_first_is_running_is_409(post, client):
    body = json.dumps(KIKAKU).encode()
    digest = hashlib.sha256(f"POST {URL}\n".encode() + body).hexdigest()
    token_id = ApiToken.objects.get().pk
    IdempotentRequest.objects.create(
        key="key-0001", client=f"token:{token_id}", method="POST", path=URL, body_digest=digest
    )
    response = post(KIKAKU)
    assert response.status_code == 409
    assert response.json()["title"] == "同じリクエストを処理中です"
    assert not Department.objects.filter(code="kikaku").exists()


def test_keys_are_forgotten_after_24_hours(post):
    with time_machine.travel(timezone.now() - dt.timedelta(hours=25)):
        assert post(KIKAKU).status_code == 201
    response = post({**KIKAKU, "code": "kikaku2", "name": "企画課2"})
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert IdempotentRequest.objects.count() == 1


def test_keys_belong_to_one_client(post, issue_token):
    post(KIKAKU)
    other = issue_token("audit.view", name="another-system")
    response = post({**KIKAKU, "code": "kikaku2", "name": "企画課2"}, authorization=other)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_staff_sessions_are_clients_too(client, make_staff, signed_in):
    staff = signed_in(make_staff("somu", "audit.view"))
    headers = {"idempotency-key": "form-1"}
    first = staff.post(URL, KIKAKU, content_type="application/json", headers=headers)
    again = staff.post(URL, KIKAKU, content_type="application/json", headers=headers)
    assert (first.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert IdempotentRequest.objects.get().client.startswith("user:")


def test_without_a_key_nothing_is_kept(post):
    assert post(KIKAKU, key=None).status_code == 201
    assert not IdempotentRequest.objects.exists()


def test_a_failed_attempt_releases_the_key(post):
    response = post({"code": "kikaku"})
    assert response.status_code == 400
    assert not IdempotentRequest.objects.exists()
    assert post(KIKAKU).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "鍵"])
def test_unusable_keys_are_400(post, key):
    response = post(KIKAKU, key=key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Department.objects.filter(code="kikaku").exists()


def test_no_credentials_is_still_401(client, db):
    response = client.post(
        URL, KIKAKU, content_type="application/json", headers={"idempotency-key": "k-1"}
    )
    assert response.status_code == 401
    assert not IdempotentRequest.objects.exists()
