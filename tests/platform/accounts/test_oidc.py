"""OpenID Connect login end to end against a real provider process (oidc-provider-mock).

Our side is driven with Django's test Client, the provider's side with httpx, as a
browser would: follow the redirect to the provider, submit its form, bring the code back.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from musubi.platform.accounts import oidc
from musubi.platform.accounts.models import ExternalIdentity, User
from musubi.platform.residents.models import AccountLink

CLIENT_ID = "musubi-test-client"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def provider_url():
    """Start the provider as its own process on 127.0.0.1 (its issuer is the request host)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/.well-known/openid-configuration", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("oidc-provider-mock did not start") from None
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def oidc_settings(settings, provider_url):
    settings.OIDC_ISSUER = provider_url
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = "client-secret"
    settings.OIDC_PRIVATE_KEY_FILE = ""
    # the mock knows only the standard scopes; the デジタル認証アプリ's own are name/birthdate/…
    settings.OIDC_SCOPES = ["openid", "profile", "email", "address"]
    return settings


@pytest.fixture
def person(provider_url):
    """A person known to the provider, with the claims the デジタル認証アプリ gives."""
    sub = f"person-{uuid.uuid4().hex}"
    claims = {
        "name": "駒ヶ根\u3000花子",
        "birthdate": "1989-01-07",
        "address": {"formatted": "長野県駒ヶ根市中沢1234-5"},
        "email": f"{sub}@example.jp",
        "email_verified": True,
    }
    httpx.put(f"{provider_url}/users/{sub}", json=claims).raise_for_status()
    return sub


@pytest.fixture
def registered_hanako(register_resident):
    return register_resident()


@pytest.fixture
def token_requests(monkeypatch):
    """Record what our client posts to the token endpoint (the request still goes through)."""
    sent = []
    real_post = httpx.post

    def spy(url, *args, **kwargs):
        if url.endswith("/oauth2/token"):
            sent.append({"url": url, **kwargs})
        return real_post(url, *args, **kwargs)

    monkeypatch.setattr(oidc.httpx, "post", spy)
    return sent


def go_to_provider(client) -> str:
    response = client.get(reverse("accounts:oidc_login"))
    assert response.status_code == 302
    return response.url


def consent(authorize_url: str, sub: str | None = None, deny: bool = False) -> dict[str, str]:
    """Submit the provider's form; return the query it sends back to our callback."""
    form = {"action": "deny"} if deny else {"sub": sub}
    assert httpx.get(authorize_url).status_code == 200, "the provider shows its form"
    response = httpx.post(authorize_url, data=form)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.path == reverse("accounts:oidc_callback")
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def callback(client, params: dict[str, str]):
    return client.get(reverse("accounts:oidc_callback"), params)


def test_login_end_to_end_links_the_registry(
    client, oidc_settings, person, registered_hanako, token_requests
):
    authorize_url = go_to_provider(client)
    request = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    assert authorize_url.startswith(f"{oidc_settings.OIDC_ISSUER}/oauth2/authorize?")
    assert request["response_type"] == "code"
    assert request["client_id"] == CLIENT_ID
    assert request["scope"] == "openid profile email address"
    assert request["code_challenge_method"] == "S256"
    assert request["state"] and request["nonce"]

    response = callback(client, consent(authorize_url, person))
    assert response.status_code == 302
    assert response.url == reverse("ui:home")

    (sent,) = token_requests
    assert sent["data"]["code_verifier"]
    assert oidc.pkce_challenge(sent["data"]["code_verifier"]) == request["code_challenge"]
    assert sent["data"]["redirect_uri"] == request["redirect_uri"]
    assert sent["auth"] is not None, "client_secret_basic"

    identity = ExternalIdentity.objects.get(subject=person)
    assert identity.issuer == oidc_settings.OIDC_ISSUER
    assert client.session["_auth_user_id"] == str(identity.user.pk)
    assert identity.user.email == f"{person}@example.jp"
    assert identity.user.email_verified
    assert AccountLink.objects.get(user=identity.user).resident == registered_hanako
    assert oidc.SESSION_KEY not in client.session, "state and nonce are single-use"


def test_second_login_finds_the_same_account(client, oidc_settings, person, registered_hanako):
    callback(client, consent(go_to_provider(client), person))
    client.post(reverse("accounts:logout"))
    callback(client, consent(go_to_provider(client), person))
    assert User.objects.filter(external_identities__subject=person).count() == 1
    assert client.session["_auth_user_id"] == str(ExternalIdentity.objects.get().user_id)


def test_no_registry_match_still_logs_in_unlinked(client, oidc_settings, person, db):
    response = callback(client, consent(go_to_provider(client), person))
    assert response.status_code == 302
    user = ExternalIdentity.objects.get(subject=person).user
    assert not AccountLink.objects.filter(user=user).exists()


def test_private_key_jwt_assertion(client, oidc_settings, person, db, token_requests, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "client.pem").write_bytes(pem)
    oidc_settings.OIDC_PRIVATE_KEY_FILE = str(tmp_path / "client.pem")
    oidc_settings.OIDC_CLIENT_SECRET = ""

    response = callback(client, consent(go_to_provider(client), person))
    # oidc-provider-mock 0.3 authenticates clients only by secret, so it answers
    # invalid_client; the resident sees our token-failure page, and we check what we sent.
    assert response.status_code == 502
    assert not ExternalIdentity.objects.exists()

    (sent,) = token_requests
    token_endpoint = f"{oidc_settings.OIDC_ISSUER}/oauth2/token"
    assert sent["url"] == token_endpoint
    assert sent["auth"] is None
    assert sent["data"]["client_assertion_type"] == oidc.ASSERTION_TYPE
    claims = jwt.decode(
        sent["data"]["client_assertion"],
        key.public_key(),
        algorithms=["RS256"],
        audience=token_endpoint,
    )
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["jti"]
    assert 0 < claims["exp"] - time.time() <= oidc.ASSERTION_LIFETIME


def test_state_mismatch(client, oidc_settings, person, db):
    params = consent(go_to_provider(client), person)
    response = callback(client, params | {"state": "forged"})
    assert response.status_code == 400
    assert "最初からやり直してください" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_callback_without_a_started_login(client, oidc_settings, db):
    response = callback(client, {"code": "x", "state": "y"})
    assert response.status_code == 400


def test_resident_cancels_at_the_provider(client, oidc_settings, db):
    params = consent(go_to_provider(client), deny=True)
    assert params["error"] == "access_denied"
    response = callback(client, params)
    assert response.status_code == 400
    assert "取り消された可能性があります" in response.content.decode()


def test_token_endpoint_refuses_the_code(client, oidc_settings, person, db):
    params = consent(go_to_provider(client), person)
    response = callback(client, params | {"code": "not-a-code-it-issued"})
    assert response.status_code == 502
    assert "応答を確認できませんでした" in response.content.decode()
    assert not ExternalIdentity.objects.exists()


def test_id_token_with_the_wrong_nonce_is_refused(client, oidc_settings, person, db):
    authorize_url = go_to_provider(client)
    session = client.session
    session[oidc.SESSION_KEY] = session[oidc.SESSION_KEY] | {"nonce": "another-login"}
    session.save()
    response = callback(client, consent(authorize_url, person))
    assert response.status_code == 502
    assert "本人情報を検証できませんでした" in response.content.decode()
    assert not ExternalIdentity.objects.exists()


def test_id_token_for_another_client_is_refused(client, oidc_settings, person, db):
    authorize_url = go_to_provider(client)
    params = consent(authorize_url.replace(CLIENT_ID, "someone-else"), person)
    response = callback(client, params)
    assert response.status_code == 502
    assert not ExternalIdentity.objects.exists()


def test_provider_unreachable(client, oidc_settings, db):
    oidc_settings.OIDC_ISSUER = f"http://127.0.0.1:{_free_port()}"
    response = client.get(reverse("accounts:oidc_login"))
    assert response.status_code == 502
    assert "認証サービスに接続できませんでした" in response.content.decode()


def test_not_configured(client, settings, db):
    settings.OIDC_ISSUER = ""
    response = client.get(reverse("accounts:oidc_login"))
    assert response.status_code == 404
    assert "login" in client.get(reverse("accounts:login")).content.decode()
    assert (
        reverse("accounts:oidc_login") not in client.get(reverse("accounts:login")).content.decode()
    )


def test_login_page_offers_oidc_when_configured(client, oidc_settings, db):
    assert reverse("accounts:oidc_login") in client.get(reverse("accounts:login")).content.decode()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("駒ヶ根 花子", ("駒ヶ根", "花子")),
        ("駒ヶ根\u3000花子", ("駒ヶ根", "花子")),
        ("Smith John Paul", ("Smith", "John Paul")),
        ("一郎", ("一郎", "")),
    ],
)
def test_split_name(name, expected):
    from musubi.platform.accounts.services import split_name

    assert split_name(name) == expected
