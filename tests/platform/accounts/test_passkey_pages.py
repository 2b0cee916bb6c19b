"""Passkey pages: the second login step by passkey, and managing one's own passkeys."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from musubi.platform.accounts.models import Passkey
from tests.platform.accounts.softkey import SoftKey

SITE = "http://testserver"
DASHBOARD = "/staff/"
MANAGE = "/accounts/staff/passkeys/"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.WEBAUTHN_RP_ID = ""


@pytest.fixture
def clerk(reference_data, make_staff):
    return make_staff("shimin", "clerk")


def register(client, key: SoftKey, name: str = "ノートPC"):
    """Register through the pages as passkey.js does: options first, then the answer."""
    options = client.post(reverse("accounts:staff_passkey_register_options"), {"name": name})
    assert options.status_code == 200, options.content.decode()
    answer = key.create(options.content.decode())
    return client.post(MANAGE, {"name": name, "credential": answer})


def password_step(client, user, password):
    return client.post(reverse("accounts:staff_login"), {"email": user.email, "password": password})


def passkey_step(client, key: SoftKey, **bend):
    options = client.post(reverse("accounts:staff_passkey_options"))
    assert options.status_code == 200, options.content.decode()
    answer = key.get(options.content.decode(), **bend)
    return client.post(reverse("accounts:staff_passkey"), {"credential": answer})


@pytest.fixture
def enrolled(client, clerk, give_device, staff_session):
    """A clerk with a TOTP device who has registered one passkey, then logged out."""
    give_device(clerk)
    staff_session(client, clerk)
    key = SoftKey(origin=SITE)
    assert register(client, key).url == MANAGE
    client.logout()
    return key


def test_register_list_and_log_in_with_a_passkey(client, clerk, enrolled, password):
    passkey = Passkey.objects.get(user=clerk)
    assert passkey.name == "ノートPC"

    assert password_step(client, clerk, password).url == reverse("accounts:staff_mfa")
    page = client.get(reverse("accounts:staff_mfa")).content.decode()
    assert 'name="code"' in page, "the TOTP path stays"
    assert "data-passkey-section hidden" in page, "the passkey button waits for JavaScript"
    assert "accounts/passkey.js" in page

    response = passkey_step(client, enrolled)
    assert response.url == DASHBOARD
    assert client.session["staff_mfa_passed"] is True
    assert client.session["_auth_user_id"] == str(clerk.pk)

    page = client.get(MANAGE).content.decode()
    assert '<th scope="row">ノートPC</th>' in page and "未使用" not in page


def test_a_passkey_only_account_goes_to_the_passkey_step(client, clerk, staff_session, password):
    staff_session(client, clerk)
    key = SoftKey(origin=SITE)
    register(client, key)
    client.logout()
    assert password_step(client, clerk, password).url == reverse("accounts:staff_mfa")
    assert client.get(reverse("accounts:staff_enrol")).url == reverse("accounts:staff_mfa")
    page = client.get(reverse("accounts:staff_mfa")).content.decode()
    assert 'name="code"' not in page
    assert "<h1>パスキーでログイン</h1>" in page
    assert passkey_step(client, key).url == DASHBOARD


@override_settings(LOGIN_LOCKOUT_THRESHOLD=3)
def test_passkey_failures_count_toward_the_lockout(client, clerk, enrolled, password):
    password_step(client, clerk, password)
    page = passkey_step(client, enrolled, origin="https://evil.example").content.decode()
    assert "パスキーを確認できませんでした。" in page
    page = client.post(reverse("accounts:staff_mfa"), {"code": "000000"}).content.decode()
    assert "確認コードが違います。" in page
    page = passkey_step(client, enrolled, origin="https://evil.example").content.decode()
    assert "一時的にロックされています" in page
    assert not client.session.get("staff_mfa_passed")
    clerk.refresh_from_db()
    assert clerk.locked_until is not None

    password_step(client, clerk, password)
    assert client.post(reverse("accounts:staff_passkey_options")).status_code == 403
    assert not client.session.get("staff_mfa_passed")


def test_a_bad_answer_at_the_passkey_step_is_a_message_not_an_error(
    client, clerk, enrolled, password
):
    password_step(client, clerk, password)
    client.post(reverse("accounts:staff_passkey_options"))
    for posted in ({}, {"credential": "{broken"}):
        response = client.post(reverse("accounts:staff_passkey"), posted)
        assert response.status_code == 200
        assert "パスキー" in response.content.decode()
    assert not client.session.get("staff_mfa_passed")


def test_the_passkey_step_needs_the_password_step(client, clerk, enrolled):
    response = client.post(reverse("accounts:staff_passkey_options"))
    assert response.status_code == 403
    assert "最初からやり直してください" in response.json()["error"]
    response = client.post(reverse("accounts:staff_passkey"), {"credential": "{}"})
    assert response.url == reverse("accounts:staff_login")
    assert client.get(reverse("accounts:staff_passkey")).status_code == 405


def test_names_are_checked_before_the_authenticator_is_asked(
    client, clerk, enrolled, staff_session
):
    staff_session(client, clerk)
    url = reverse("accounts:staff_passkey_register_options")
    response = client.post(url, {"name": "ノートPC"})
    assert response.status_code == 400
    assert response.json()["error"] == "同じ名前のパスキーが既にあります。"
    assert client.post(url, {"name": " "}).json()["error"] == "この項目は必須です。"
    assert "passkey_challenge" not in client.session


def test_a_failed_registration_says_why_and_keeps_the_name(client, clerk, staff_session):
    staff_session(client, clerk)
    key = SoftKey(origin="https://evil.example")
    options = client.post(reverse("accounts:staff_passkey_register_options"), {"name": "鍵"})
    response = client.post(MANAGE, {"name": "鍵", "credential": key.create(options.content)})
    page = response.content.decode()
    assert "パスキーを登録できませんでした。" in page
    assert 'value="鍵"' in page
    assert not Passkey.objects.exists()


def test_remove_after_confirmation(client, clerk, enrolled, staff_session):
    staff_session(client, clerk)
    passkey = Passkey.objects.get(user=clerk)
    url = reverse("accounts:staff_passkey_remove", args=[passkey.pk])
    page = client.get(url).content.decode()
    assert "「ノートPC」を削除しますか" in page
    assert Passkey.objects.filter(pk=passkey.pk).exists(), "asking removes nothing"
    response = client.post(url)
    assert response.url == MANAGE
    assert not Passkey.objects.exists()
    assert "パスキー「ノートPC」を削除しました。" in client.get(MANAGE).content.decode()


def test_the_last_second_factor_cannot_be_removed(client, clerk, staff_session):
    staff_session(client, clerk)
    register(client, SoftKey(origin=SITE))
    passkey = Passkey.objects.get(user=clerk)
    url = reverse("accounts:staff_passkey_remove", args=[passkey.pk])
    page = client.get(url).content.decode()
    assert "最後の第二要素は削除できません。" in page
    assert "削除する</button>" not in page
    page = client.post(url).content.decode()
    assert "最後の第二要素は削除できません。" in page
    assert Passkey.objects.filter(pk=passkey.pk).exists()


def test_nobody_sees_or_removes_anothers_passkey(
    client, clerk, enrolled, make_staff, give_device, staff_session
):
    other = make_staff("zeimu", "clerk")
    give_device(other)
    staff_session(client, other)
    passkey = Passkey.objects.get(user=clerk)
    page = client.get(MANAGE).content.decode()
    assert "ノートPC" not in page and "パスキーはまだ登録されていません。" in page
    url = reverse("accounts:staff_passkey_remove", args=[passkey.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Passkey.objects.filter(pk=passkey.pk).exists()


def test_pages_say_when_passkeys_cannot_work_at_this_address(
    client, clerk, staff_session, settings
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    staff_session(client, clerk)
    page = client.get(MANAGE).content.decode()
    assert "このアドレスではパスキーを使えません。" in page
    assert "data-passkey=" not in page
    response = client.post(reverse("accounts:staff_passkey_register_options"), {"name": "鍵"})
    assert response.status_code == 409
    assert response.json()["error"].startswith("このアドレスではパスキーを使えません。")
