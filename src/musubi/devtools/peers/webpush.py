"""A local push service (RFC 8030) that checks what a real one checks before accepting.

It decrypts nothing. It verifies the VAPID ``Authorization: vapid t=<JWT>, k=<key>`` header
(RFC 8292: ES256 signature by ``k``, ``aud`` = this origin, ``exp`` within 24 hours, a ``sub``),
the ``aes128gcm`` content coding header of the body (RFC 8188: salt, record size, the sender's
65-byte public key as key ID), ``TTL`` and the 4,096-byte limit. Subscriptions it hands out carry
real P-256 keys so senders can encrypt for them; ``gone`` ones answer 410.
"""

from __future__ import annotations

import base64
import secrets
import struct
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from musubi.devtools.peers.server import Peer, Reply, Request

_MAX_BODY = 4096
_MAX_TOKEN_AGE = 24 * 3600


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _vapid_fields(header: str) -> dict[str, str]:
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "vapid":
        return {}
    fields = (part.strip().split("=", 1) for part in rest.split(","))
    return {pair[0]: pair[1] for pair in fields if len(pair) == 2}


def _coding_error(body: bytes) -> str:
    """What is wrong with an aes128gcm body's header (RFC 8188 §2.1), or ''."""
    if len(body) > _MAX_BODY:
        return "payload larger than 4096 bytes"
    if len(body) < 21 + 65 + 17:
        return "body too short for an aes128gcm header and one record"
    record_size, id_length = struct.unpack("!IB", body[16:21])
    if record_size < 18 or id_length != 65 or body[21] != 0x04:
        return "aes128gcm header must carry the sender's 65-byte uncompressed public key"
    return ""


def subscription_on(base_url: str) -> dict:
    """A browser-like subscription (endpoint + real P-256 key + auth secret) on ``base_url``.

    The peer accepts any ``/push/<id>``, so a benchmark in another process can make its own.
    """
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    keys = {"p256dh": _b64(point), "auth": _b64(secrets.token_bytes(16))}
    return {"endpoint": f"{base_url}/push/{secrets.token_urlsafe(24)}", "keys": keys}


class WebPushPeer(Peer):
    """The peer; ``accepted`` records (subscription id, body length, urgency) per message."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted: list[dict] = []
        self.refused: list[dict] = []
        self.gone: set[str] = set()
        self._verified: dict[str, float] = {}  # valid Authorization header → its exp

    def subscription(self) -> dict:
        """A new browser-like subscription on this service, with real keys."""
        return subscription_on(self.url)

    def handle(self, request: Request) -> Reply:
        subscription_id = request.path.removeprefix("/push/")
        if request.method != "POST" or subscription_id == request.path:
            return Reply(404, b"")
        error = self._vapid_error(request.headers.get("authorization", ""))
        if error:
            return self._refuse(401, subscription_id, error)
        if subscription_id in self.gone:
            return Reply(410, b"")
        if request.headers.get("content-encoding") != "aes128gcm":
            return self._refuse(400, subscription_id, "Content-Encoding must be aes128gcm")
        if not request.headers.get("ttl", "").isdigit():
            return self._refuse(400, subscription_id, "TTL header missing")
        if error := _coding_error(request.body):
            status = 413 if len(request.body) > _MAX_BODY else 400
            return self._refuse(status, subscription_id, error)
        record = {
            "subscription": subscription_id,
            "length": len(request.body),
            "urgency": request.headers.get("urgency", "normal"),
        }
        with self.lock:
            self.accepted.append(record)
        return Reply(201, b"", {"Location": f"{self.url}/message/{secrets.token_urlsafe(12)}"})

    def _refuse(self, status: int, subscription_id: str, reason: str) -> Reply:
        with self.lock:
            self.refused.append(
                {"subscription": subscription_id, "status": status, "reason": reason}
            )
        return Reply(status, reason.encode())

    def _vapid_error(self, header: str) -> str:
        """Why the VAPID header is refused, or ''; a valid token is remembered until it expires."""
        with self.lock:
            expires = self._verified.get(header, 0.0)
        if expires > time.time():
            return ""
        fields = _vapid_fields(header)
        if "t" not in fields or "k" not in fields:
            return "Authorization must be 'vapid t=<JWT>, k=<public key>'"
        try:
            point = _unb64(fields["k"])
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            claims = jwt.decode(
                fields["t"],
                key,
                algorithms=["ES256"],
                audience=self.url,
                options={"require": ["exp", "aud", "sub"]},
            )
        except (ValueError, jwt.PyJWTError) as exc:
            return f"VAPID token refused: {exc}"
        if claims["exp"] > time.time() + _MAX_TOKEN_AGE:
            return "VAPID token: exp more than 24 hours ahead"
        with self.lock:
            self._verified[header] = float(claims["exp"])
        return ""
