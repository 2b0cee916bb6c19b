"""Passkeys in a real browser: Chromium's virtual authenticator (over CDP) registers a passkey
on the management page, then answers the second login step; axe checks the new pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from musubi.platform.accounts.models import Passkey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pass-1"  # the password make_staff gives (tests/browser/conftest.py)


@pytest.fixture(autouse=True)
def _site_is_the_live_server(settings, live_server):
    """The RP id is the host of MUSUBI_SITE_URL: make it the live server's (localhost)."""
    settings.SITE_URL = live_server.url
    settings.WEBAUTHN_RP_ID = ""
    assert live_server.url.startswith("http://localhost:"), "WebAuthn needs a domain name"


def add_virtual_authenticator(page: Page) -> dict:
    """A platform authenticator with user verification, which answers without a prompt."""
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    added = session.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return {"session": session, "id": added["authenticatorId"]}


def test_register_a_passkey_then_log_in_with_it(new_context, make_staff, staff_login, axe):
    user, secret = make_staff()
    page = new_context("ja").new_page()
    authenticator = add_virtual_authenticator(page)
    staff_login(page, user, secret)

    page.goto(reverse("accounts:staff_passkeys"))
    expect(page.get_by_text("パスキーはまだ登録されていません。")).to_be_visible()
    expect(page.locator("[data-passkey-unsupported]")).to_be_hidden()
    axe(page)
    page.get_by_label("パスキーの名前").fill("職員用ノートPC")
    page.get_by_role("button", name="パスキーを登録する").click()
    expect(page.get_by_text("パスキー「職員用ノートPC」を登録しました。")).to_be_visible()
    expect(page.get_by_role("rowheader", name="職員用ノートPC")).to_be_visible()
    axe(page)
    held = authenticator["session"].send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["id"]}
    )["credentials"]
    passkey = Passkey.objects.get(user=user)
    assert [c["credentialId"].rstrip("=") for c in held] == [
        passkey.credential_id.replace("-", "+").replace("_", "/")
    ]
    assert passkey.transports == ["internal"]

    page.get_by_role("link", name="「職員用ノートPC」を削除").click()
    expect(page.get_by_role("button", name="削除する")).to_be_visible()
    axe(page)

    page.get_by_role("button", name="ログアウト").click()
    page.goto(reverse("accounts:staff_login"))
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/staff/verify/")
    expect(page.get_by_role("heading", name="パスキーでログイン")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="パスキーを使う").click()
    page.wait_for_url("**/staff/")
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None


def test_without_webauthn_only_the_code_form_is_offered(new_context, make_staff, axe):
    user, _secret = make_staff()
    Passkey.objects.create(user=user, name="鍵", credential_id="AAAA", public_key=b"\x00")
    page = new_context("ja").new_page()
    page.add_init_script("delete window.PublicKeyCredential;")
    page.goto(reverse("accounts:staff_login"))
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/staff/verify/")
    expect(page.get_by_role("button", name="パスキーを使う")).to_be_hidden()
    expect(page.locator("[data-passkey-unsupported]")).to_be_visible()
    expect(page.get_by_label("確認コード")).to_be_visible()
    axe(page)
