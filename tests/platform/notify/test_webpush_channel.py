"""The Web Push channel: VAPID-signed, aes128gcm-encrypted requests to the local push service."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from musubi.devtools.peers.webpush import WebPushPeer
from musubi.platform.notify import outbox, services
from musubi.platform.notify.channels import webpush
from musubi.platform.notify.channels.base import Outcome, Outgoing
from musubi.platform.notify.channels.registry import get
from musubi.platform.notify.models import Delivery
from musubi.platform.residents.models import ContactPoint, Resident


@pytest.fixture
def peer(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_PUBLIC_KEY = ""
    with WebPushPeer() as running:
        yield running


def item(n: int, subscription: dict | str, *, body: str = "明日は燃えるごみの日です。") -> Outgoing:
    address = subscription if isinstance(subscription, str) else json.dumps(subscription)
    return Outgoing(n, str(uuid.uuid4()), address, "駒ヶ根市", body, url="https://c.example/n/1")


def test_webpush_is_registered_for_webpush_contacts():
    channel = get("webpush")
    assert (channel.code, channel.contact_kind) == ("webpush", "webpush")


def test_messages_are_accepted_by_a_push_service_that_checks_vapid_and_encoding(peer):
    subscriptions = [peer.subscription() for _ in range(30)]
    channel = webpush.WebPushChannel()
    results = channel.send([item(n, s) for n, s in enumerate(subscriptions, start=1)])
    channel.close()
    assert {r.outcome for r in results} == {Outcome.SENT}, [r.detail for r in results]
    assert sorted(r.delivery_id for r in results) == list(range(1, 31))
    assert len(peer.accepted) == 30 and peer.refused == []
    assert all(r.provider_id for r in results)


def test_an_emergency_is_sent_with_high_urgency(peer):
    emergency = Outgoing(
        1, str(uuid.uuid4()), json.dumps(peer.subscription()), "避難", "x", emergency=True
    )
    [result] = webpush.WebPushChannel().send([emergency])
    assert result.outcome == Outcome.SENT
    assert peer.accepted[0]["urgency"] == "high"


def test_a_gone_subscription_fails_permanently(peer):
    gone, alive = peer.subscription(), peer.subscription()
    peer.gone.add(gone["endpoint"].rsplit("/", 1)[1])
    results = {
        r.delivery_id: r for r in webpush.WebPushChannel().send([item(1, gone), item(2, alive)])
    }
    assert results[1].outcome == Outcome.FAILED_PERMANENT
    assert "410" in results[1].detail
    assert results[2].outcome == Outcome.SENT


def test_a_broken_subscription_fails_permanently_without_a_request(peer):
    results = webpush.WebPushChannel().send(
        [item(1, "{not json"), item(2, {"endpoint": "ftp://x"})]
    )
    assert {r.outcome for r in results} == {Outcome.FAILED_PERMANENT}
    assert peer.accepted == [] and peer.refused == []


def test_429_is_temporary_with_retry_after(peer):
    peer.fail_next(1, status=429, retry_after=5)
    [result] = webpush.WebPushChannel().send([item(1, peer.subscription())])
    assert (result.outcome, result.retry_after) == (Outcome.FAILED_TEMPORARY, 5.0)


def test_a_long_body_is_cut_to_fit_the_4096_byte_limit(peer):
    [result] = webpush.WebPushChannel().send([item(1, peer.subscription(), body="あ" * 3000)])
    assert result.outcome == Outcome.SENT
    assert peer.accepted[0]["length"] <= 4096
    payload = json.loads(webpush.payload(item(1, "{}", body="あ" * 3000)))
    assert payload["body"].endswith("…") and payload["url"] == "https://c.example/n/1"


def test_the_generated_key_is_kept_and_its_public_half_given_to_browsers(peer, settings):
    public = webpush.public_key()
    assert (settings.DATA_DIR / "vapid_private_key.pem").exists()
    assert webpush.public_key() == public
    assert len(base64.urlsafe_b64decode(public + "=")) == 65


def test_a_configured_key_is_used(peer, settings):
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert webpush.public_key() == base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    [result] = webpush.WebPushChannel().send([item(1, peer.subscription())])
    assert result.outcome == Outcome.SENT
    assert not (settings.DATA_DIR / "vapid_private_key.pem").exists()


def test_peer_refuses_requests_without_a_valid_vapid_token(peer):
    subscription = peer.subscription()
    plain = httpx.post(subscription["endpoint"], content=b"x" * 200, headers={"TTL": "60"})
    assert plain.status_code == 401
    forged = httpx.post(
        subscription["endpoint"],
        content=b"x" * 200,
        headers={
            "TTL": "60",
            "Authorization": "vapid t=a.b.c, k=BAAA",
            "Content-Encoding": "aes128gcm",
        },
    )
    assert forged.status_code == 401
    assert len(peer.refused) == 2


@pytest.mark.parametrize(
    ("subscription", "valid"),
    [
        (
            {
                "endpoint": "https://push.example/abc",
                "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
            },
            True,
        ),
        (
            {
                "endpoint": "http://push.example/abc",
                "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
            },
            False,
        ),
        (
            {"endpoint": "https://push.example/abc", "keys": {"p256dh": "short", "auth": "A" * 22}},
            False,
        ),
        ({"endpoint": "https://push.example/abc"}, False),
        (["not", "an", "object"], False),
    ],
)
def test_subscriptions_are_checked(subscription, valid):
    raw = json.dumps(subscription)
    if valid:
        assert webpush.parse_subscription(raw)["endpoint"] == "https://push.example/abc"
    else:
        with pytest.raises(webpush.SubscriptionError):
            webpush.parse_subscription(raw)


def test_a_gone_subscription_is_forgotten_and_the_next_notice_takes_the_next_channel(
    peer, town, compose
):
    """RFC 8030: a push service's 404/410 means the subscription will never work again."""
    ichiro = Resident.objects.get(given_name="一郎")
    gone, alive = json.dumps(peer.subscription()), json.dumps(peer.subscription())
    peer.gone.add(json.loads(gone)["endpoint"].rsplit("/", 1)[1])
    ContactPoint.objects.create(resident=ichiro, kind="webpush", value=gone, verified=True)
    jiro = Resident.objects.get(given_name="次郎")
    ContactPoint.objects.create(resident=jiro, kind="webpush", value=alive, verified=True)
    first = compose()
    services.fan_out(first)
    outbox.Worker(emergency=False).drain()
    assert Delivery.objects.get(message=first, address=gone).state == "failed_permanent"
    assert set(ContactPoint.objects.filter(kind="webpush").values_list("value", flat=True)) == {
        alive
    }
    second = compose()
    services.fan_out(second)
    channels = dict(Delivery.objects.filter(message=second).values_list("resident_id", "channel"))
    assert (channels[ichiro.pk], channels[jiro.pk]) == ("email", "webpush")
