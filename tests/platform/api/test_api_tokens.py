"""Scoped API tokens: the two commands, the staff pages, and what a token may do."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from musubi import cli
from musubi.platform.accounts.models import Department
from musubi.platform.api.models import ApiToken, digest_of
from musubi.platform.audit.models import AuditRecord

LIST = reverse("api_tokens:list")
ISSUE = reverse("api_tokens:issue")


@pytest.fixture
def shimin(db):
    return Department.objects.create(code="shimin", name="市民課", name_en="Citizens Division")


def _issue(*args: str) -> str:
    out = StringIO()
    call_command("issue_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_command_prints_the_key_once_and_keeps_only_its_hash(shimin):
    key = _issue(
        "core",
        "--department",
        "shimin",
        "--scope",
        "residents.view",
        "--scope",
        "audit.view",
        "--expires-days",
        "30",
    )
    token = ApiToken.objects.get(name="core")
    assert token.key_digest == digest_of(key) and key not in str(token.__dict__)
    assert token.scopes == ["audit.view", "residents.view"]
    assert token.department == shimin
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    row = AuditRecord.objects.get()
    assert (row.action, row.subject_type, row.subject_id) == ("create", "apitoken", str(token.pk))


def test_the_printed_key_authenticates(client, shimin):
    key = _issue("core", "--department", "shimin", "--scope", "audit.view")
    response = client.get("/api/v1/", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["x", "--department", "nowhere", "--scope", "audit.view"],
            "部署コード「nowhere」は存在しません",
        ),
        (
            ["x", "--department", "shimin", "--scope", "residents.peek"],
            "不明なスコープです：residents.peek",
        ),
        (
            ["x", "--department", "shimin", "--scope", "audit.view", "--expires-days", "0"],
            "有効日数",
        ),
    ],
    ids=["department", "scope", "expiry"],
)
def test_command_refuses_bad_input_and_creates_nothing(shimin, args, message):
    with pytest.raises(CommandError, match=message):
        _issue(*args)
    assert not ApiToken.objects.exists()
    assert not AuditRecord.objects.exists()


def test_command_line_exit_code_is_1_with_a_clear_message(shimin, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["manage", "issue_api_token", "x", "--department", "shimin", "--scope", "nope"])
    assert exit_.value.code == 1
    assert "不明なスコープです：nope" in capsys.readouterr().err


def test_duplicate_name_is_refused(shimin):
    _issue("core", "--department", "shimin", "--scope", "audit.view")
    with pytest.raises(CommandError, match="既にあります"):
        _issue("core", "--department", "shimin", "--scope", "audit.view")


def test_revoke_command_stops_the_token_at_once(client, shimin):
    key = _issue("core", "--department", "shimin", "--scope", "audit.view")
    out = StringIO()
    call_command("revoke_api_token", "core", stdout=out)
    assert "Revoked core." in out.getvalue()
    response = client.get("/api/v1/", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 401
    with pytest.raises(CommandError, match="ありません"):
        call_command("revoke_api_token", "missing")


def test_expired_token_is_refused(client, shimin):
    key = _issue("core", "--department", "shimin", "--scope", "audit.view", "--expires-days", "1")
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        response = client.get("/api/v1/", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 401


@pytest.fixture
def token_admin(make_staff, signed_in):
    return signed_in(make_staff("somu", "api.manage_tokens", role="administrator"))


def test_token_pages_need_the_permission(client, make_staff, signed_in, shimin):
    token, _ = ApiToken.issue("core", ["audit.view"], shimin)
    assert client.get(LIST).status_code == 302
    clerk = signed_in(make_staff("shimin", "residents.view", role="clerk"))
    for url in (LIST, ISSUE, reverse("api_tokens:revoke", args=[token.pk])):
        assert clerk.get(url).status_code == 403
    assert clerk.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 403
    assert ApiToken.objects.get().revoked_at is None


def test_staff_issue_a_token_and_see_the_key_once(token_admin, shimin):
    assert token_admin.get(ISSUE).status_code == 200
    response = token_admin.post(
        ISSUE,
        {
            "name": "子育て連携",
            "department": "shimin",
            "scopes": ["residents.view"],
            "expires_days": "90",
        },
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="子育て連携")
    key = response.context["key"]
    assert token.key_digest == digest_of(key) and key in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    assert key not in token_admin.get(LIST).content.decode()
    assert token.prefix in token_admin.get(LIST).content.decode()
    assert AuditRecord.objects.get(action="create").actor == "somu.administrator@city.example.jp"


def test_issue_form_reports_errors_per_field(token_admin, shimin):
    response = token_admin.post(ISSUE, {"name": "", "department": "nowhere", "expires_days": "-3"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"name", "department", "scopes", "expires_days"}
    assert not ApiToken.objects.exists()


def test_issue_form_reports_a_duplicate_name(token_admin, shimin):
    ApiToken.issue("core", ["audit.view"], shimin)
    response = token_admin.post(
        ISSUE, {"name": "core", "department": "shimin", "scopes": ["audit.view"]}
    )
    assert response.status_code == 400
    assert "既にあります" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_revoke_asks_first_then_revokes(token_admin, shimin, client):
    token, key = ApiToken.issue("core", ["audit.view"], shimin)
    url = reverse("api_tokens:revoke", args=[token.pk])
    confirm = token_admin.get(url)
    assert confirm.status_code == 200 and "元に戻すことはできません" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    response = token_admin.post(url)
    assert response.status_code == 302 and response["Location"] == LIST
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditRecord.objects.get(action="update").subject_id == str(token.pk)
    assert client.get("/api/v1/", headers={"authorization": f"Bearer {key}"}).status_code == 401
    assert "無効化済み" in token_admin.get(LIST).content.decode()
