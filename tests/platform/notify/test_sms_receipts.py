"""SMS delivery receipts: the gateway posts each message's later status, signed; a delivered
SMS counts as delivered, an undelivered one as failed (its household unreached), and a receipt
that is forged, late or about nothing changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from musubi.platform.notify import outbox, reach, services
from musubi.platform.notify.channels import sms
from musubi.platform.notify.models import Delivery, DeliveryAttempt
from musubi.platform.residents.models import ContactPoint, Resident


def test_the_signature_is_the_gateways_own_documented_example():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}  # fmt: skip
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert sms.signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


@pytest.fixture
def texted(town, compose, sms_peer, live_server, settings):
    """An SMS-only notice to two households, handed to the gateway with a receipt URL."""
    settings.SITE_URL = live_server.url
    ContactPoint.objects.all().delete()
    for name, number in (("一郎", "090-1111-2222"), ("次郎", "080-3333-4444")):
        resident = Resident.objects.get(given_name=name)
        ContactPoint.objects.create(resident=resident, kind="mobile", value=number, verified=True)
    message = compose(publish_onsite=False)
    services.fan_out(message)
    outbox.Worker(emergency=False).drain()
    return message


def test_receipts_come_back_signed_and_settle_each_delivery(texted, sms_peer, town):
    sms_peer.unreachable.add("+818033334444")
    assert {r["to"] for _url, r in sms_peer.receipts_due} == {"+819011112222", "+818033334444"}
    assert sms_peer.report() == [204, 204]
    rows = {d.address: d for d in Delivery.objects.filter(message=texted, channel="sms")}
    assert rows["090-1111-2222"].state == "delivered"
    failed = rows["080-3333-4444"]
    assert failed.state == "failed_permanent"
    assert failed.detail == "receipt: undelivered (error 30003)"
    assert DeliveryAttempt.objects.filter(delivery=failed, outcome="failed_permanent").exists()
    reached = reach.reached_households(texted)
    assert town.households["nakazawa"].pk in reached
    assert town.households["higashi"].pk not in reached  # its SMS never arrived


def test_a_forged_late_or_unknown_receipt_changes_nothing(texted, client, settings):
    delivery = Delivery.objects.filter(message=texted, channel="sms").first()
    url = reverse("notify:sms_receipt")
    form = {"MessageSid": delivery.provider_id, "MessageStatus": "undelivered"}
    forged = client.post(url, form, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert forged.status_code == 403

    def signed(form):
        token = settings.SMS_AUTH_TOKEN
        headers = {"X-Twilio-Signature": sms.signature(token, sms.receipts_url(), form)}
        return client.post(url, form, headers=headers).status_code

    assert signed({"MessageSid": delivery.provider_id, "MessageStatus": "sent"}) == 204
    assert signed({"MessageSid": "SM-unknown", "MessageStatus": "failed"}) == 204
    delivery.refresh_from_db()
    assert delivery.state == "sent"
    assert signed({"MessageSid": delivery.provider_id, "MessageStatus": "delivered"}) == 204
    assert signed({"MessageSid": delivery.provider_id, "MessageStatus": "failed"}) == 204  # late
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert client.get(url).status_code == 405
