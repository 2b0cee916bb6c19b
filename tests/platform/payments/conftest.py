"""Fixtures for payments: a payer, payments in each state, and webhooks signed like the demo
provider signs them (or forged)."""

from __future__ import annotations

import json
import time

import pytest

from musubi.platform.accounts.models import User
from musubi.platform.events.services import subscribe
from musubi.platform.payments import services
from musubi.platform.payments.models import Payment
from musubi.platform.payments.providers import demo

PUBLISHED: list[tuple[str, dict]] = []


def _remember(name: str):
    def remember(**payload) -> None:
        PUBLISHED.append((name, payload))

    remember.__qualname__ = f"remember[{name}]"
    return remember


for _name in ("payments.paid", "payments.failed", "payments.refunded", "payments.expired"):
    subscribe(_name)(_remember(_name))


@pytest.fixture
def published():
    """The events payments published (delivered after commit) during the test, in order."""
    PUBLISHED.clear()
    yield PUBLISHED
    PUBLISHED.clear()


@pytest.fixture
def payer(db) -> User:
    email = "hanako@example.jp"
    return User.objects.create_user(
        username=email, email=email, password="long-enough-pass-1", display_name="駒ヶ根 花子"
    )


@pytest.fixture
def make_payment(payer):
    def make(amount: int = 1200, **extra) -> Payment:
        fields = {
            "payer": payer,
            "amount": amount,
            "purpose": "体育館 2026-05-01 午前",
            "subject_app": "bookings",
            "subject_id": "42",
            **extra,
        }
        return services.create_payment(**fields)

    return make


@pytest.fixture
def pending(make_payment) -> Payment:
    payment = make_payment()
    services.start(payment)
    payment.refresh_from_db()
    return payment


@pytest.fixture
def paid(pending, django_capture_on_commit_callbacks) -> Payment:
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_webhook("demo", demo.webhook_for(pending, True))
    pending.refresh_from_db()
    return pending


def signed_body(
    payment: Payment,
    *,
    kind: str = "payment.succeeded",
    event_id: str = "evt_1",
    amount: int | None = None,
    at: int | None = None,
) -> tuple[bytes, str]:
    """A webhook body for ``payment`` and its genuine signature header value."""
    body = json.dumps({
        "id": event_id,
        "type": kind,
        "created": at or int(time.time()),
        "data": {"reference": payment.reference,
                 "amount": payment.amount if amount is None else amount},
    }).encode()  # fmt: skip
    return body, demo.signature(body, at or int(time.time()))


@pytest.fixture
def post_webhook(client):
    """``post_webhook(body, signature)``: POST to the demo webhook endpoint over the test client."""

    def post(body: bytes, signature: str | None, **headers):
        if signature is not None:
            headers["HTTP_MUSUBI_DEMO_SIGNATURE"] = signature
        return client.post(
            "/payments/webhooks/demo/", body, content_type="application/json", **headers
        )

    return post
