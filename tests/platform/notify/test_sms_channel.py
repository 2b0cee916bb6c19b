"""The SMS channel: Japanese mobile numbers in E.164, segment counting, the Twilio-shaped peer."""

from __future__ import annotations

import uuid

import httpx
import pytest

from musubi.platform.notify.channels import sms
from musubi.platform.notify.channels.base import Outcome, Outgoing
from musubi.platform.notify.channels.registry import get


def item(n: int, number: str, *, url: str = "", emergency: bool = False) -> Outgoing:
    return Outgoing(
        delivery_id=n,
        key=str(uuid.uuid4()),
        address=number,
        subject="【駒ヶ根市】避難指示",
        body="中沢地区に避難指示が出ました。",
        url=url,
        emergency=emergency,
    )


@pytest.mark.parametrize(
    ("given", "e164"),
    [
        ("090-1234-5678", "+819012345678"),
        ("08012345678", "+818012345678"),
        ("０７０－１２３４－５６７８", "+817012345678"),
        ("090ー1234ー5678", "+819012345678"),
        ("+81 90 1234 5678", "+819012345678"),
        ("(090) 1234-5678", "+819012345678"),
    ],
)
def test_mobile_numbers_are_written_in_e164(given, e164):
    assert sms.to_e164(given) == e164


@pytest.mark.parametrize(
    "given", ["0265-83-2111", "090-1234-567", "090-1234-56789", "+1 415 555 0100", "abc", ""]
)
def test_landlines_short_numbers_and_foreign_numbers_are_refused(given):
    with pytest.raises(sms.NotMobile):
        sms.to_e164(given)


def test_segments_follow_gsm7_and_ucs2_limits():
    assert sms.segments("a" * 160) == sms.Segments("gsm7", 1, 160)
    assert sms.segments("a" * 161) == sms.Segments("gsm7", 2, 161)
    assert sms.segments("€" * 80).count == 1  # extension characters take two septets
    assert sms.segments("€" * 81).count == 2
    assert sms.segments("あ" * 70) == sms.Segments("ucs2", 1, 70)
    assert sms.segments("あ" * 71) == sms.Segments("ucs2", 2, 71)
    assert sms.segments("あ" * 134).count == 2
    assert sms.segments("あ" * 135).count == 3
    assert sms.segments("😀" * 35).units == 70  # outside the BMP: two UTF-16 units


def test_sms_is_registered_for_mobile_contacts():
    channel = get("sms")
    assert (channel.code, channel.contact_kind) == ("sms", "mobile")


def test_a_message_is_posted_form_encoded_with_basic_auth(sms_peer):
    results = sms.SmsChannel().send([item(1, "090-1234-5678", url="https://city.example.jp/n/1")])
    [result] = results
    assert result.outcome == Outcome.SENT
    [resource] = sms_peer.accepted
    assert result.provider_id == resource["sid"]
    assert resource["to"] == "+819012345678"
    assert resource["from"] == "+815012345678"
    # a routine notice with a page: subject and link only (SMS is paid per segment)
    assert resource["body"] == "【駒ヶ根市】避難指示\nhttps://city.example.jp/n/1"
    assert result.detail.startswith("segments=1 encoding=ucs2")


def test_an_emergency_carries_its_body(sms_peer):
    [result] = sms.SmsChannel().send(
        [item(1, "09012345678", url="https://c.example/a", emergency=True)]
    )
    assert "中沢地区に避難指示が出ました。" in sms_peer.accepted[0]["body"]
    assert result.detail.startswith("segments=1 ")


def test_bad_numbers_fail_alone_and_the_rest_are_sent(sms_peer):
    sms_peer.opted_out.add("+818011112222")
    items = [item(1, "0265-83-2111"), item(2, "080-1111-2222"), item(3, "090-3333-4444")]
    results = {r.delivery_id: r for r in sms.SmsChannel().send(items)}
    assert results[1].outcome == Outcome.FAILED_PERMANENT
    assert "not a Japanese mobile number" in results[1].detail
    assert results[2].outcome == Outcome.FAILED_PERMANENT
    assert "21610" in results[2].detail
    assert results[3].outcome == Outcome.SENT
    assert [r["to"] for r in sms_peer.accepted] == ["+819033334444"]


def test_429_is_temporary_with_retry_after_then_succeeds(sms_peer):
    sms_peer.fail_next(1, status=429, retry_after=2)
    channel = sms.SmsChannel()
    [first] = channel.send([item(1, "09012345678")])
    assert (first.outcome, first.retry_after) == (Outcome.FAILED_TEMPORARY, 2.0)
    [second] = channel.send([item(1, "09012345678")])
    assert second.outcome == Outcome.SENT
    channel.close()


def test_wrong_credentials_wait_for_the_operator(sms_peer, settings):
    settings.SMS_AUTH_TOKEN = "wrong"
    [result] = sms.SmsChannel().send([item(1, "09012345678")])
    assert result.outcome == Outcome.FAILED_TEMPORARY
    assert "20003" in result.detail
    assert sms_peer.accepted == []


def test_unconfigured_provider_sends_nothing(settings):
    settings.SMS_ACCOUNT_SID = ""
    [result] = sms.SmsChannel().send([item(1, "09012345678")])
    assert result.outcome == Outcome.FAILED_TEMPORARY


def test_peer_answers_twilio_errors(sms_peer):
    path = f"{sms_peer.url}/2010-04-01/Accounts/{sms_peer.account_sid}/Messages.json"
    auth = (sms_peer.account_sid, sms_peer.auth_token)
    bad_to = httpx.post(path, data={"To": "0901234", "From": "+8150", "Body": "x"}, auth=auth)
    assert bad_to.status_code == 400 and bad_to.json()["code"] == 21211
    no_body = httpx.post(path, data={"To": "+819012345678", "From": "+8150"}, auth=auth)
    assert no_body.json()["code"] == 21602
    too_long = {"To": "+819012345678", "From": "+8150", "Body": "x" * 1601}
    assert httpx.post(path, data=too_long, auth=auth).json()["code"] == 21617
    ok = httpx.post(
        path, data={"To": "+819012345678", "From": "+8150", "Body": "あ" * 71}, auth=auth
    )
    assert ok.status_code == 201 and ok.json()["num_segments"] == "2"
