"""The LINE channel against the local LINE peer, over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import httpx
import pytest

from musubi.devtools.packages import free_port
from musubi.devtools.peers.line import LinePeer
from musubi.platform.notify.channels import line
from musubi.platform.notify.channels.base import Outcome, Outgoing
from musubi.platform.notify.channels.registry import get


@pytest.fixture
def peer(settings):
    with LinePeer() as running:
        settings.LINE_API_URL = running.url
        settings.LINE_CHANNEL_ACCESS_TOKEN = running.token
        yield running


def user(n: int) -> str:
    return f"U{n:032x}"


def item(n: int, *, body: str = "ごみ収集日が変わります。", url: str = "") -> Outgoing:
    return Outgoing(
        delivery_id=n,
        key=str(uuid.uuid4()),
        address=user(n),
        subject="駒ヶ根市からのお知らせ",
        body=body,
        url=url,
    )


def test_line_is_registered_with_the_multicast_limit():
    channel = get("line")
    assert channel.code == "line"
    assert channel.max_batch == 500
    assert channel.contact_kind == "line"


def test_one_delivery_is_a_push_with_its_key_as_retry_key(peer):
    outgoing = item(1, url="https://city.example.jp/notices/5/")
    [result] = line.LineChannel().send([outgoing])
    assert result.outcome == Outcome.SENT
    assert result.delivery_id == 1
    [request] = peer.accepted
    assert request["endpoint"] == "push"
    assert request["retry_key"] == outgoing.key
    assert request["body"]["to"] == user(1)
    text = request["body"]["messages"][0]["text"]
    assert (
        text
        == "駒ヶ根市からのお知らせ\n\nごみ収集日が変わります。\n\nhttps://city.example.jp/notices/5/"
    )


def test_many_deliveries_are_split_into_multicasts_of_at_most_500(peer):
    items = [item(n) for n in range(1, 1201)]
    results = line.LineChannel().send(items)
    assert sorted(r.delivery_id for r in results) == list(range(1, 1201))
    assert {r.outcome for r in results} == {Outcome.SENT}
    sizes = sorted(len(r["body"]["to"]) for r in peer.accepted)
    assert sizes == [200, 500, 500]
    assert {r["endpoint"] for r in peer.accepted} == {"multicast"}
    keys = [r["retry_key"] for r in peer.accepted]
    assert len(set(keys)) == 3 and all(uuid.UUID(k) for k in keys)
    reached = [to for r in peer.accepted for to in r["body"]["to"]]
    assert sorted(reached) == sorted(user(n) for n in range(1, 1201))


def test_different_texts_go_in_different_requests(peer):
    items = [item(1), item(2), item(3, body="別の本文"), item(4, body="別の本文")]
    line.LineChannel().send(items)
    groups = sorted(sorted(r["body"]["to"]) for r in peer.accepted)
    assert groups == [[user(1), user(2)], [user(3), user(4)]]


def test_a_retried_batch_repeats_its_retry_key_and_is_not_sent_twice(peer):
    items = [item(n) for n in range(1, 601)]
    line.LineChannel().send(items)
    again = line.LineChannel().send(items)
    assert {r.outcome for r in again} == {Outcome.SENT}
    assert all("already accepted" in r.detail for r in again)
    assert len(peer.accepted) == 2  # LINE sent each multicast once
    assert len(peer.received) == 4
    assert peer.texts_for(user(7)) == [line.message_text(items[6].subject, items[6].body)]


def test_429_is_temporary_with_retry_after_then_the_retry_succeeds(peer):
    peer.fail_next(1, status=429, retry_after=3)
    [first] = line.LineChannel().send([item(1)])
    assert first.outcome == Outcome.FAILED_TEMPORARY
    assert first.retry_after == 3.0
    [second] = line.LineChannel().send([item(1)])
    assert second.outcome == Outcome.SENT
    assert len(peer.accepted) == 1


def test_429_without_retry_after_waits_a_second(peer):
    peer.fail_next(1, status=429)
    [result] = line.LineChannel().send([item(1)])
    assert result.outcome == Outcome.FAILED_TEMPORARY
    assert result.retry_after == 1.0


def test_a_server_error_is_temporary(peer):
    peer.fail_next(2, status=500)
    results = line.LineChannel().send([item(1), item(2), item(3)])  # one multicast
    assert {r.outcome for r in results} == {Outcome.FAILED_TEMPORARY}


def test_an_unknown_user_fails_permanently_without_stopping_the_others(peer):
    peer.foreign_users.add(user(2))
    items = [item(1), item(2), item(3), Outgoing(4, str(uuid.uuid4()), "not-a-line-id", "s", "b")]
    results = {r.delivery_id: r for r in line.LineChannel().send(items)}
    assert results[2].outcome == Outcome.FAILED_PERMANENT
    assert "to[1]" in results[2].detail
    assert results[4].outcome == Outcome.FAILED_PERMANENT
    assert results[1].outcome == results[3].outcome == Outcome.SENT
    assert peer.texts_for(user(1)) and peer.texts_for(user(3))
    assert not peer.texts_for(user(2))


def test_a_push_to_an_unknown_user_fails_permanently(peer):
    peer.foreign_users.add(user(9))
    [result] = line.LineChannel().send([item(9)])
    assert result.outcome == Outcome.FAILED_PERMANENT
    assert "HTTP 400" in result.detail


def test_a_wrong_token_waits_for_the_operator(peer, settings):
    settings.LINE_CHANNEL_ACCESS_TOKEN = "wrong"
    [result] = line.LineChannel().send([item(1)])
    assert result.outcome == Outcome.FAILED_TEMPORARY
    assert "HTTP 401" in result.detail


def test_no_token_configured_sends_nothing(peer, settings):
    settings.LINE_CHANNEL_ACCESS_TOKEN = ""
    [result] = line.LineChannel().send([item(1)])
    assert result.outcome == Outcome.FAILED_TEMPORARY
    assert peer.received == []


def test_an_unreachable_api_is_temporary(settings):
    settings.LINE_API_URL = f"http://127.0.0.1:{free_port()}"
    settings.LINE_CHANNEL_ACCESS_TOKEN = "token"
    [result] = line.LineChannel().send([item(1)])
    assert result.outcome == Outcome.FAILED_TEMPORARY


def test_long_text_is_cut_to_lines_limit(peer):
    [result] = line.LineChannel().send([item(1, body="あ" * 6000)])
    assert result.outcome == Outcome.SENT
    text = peer.accepted[0]["body"]["messages"][0]["text"]
    assert len(text) == 5000 and text.endswith("…")


def test_broadcast_reaches_every_follower_once_per_key(peer):
    key = str(uuid.uuid4())
    assert line.broadcast("避難指示が出ました", key).outcome == Outcome.SENT
    again = line.broadcast("避難指示が出ました", key)
    assert again.outcome == Outcome.SENT
    assert [r["endpoint"] for r in peer.accepted] == ["broadcast"]
    assert peer.accepted[0]["body"] == {
        "messages": [{"type": "text", "text": "避難指示が出ました"}]
    }


def test_a_link_token_is_issued_for_a_user(peer):
    token = line.issue_link_token(user(5))
    assert peer.link_tokens[token] == user(5)
    url = line.account_link_url(token, "nonce-1234567890")
    assert url.startswith("https://access.line.me/dialog/bot/accountLink?")
    assert f"linkToken={token}" in url and "nonce=nonce-1234567890" in url


# --- the peer itself checks LINE's documented shapes ------------------------------------------


def post(peer: LinePeer, path: str, body: dict, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {peer.token}"}
    return httpx.post(peer.url + path, json=body, headers={**auth, **headers})


def test_peer_refuses_more_than_500_recipients(peer):
    body = {"to": [user(n) for n in range(501)], "messages": [{"type": "text", "text": "x"}]}
    response = post(peer, "/v2/bot/message/multicast", body)
    assert response.status_code == 400
    assert response.json()["details"][0]["property"] == "to"


def test_peer_refuses_more_than_five_messages_and_empty_or_long_text(peer):
    six = {"to": user(1), "messages": [{"type": "text", "text": "x"}] * 6}
    assert post(peer, "/v2/bot/message/push", six).status_code == 400
    empty = {"to": user(1), "messages": [{"type": "text", "text": ""}]}
    assert post(peer, "/v2/bot/message/push", empty).json()["details"][0]["property"] == (
        "messages[0].text"
    )
    long = {"to": user(1), "messages": [{"type": "text", "text": "x" * 5001}]}
    assert post(peer, "/v2/bot/message/push", long).status_code == 400


def test_peer_checks_token_retry_key_and_answers_409_with_the_accepted_id(peer):
    body = {"to": user(1), "messages": [{"type": "text", "text": "x"}]}
    assert post(peer, "/v2/bot/message/push", body, Authorization="Bearer nope").status_code == 401
    bad_key = post(peer, "/v2/bot/message/push", body, **{"X-Line-Retry-Key": "not-a-uuid"})
    assert bad_key.status_code == 400
    key = str(uuid.uuid4())
    first = post(peer, "/v2/bot/message/push", body, **{"X-Line-Retry-Key": key})
    assert first.status_code == 200 and first.json()["sentMessages"]
    second = post(peer, "/v2/bot/message/push", body, **{"X-Line-Retry-Key": key})
    assert second.status_code == 409
    assert second.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]


def test_the_peer_runs_as_its_own_process_for_benchmarks(settings):
    process = subprocess.Popen(
        [sys.executable, "-m", "musubi.devtools.peers", "line"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        started = json.loads(process.stdout.readline())
        settings.LINE_API_URL = started["url"]
        settings.LINE_CHANNEL_ACCESS_TOKEN = started["token"]
        channel = line.LineChannel()
        results = channel.send([item(n) for n in range(1, 701)])
        channel.close()
        assert {r.outcome for r in results} == {Outcome.SENT}
        process.stdin.close()
        assert json.loads(process.stdout.readline()) == {"accepted": 2, "recipients": 700}
    finally:
        process.kill()
        process.wait()
