"""The demo provider (デモ決済): a payment page inside Musubi that takes no money.

It behaves like a real card provider so the whole path is exercised: the payer chooses
success or failure on ``/payments/demo/<reference>/``, and the provider then sends a signed
webhook that goes through the same verification as any HTTP webhook. The signature header is
``Musubi-Demo-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``; a webhook
whose time is more than five minutes away from ours is refused, so a captured one cannot be
replayed later, and an event id is applied only once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from musubi.platform.payments.errors import WebhookRejected
from musubi.platform.payments.models import Payment
from musubi.platform.payments.providers.base import (
    FAILED,
    SUCCEEDED,
    Delivery,
    Provider,
    WebhookEvent,
    WebhookRequest,
)
from musubi.platform.payments.providers.registry import register

SIGNATURE_HEADER = "Musubi-Demo-Signature"
TOLERANCE_SECONDS = 300


def secret() -> bytes:
    """The signing secret: the configured one, else one derived from the Django secret key."""
    if settings.PAYMENTS_DEMO_SECRET:
        return settings.PAYMENTS_DEMO_SECRET.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"musubi.payments.demo", "sha256").digest()


def signature(body: bytes, timestamp: int) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _parts(header: str) -> tuple[int, list[str]]:
    """``t`` and every ``v1`` of a signature header (several v1 while a secret is rotated)."""
    timestamp, macs = None, []
    for item in header.split(","):
        name, _sep, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            macs.append(value)
    if timestamp is None or not macs:
        raise WebhookRejected(_("署名ヘッダーがないか、形式が正しくありません。"))
    return timestamp, macs


def _event(body: bytes) -> WebhookEvent:
    try:
        data = json.loads(body)
        details = data["data"]
        event = WebhookEvent(
            event_id=str(data["id"])[:100],
            kind=data["type"],
            reference=str(details["reference"]),
            amount=int(details["amount"]),
            payload=body.decode(),
            provider_reference=str(details.get("provider_reference", ""))[:100],
        )
    except (ValueError, KeyError, TypeError):
        raise WebhookRejected(_("通知の内容を読み取れません。")) from None
    if event.kind not in (SUCCEEDED, FAILED) or not event.event_id:
        raise WebhookRejected(_("通知の内容を読み取れません。"))
    return event


@register
class DemoProvider(Provider):
    code = "demo"
    label_ja = "デモ決済（実際の支払は発生しません）"
    label_en = "Demo payment (no money is taken)"

    def start(self, payment: Payment) -> str:
        return reverse("payments:demo_page", args=[payment.reference])

    def verify_webhook(self, request: WebhookRequest) -> WebhookEvent:
        timestamp, macs = _parts(request.headers.get(SIGNATURE_HEADER, ""))
        expected = signature(request.body, timestamp).rpartition("v1=")[2]
        if not any(hmac.compare_digest(expected, mac) for mac in macs):
            raise WebhookRejected(_("署名が正しくありません。"))
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise WebhookRejected(_("署名の時刻が5分以上ずれているため受け付けません。"))
        return _event(request.body)

    def refund(self, payment: Payment, amount: int) -> str:
        return "demo_re_" + secrets.token_hex(8)


def webhook_for(payment: Payment, succeeded: bool, *, at: int | None = None) -> Delivery:
    """The signed webhook the demo provider sends once the payer has chosen an outcome."""
    timestamp = int(time.time()) if at is None else at
    body: dict[str, Any] = {
        "id": "evt_" + secrets.token_hex(12),
        "type": SUCCEEDED if succeeded else FAILED,
        "created": timestamp,
        "data": {
            "reference": payment.reference,
            "amount": payment.amount,
            "provider_reference": payment.provider_reference,
        },
    }
    raw = json.dumps(body, separators=(",", ":")).encode()
    return Delivery(
        raw, {SIGNATURE_HEADER: signature(raw, timestamp), "Content-Type": "application/json"}
    )
