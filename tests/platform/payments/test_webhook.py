"""The webhook endpoint over HTTP: genuine, forged, replayed, stale and mismatched webhooks."""

from __future__ import annotations

import time

import pytest

from musubi.platform.payments.models import PaymentEvent, State

from .conftest import signed_body


def test_a_genuine_webhook_marks_the_payment_paid(
    pending, post_webhook, published, django_capture_on_commit_callbacks
):
    body, signature = signed_body(pending)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(body, signature)
    assert response.status_code == 200 and response.json() == {"status": "applied"}
    pending.refresh_from_db()
    assert pending.state == State.PAID
    event = pending.events.get(to_state=State.PAID)
    assert event.verified and event.event_id == "evt_1" and event.payload == body.decode()
    assert [name for name, _payload in published] == ["payments.paid"]


def test_a_replayed_event_is_accepted_once(
    pending, post_webhook, published, django_capture_on_commit_callbacks
):
    body, signature = signed_body(pending)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(body, signature).json() == {"status": "applied"}
        again = post_webhook(body, signature)
    assert again.status_code == 200 and again.json() == {"status": "replayed"}
    assert PaymentEvent.objects.filter(event_id="evt_1", verified=True).count() == 1
    assert [name for name, _payload in published] == ["payments.paid"]


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "garbage",
        f"t={int(time.time())},v1={'0' * 64}",
    ],
    ids=["missing", "garbage", "wrong-digest"],
)
def test_a_forged_webhook_is_refused_and_changes_nothing(pending, post_webhook, signature):
    body, _genuine = signed_body(pending)
    response = post_webhook(body, signature)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    pending.refresh_from_db()
    assert pending.state == State.PENDING
    assert not PaymentEvent.objects.filter(verified=True, event_id="evt_1").exists()
    rejected = PaymentEvent.objects.get(kind="webhook.rejected")
    assert not rejected.verified and rejected.payment is None


def test_a_tampered_body_does_not_match_its_signature(pending, post_webhook):
    body, signature = signed_body(pending, amount=1)
    tampered = body.replace(b'"amount": 1}', b'"amount": 1200}')
    assert tampered != body
    response = post_webhook(tampered, signature, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["detail"] == "The signature is not valid."
    pending.refresh_from_db()
    assert pending.state == State.PENDING


def test_a_stale_webhook_is_refused(pending, post_webhook):
    body, signature = signed_body(pending, at=int(time.time()) - 301)
    response = post_webhook(body, signature, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "5 minutes" in response.json()["detail"]
    pending.refresh_from_db()
    assert pending.state == State.PENDING


def test_the_amount_must_match(pending, post_webhook):
    body, signature = signed_body(pending, amount=1)
    response = post_webhook(body, signature)
    assert response.status_code == 400
    assert response.json()["detail"] == "通知の金額が支払の金額と一致しません。"
    pending.refresh_from_db()
    assert pending.state == State.PENDING


def test_an_unknown_reference_is_refused(pending, post_webhook):
    pending.reference = "PAY-UNKNOWN"
    body, signature = signed_body(pending)
    response = post_webhook(body, signature, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["detail"] == "There is no payment PAY-UNKNOWN."


def test_a_failure_webhook_lets_the_payer_try_again(pending, post_webhook):
    body, signature = signed_body(pending, kind="payment.failed")
    assert post_webhook(body, signature).status_code == 200
    pending.refresh_from_db()
    assert pending.state == State.FAILED
    body, signature = signed_body(pending, kind="payment.refunded_by_magic", event_id="evt_2")
    assert post_webhook(body, signature).status_code == 400


def test_an_unknown_provider_is_404(db, client):
    response = client.post("/payments/webhooks/nosuchpay/", b"{}", content_type="application/json")
    assert response.status_code == 404


def test_the_webhook_needs_no_csrf_token(pending, settings):
    from django.test import Client

    body, signature = signed_body(pending)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/payments/webhooks/demo/", body, content_type="application/json",
                           HTTP_MUSUBI_DEMO_SIGNATURE=signature)  # fmt: skip
    assert response.status_code == 200


def test_a_configured_secret_is_used(pending, post_webhook, settings):
    body, signature = signed_body(pending)
    settings.PAYMENTS_DEMO_SECRET = "another-secret-for-this-test"
    assert post_webhook(body, signature).status_code == 400
    body, signature = signed_body(pending)
    assert post_webhook(body, signature).status_code == 200
