"""The LINE webhook (signature, follow, unfollow, accountLink, postback) and the linking page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from musubi.devtools.peers.line import LinePeer, event, sign_webhook
from musubi.platform.accounts.models import User
from musubi.platform.notify import line_webhook
from musubi.platform.notify.channels import line
from musubi.platform.notify.channels.base import Outcome, Outgoing
from musubi.platform.notify.models import Acknowledgement, Message
from musubi.platform.notify.outbox import ack_token
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactPoint

SECRET = "line-channel-secret-for-tests"
LINE_USER = "U" + "ab12" * 8


@pytest.fixture
def peer(settings):
    with LinePeer() as running:
        settings.LINE_API_URL = running.url
        settings.LINE_CHANNEL_ACCESS_TOKEN = running.token
        settings.LINE_CHANNEL_SECRET = SECRET
        settings.SITE_URL = "https://city.example.jp"
        yield running


@pytest.fixture
def hanako(register_resident):
    return register_resident()


@pytest.fixture
def hanako_client(client, hanako):
    user = User.objects.create_user(
        username="hanako@example.jp", email="hanako@example.jp", password="long-enough-pass-1"
    )
    residents.link_account(user, hanako, "demo")
    client.force_login(user)
    return client


def deliver(client, *events: dict, secret: str = SECRET):
    body, signature = sign_webhook(secret, list(events))
    return client.post(
        reverse("notify:line_webhook"),
        body,
        content_type="application/json",
        headers={"x-line-signature": signature},
    )


@pytest.mark.django_db
def test_a_verification_call_with_no_events_is_accepted(client, peer):
    assert deliver(client).status_code == 200


@pytest.mark.django_db
def test_a_forged_signature_is_refused_and_changes_nothing(client, peer, hanako):
    ContactPoint.objects.create(resident=hanako, kind="line", value=LINE_USER, verified=True)
    response = deliver(client, event("unfollow", LINE_USER), secret="someone-elses-secret")
    assert response.status_code == 403
    assert ContactPoint.objects.get(value=LINE_USER).verified is True


@pytest.mark.django_db
def test_a_missing_signature_is_a_bad_request(client, peer):
    body, _signature = sign_webhook(SECRET, [event("follow", LINE_USER)])
    response = client.post(reverse("notify:line_webhook"), body, content_type="application/json")
    assert response.status_code == 400
    assert peer.link_tokens == {}


@pytest.mark.django_db
def test_a_signed_body_that_is_not_a_webhook_payload_is_a_bad_request(client, peer):
    body = b"not json"
    signature = sign_webhook(SECRET, [])[1]  # signature of another body
    response = client.post(
        reverse("notify:line_webhook"),
        body,
        content_type="application/json",
        headers={"x-line-signature": signature},
    )
    assert response.status_code == 403
    good = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    response = client.post(
        reverse("notify:line_webhook"),
        body,
        content_type="application/json",
        headers={"x-line-signature": good},
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_no_channel_secret_refuses_every_call(client, peer, settings):
    settings.LINE_CHANNEL_SECRET = ""
    assert deliver(client, event("follow", LINE_USER)).status_code == 403


@pytest.mark.django_db
def test_follow_answers_with_a_link_to_the_linking_page(client, peer):
    assert deliver(client, event("follow", LINE_USER)).status_code == 200
    [(token, user_id)] = peer.link_tokens.items()
    assert user_id == LINE_USER
    [reply] = peer.replies
    text = reply["messages"][0]["text"]
    assert f"https://city.example.jp/notices/line/link/?linkToken={token}" in text


@pytest.mark.django_db
def test_unfollow_then_follow_marks_the_contact_unreachable_then_reachable(client, peer, hanako):
    ContactPoint.objects.create(resident=hanako, kind="line", value=LINE_USER, verified=True)
    deliver(client, event("unfollow", LINE_USER))
    assert ContactPoint.objects.get(value=LINE_USER).verified is False
    deliver(client, event("follow", LINE_USER))
    assert ContactPoint.objects.get(value=LINE_USER).verified is True


@pytest.mark.django_db
def test_account_linking_makes_the_line_user_a_verified_contact(hanako_client, peer, hanako):
    token = "link-token-from-line"
    page = hanako_client.get(reverse("notify:line_link"), {"linkToken": token})
    assert page.status_code == 200
    assert token in page.content.decode()
    response = hanako_client.post(reverse("notify:line_link"), {"linkToken": token})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        "https://access.line.me/dialog/bot/accountLink"
    )
    query = parse_qs(target.query)
    assert query["linkToken"] == [token]
    nonce = query["nonce"][0]
    assert 10 <= len(nonce) <= 255
    assert not ContactPoint.objects.filter(kind="line").exists()

    linked = event("accountLink", LINE_USER, link={"result": "ok", "nonce": nonce})
    assert deliver(hanako_client, linked).status_code == 200
    contact = ContactPoint.objects.get(kind="line")
    assert (contact.resident_id, contact.value, contact.verified) == (hanako.pk, LINE_USER, True)


@pytest.mark.django_db
def test_account_link_with_a_forged_nonce_or_failed_result_links_nothing(client, peer, hanako):
    forged = event("accountLink", LINE_USER, link={"result": "ok", "nonce": f"{hanako.pk}:fake"})
    failed = event(
        "accountLink",
        LINE_USER,
        link={"result": "failed", "nonce": line_webhook.link_nonce(hanako.pk)},
    )
    assert deliver(client, forged, failed).status_code == 200
    assert not ContactPoint.objects.filter(kind="line").exists()


@pytest.mark.django_db
def test_the_linking_page_needs_a_linked_resident(client, peer):
    user = User.objects.create_user(
        username="guest@example.jp", email="guest@example.jp", password="long-enough-pass-1"
    )
    client.force_login(user)
    response = client.post(reverse("notify:line_link"), {"linkToken": "x"})
    assert response.status_code == 200
    assert "連携されていません" in response.content.decode()
    assert client.get(reverse("notify:line_link")).status_code == 200


@pytest.mark.django_db
def test_the_linking_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("notify:line_link"), {"linkToken": "x"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_postback_acknowledges_the_message_for_the_household(client, peer, hanako):
    message = Message.objects.create(
        audience={"kind": "all"}, audience_label="全世帯", needs_ack=True
    )
    token = ack_token(message.pk, hanako.household_id)
    assert (
        deliver(client, event("postback", LINE_USER, postback={"data": f"ack={token}"})).status_code
        == 200
    )
    ack = Acknowledgement.objects.get(message=message)
    assert (ack.household_id, ack.how) == (hanako.household_id, "line")


@pytest.mark.django_db
def test_a_postback_with_a_bad_token_acknowledges_nothing(client, peer):
    deliver(client, event("postback", LINE_USER, postback={"data": "ack=forged"}))
    assert not Acknowledgement.objects.exists()


@pytest.mark.django_db
def test_an_acknowledgement_link_becomes_a_button_whose_postback_acknowledges(client, peer, hanako):
    message = Message.objects.create(
        audience={"kind": "all"}, audience_label="全世帯", needs_ack=True
    )
    token = ack_token(message.pk, hanako.household_id)
    url = "https://city.example.jp" + reverse("notify:ack", args=[token])
    outgoing = Outgoing(1, str(uuid.uuid4()), LINE_USER, "避難指示", "中沢地区に避難指示", url=url)
    [result] = line.LineChannel().send([outgoing])
    assert result.outcome == Outcome.SENT
    text, template = peer.accepted[0]["body"]["messages"]
    assert url in text["text"]
    [action] = template["template"]["actions"]
    assert (action["type"], action["label"], action["data"]) == (
        "postback",
        "受け取りました",
        f"ack={token}",
    )

    tapped = event("postback", LINE_USER, postback={"data": action["data"]})
    assert deliver(client, tapped).status_code == 200
    assert Acknowledgement.objects.get(message=message).how == "line"


def test_an_ordinary_link_adds_no_button(peer):
    outgoing = Outgoing(
        1,
        str(uuid.uuid4()),
        LINE_USER,
        "お知らせ",
        "本文",
        url="https://city.example.jp/notices/3/",
    )
    assert [m["type"] for m in line.messages_for(outgoing)] == ["text"]
