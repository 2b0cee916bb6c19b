"""A small OpenID Connect relying party, shaped for the Digital Agency's デジタル認証アプリ.

Authorization code flow with PKCE (S256), state and nonce kept in the session, client
authentication by ``client_secret_basic`` or, when a private key is configured,
``private_key_jwt``. Every way the exchange can go wrong becomes an ``OidcError`` with a
``kind`` the views turn into a clear page; nothing here lets an exception escape as a 500.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from django.conf import settings

SESSION_KEY = "oidc_flow"
TIMEOUT = httpx.Timeout(10.0)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300
ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256"]


class OidcError(Exception):
    """A failed login; ``kind`` is one of: config, discovery, state, provider, token, id_token,
    userinfo."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def _get_json(url: str, kind: str, **kwargs: Any) -> dict:
    try:
        response = httpx.get(url, timeout=TIMEOUT, **kwargs)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError(kind, f"{url}: {exc}") from exc
    if not isinstance(body, dict):
        raise OidcError(kind, f"{url}: expected a JSON object")
    return body


def discover() -> Provider:
    """Read the provider's metadata from ``{issuer}/.well-known/openid-configuration``."""
    if not enabled():
        raise OidcError("config", "MUSUBI_OIDC_ISSUER and MUSUBI_OIDC_CLIENT_ID must be set")
    issuer = settings.OIDC_ISSUER.rstrip("/")
    meta = _get_json(f"{issuer}/.well-known/openid-configuration", "discovery")
    if str(meta.get("issuer", "")).rstrip("/") != issuer:
        raise OidcError("discovery", f"metadata names issuer {meta.get('issuer')!r}")
    try:
        return Provider(
            issuer=meta["issuer"],
            authorization_endpoint=meta["authorization_endpoint"],
            token_endpoint=meta["token_endpoint"],
            userinfo_endpoint=meta["userinfo_endpoint"],
            jwks_uri=meta["jwks_uri"],
        )
    except KeyError as exc:
        raise OidcError("discovery", f"metadata lacks {exc}") from exc


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start(session, redirect_uri: str, next_url: str = "") -> str:
    """Remember state, nonce and PKCE verifier in ``session``; return the authorization URL."""
    provider = discover()
    flow = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),
        "redirect_uri": redirect_uri,
        "next": next_url,
    }
    session[SESSION_KEY] = flow
    query = {
        "response_type": "code",
        "client_id": settings.OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": " ".join(settings.OIDC_SCOPES),
        "state": flow["state"],
        "nonce": flow["nonce"],
        "code_challenge": pkce_challenge(flow["verifier"]),
        "code_challenge_method": "S256",
    }
    return f"{provider.authorization_endpoint}?{urlencode(query)}"


def finish(session, params: dict[str, str]) -> tuple[dict[str, Any], str]:
    """Check the callback, redeem the code, verify the ID token.

    Returns the person's claims (ID token and userinfo merged) and where to go next.
    """
    flow = session.pop(SESSION_KEY, None)
    if params.get("error"):
        # reported even without state: some providers omit it, and nothing is granted here
        raise OidcError("provider", f"{params['error']}: {params.get('error_description', '')}")
    if not flow or not secrets.compare_digest(str(params.get("state", "")), flow["state"]):
        raise OidcError("state", "missing or mismatched state")
    if not params.get("code"):
        raise OidcError("provider", "no authorization code")
    provider = discover()
    tokens = redeem_code(provider, params["code"], flow)
    claims = verify_id_token(provider, tokens.get("id_token", ""), flow["nonce"])
    userinfo = fetch_userinfo(provider, tokens.get("access_token", ""), claims["sub"])
    return {**userinfo, **claims}, flow.get("next", "")


def redeem_code(provider: Provider, code: str, flow: dict) -> dict:
    """POST the code and PKCE verifier to the token endpoint, authenticated as this client."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow["redirect_uri"],
        "code_verifier": flow["verifier"],
    }
    auth = None
    if settings.OIDC_PRIVATE_KEY_FILE:
        data |= {
            "client_id": settings.OIDC_CLIENT_ID,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(provider.token_endpoint),
        }
    else:
        auth = httpx.BasicAuth(settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET)
    try:
        response = httpx.post(provider.token_endpoint, data=data, auth=auth, timeout=TIMEOUT)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError("token", str(exc)) from exc
    if response.status_code != 200 or not isinstance(body, dict) or "error" in body:
        raise OidcError("token", f"HTTP {response.status_code}: {body}")
    return body


def client_assertion(token_endpoint: str) -> str:
    """The signed RS256 JWT by which this client proves itself (RFC 7523, private_key_jwt)."""
    try:
        key = Path(settings.OIDC_PRIVATE_KEY_FILE).read_bytes()
    except OSError as exc:
        raise OidcError("config", f"cannot read MUSUBI_OIDC_PRIVATE_KEY_FILE: {exc}") from exc
    now = int(time.time())
    claims = {
        "iss": settings.OIDC_CLIENT_ID,
        "sub": settings.OIDC_CLIENT_ID,
        "aud": token_endpoint,
        "jti": secrets.token_urlsafe(24),
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
    }
    try:
        return jwt.encode(claims, key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise OidcError("config", f"unusable private key: {exc}") from exc


def _signing_key(provider: Provider, token: str) -> jwt.PyJWK:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = jwt.PyJWKSet.from_dict(_get_json(provider.jwks_uri, "id_token")).keys
    except jwt.PyJWTError as exc:
        raise OidcError("id_token", str(exc)) from exc
    matching = [k for k in keys if kid is None or k.key_id == kid]
    if not matching:
        raise OidcError("id_token", f"no key {kid!r} in the provider's JWKS")
    return matching[0]


def verify_id_token(provider: Provider, token: str, nonce: str) -> dict[str, Any]:
    """Check signature, issuer, audience, expiry and nonce of the ID token."""
    if not token:
        raise OidcError("id_token", "the token response has no id_token")
    key = _signing_key(provider, token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=ID_TOKEN_ALGORITHMS,
            audience=settings.OIDC_CLIENT_ID,
            issuer=provider.issuer,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            leeway=30,
        )
    except jwt.PyJWTError as exc:
        raise OidcError("id_token", str(exc)) from exc
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise OidcError("id_token", "nonce does not match")
    return claims


def fetch_userinfo(provider: Provider, access_token: str, sub: str) -> dict[str, Any]:
    """The userinfo claims; they must describe the same subject as the ID token."""
    headers = {"Authorization": f"Bearer {access_token}"}
    info = _get_json(provider.userinfo_endpoint, "userinfo", headers=headers)
    if info.get("sub") != sub:
        raise OidcError("userinfo", "userinfo describes another subject")
    return info
