"""Web Push channel: a notification to a browser that subscribed on the resident's page.

Messages are encrypted for the subscription (RFC 8291, ``aes128gcm``) and signed for the push
service with our VAPID key (RFC 8292) by ``pywebpush``. The address is the subscription JSON the
browser gave (endpoint and keys), stored as a ContactPoint of kind ``webpush``. A push service
answering 404 or 410 says the subscription is gone for good.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException

from musubi.platform.notify.channels.base import Channel, Outcome, Outgoing, Result
from musubi.platform.notify.channels.http_outcomes import outcome_for, retry_after
from musubi.platform.notify.channels.registry import register

#: A push message must stay under 4,096 bytes once encrypted; keep the JSON well below.
_MAX_PAYLOAD = 3000
_TTL_SECONDS = 24 * 3600
_TOKEN_LIFETIME = 12 * 3600
_PARALLEL_REQUESTS = 8
_TIMEOUT = 10.0


class SubscriptionError(ValueError):
    """A browser's subscription JSON that cannot be used; the text says what is wrong."""


def _b64_length(value: object) -> int:
    if not isinstance(value, str):
        return -1
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except ValueError:
        return -1


def parse_subscription(raw: str) -> dict:
    """The canonical subscription (endpoint + p256dh + auth) from a browser's JSON.

    The endpoint must be https (or http on loopback, for local peers); p256dh is an uncompressed
    P-256 point (65 bytes) and auth a 16-byte secret, as RFC 8291 requires.
    """
    try:
        data = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise SubscriptionError("subscription is not JSON") from exc
    if not isinstance(data, dict):
        raise SubscriptionError("subscription is not a JSON object")
    endpoint = data.get("endpoint")
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    local = parts is not None and parts.hostname in ("127.0.0.1", "localhost")
    if not parts or not parts.netloc or not (parts.scheme == "https" or local):
        raise SubscriptionError("endpoint must be an https URL")
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    if _b64_length(keys.get("p256dh")) != 65 or _b64_length(keys.get("auth")) != 16:
        raise SubscriptionError("keys.p256dh or keys.auth is missing or malformed")
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}


def canonical(subscription: dict) -> str:
    """The stored form of a subscription: compact JSON with sorted keys (one value per browser)."""
    return json.dumps(subscription, separators=(",", ":"), sort_keys=True)


def _key_file() -> Path:
    return settings.DATA_DIR / "vapid_private_key.pem"


def _generated_key() -> str:
    """The instance's own VAPID key, generated once into the data directory (demo, dev)."""
    path = _key_file()
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    return path.read_text()


@cache
def _vapid_from(private_key: str) -> Vapid:
    if "BEGIN" in private_key:
        return Vapid.from_pem(private_key.encode())
    return Vapid.from_string(private_key)


def vapid() -> Vapid:
    """Our VAPID signer: the configured key, else the generated one."""
    return _vapid_from(settings.VAPID_PRIVATE_KEY or _generated_key())


def public_key() -> str:
    """The applicationServerKey browsers subscribe with (base64url, uncompressed point)."""
    if settings.VAPID_PUBLIC_KEY:
        return settings.VAPID_PUBLIC_KEY
    raw = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subject() -> str:
    return settings.VAPID_SUBJECT or f"mailto:{settings.DEFAULT_FROM_EMAIL}"


def payload(item: Outgoing) -> bytes:
    """What the service worker shows: title, body (cut to fit), link, and a tag per delivery."""
    body = item.body
    while True:
        message = {"title": item.subject[:120], "body": body, "url": item.url, "tag": item.key}
        encoded = json.dumps(message, ensure_ascii=False).encode()
        excess = len(encoded) - _MAX_PAYLOAD
        if excess <= 0 or not body.rstrip("…"):
            return encoded
        kept = body.encode()[: max(0, len(body.encode()) - excess - 3)]
        body = kept.decode(errors="ignore") + "…"


@dataclass
class _Signer:
    """VAPID headers per push-service origin, reused while the token is young (signing is slow)."""

    signed: dict[str, tuple[float, dict]]
    lock: threading.Lock

    def headers(self, endpoint: str) -> dict:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        with self.lock:
            made, headers = self.signed.get(audience, (0.0, {}))
            if now - made > _TOKEN_LIFETIME / 2:
                claims = {"aud": audience, "exp": int(now) + _TOKEN_LIFETIME, "sub": subject()}
                headers = vapid().sign(claims)
                self.signed[audience] = (now, headers)
        return dict(headers)


@register
class WebPushChannel(Channel):
    """Browser notifications; the address is the subscription JSON."""

    code = "webpush"
    label_ja = "Webプッシュ通知"
    label_en = "Web Push"
    max_batch = 200
    contact_kind = "webpush"

    def __init__(self) -> None:
        self.session: requests.Session | None = None
        self.signer = _Signer({}, threading.Lock())

    def send(self, items: list[Outgoing]) -> list[Result]:
        if self.session is None:
            self.session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=_PARALLEL_REQUESTS)
            self.session.mount("https://", adapter)
            self.session.mount("http://", adapter)
        with ThreadPoolExecutor(_PARALLEL_REQUESTS) as pool:
            return list(pool.map(self._one, items))

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def _one(self, item: Outgoing) -> Result:
        try:
            subscription = parse_subscription(item.address)
        except SubscriptionError as exc:
            return Result(item.delivery_id, Outcome.FAILED_PERMANENT, str(exc))
        headers = self.signer.headers(subscription["endpoint"])
        headers["Urgency"] = "high" if item.emergency else "normal"
        pusher = WebPusher(subscription, requests_session=self.session)
        try:
            response = pusher.send(payload(item), headers, ttl=_TTL_SECONDS, timeout=_TIMEOUT)
        except (requests.RequestException, WebPushException) as exc:
            return Result(
                item.delivery_id, Outcome.FAILED_TEMPORARY, f"{type(exc).__name__}: {exc}"
            )
        return _result(item, response)


def _result(item: Outgoing, response: requests.Response) -> Result:
    status = response.status_code
    if status in (404, 410):
        detail = f"HTTP {status}: subscription gone"
        return Result(item.delivery_id, Outcome.FAILED_PERMANENT, detail, gone=True)
    outcome = outcome_for(status)
    if status == 403:  # the subscription belongs to another VAPID key: it will never accept ours
        outcome = Outcome.FAILED_PERMANENT
    wait = retry_after(response.headers) if status == 429 else None
    detail = f"HTTP {status} {response.text[:200]}".strip()
    location = response.headers.get("Location", "")
    return Result(item.delivery_id, outcome, detail, wait, location.rsplit("/", 1)[-1])
