"""The outbox worker: leases, idempotency, back-off, provider rate limits, the emergency lane."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from musubi.platform.notify import outbox, services
from musubi.platform.notify.channels import registry
from musubi.platform.notify.channels.base import Channel, Outcome, Result
from musubi.platform.notify.models import Delivery, DeliveryAttempt, DeliveryState, Message


class Probe(Channel):
    """A channel that answers as told and remembers what it was handed (the worker's peer)."""

    code = "probe"
    label_ja = label_en = "probe"
    max_batch = 3
    per_person = False
    answers: list = []
    handed: list = []

    def send(self, items):
        Probe.handed.append([i.key for i in items])
        answer = Probe.answers.pop(0) if Probe.answers else (Outcome.SENT, None)
        if answer == "raise":
            raise RuntimeError("provider library bug")
        outcome, retry_after = answer
        return [Result(i.delivery_id, outcome, "probe", retry_after) for i in items]


@pytest.fixture
def probe():
    registry.register(Probe)
    Probe.answers, Probe.handed = [], []
    yield Probe
    registry._CHANNELS.pop("probe")
    Probe.per_second = None


@pytest.fixture
def rows(db):
    def make(n, emergency=False):
        message = Message.objects.create(
            rendered={"ja": {"subject": "s", "body": "b"}}, publish_onsite=False
        )
        return [
            Delivery.objects.create(
                message=message, channel="probe", address=f"a{i}", emergency=emergency
            )
            for i in range(n)
        ]

    return make


def test_two_workers_never_hold_the_same_row(rows):
    rows(5)
    first = outbox.claim(emergency=False, worker="w1", limit=3)
    second = outbox.claim(emergency=False, worker="w2", limit=3)
    assert len(first) == 3 and len(second) == 2
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert outbox.claim(emergency=False, worker="w3") == []
    held = Delivery.objects.get(pk=first[0].pk)
    assert (held.state, held.attempts, held.claimed_by) == ("sending", 1, "w1")


def test_an_expired_lease_is_claimed_again_with_the_same_key_and_sent_rows_never(rows, probe):
    first, second = rows(2)
    outbox.claim(emergency=False, worker="crashed", limit=2)
    Delivery.objects.filter(pk=second.pk).update(state=DeliveryState.SENT)
    assert outbox.claim(emergency=False, worker="w2") == []  # the lease still holds
    with time_machine.travel(timezone.now() + outbox.lease() + timedelta(seconds=1)):
        again = outbox.claim(emergency=False, worker="w2")
    assert [(d.pk, d.key, d.attempts) for d in again] == [(first.pk, first.key, 2)]


def test_results_are_recorded_with_a_log_line(rows, probe):
    rows(4)
    assert outbox.Worker(emergency=False, name="w").drain() == 4
    assert probe.handed and [len(b) for b in probe.handed] == [3, 1]  # max_batch
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert DeliveryAttempt.objects.filter(outcome="sent", worker="w").count() == 4
    assert outbox.Worker(emergency=False).drain() == 0  # nothing is sent twice


def test_temporary_failures_back_off_exponentially_then_give_up(rows, probe):
    (delivery,) = rows(1)
    probe.answers = [(Outcome.FAILED_TEMPORARY, None)] * outbox.MAX_ATTEMPTS
    now = timezone.now()
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        with time_machine.travel(now, tick=False):
            outbox.Worker(emergency=False).run_once()
        delivery.refresh_from_db()
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at + timedelta(seconds=1)
        assert delivery.attempts == attempt
    assert delivery.state == DeliveryState.FAILED_PERMANENT
    assert waits[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]


def test_retry_after_pauses_the_channel_and_is_honoured(rows, probe):
    rows(5)
    probe.answers = [(Outcome.FAILED_TEMPORARY, 90.0)]
    before = timezone.now()
    outbox.Worker(emergency=False).run_once()
    assert len(probe.handed) == 1  # the other two batches were not tried during the pause
    tried = Delivery.objects.filter(attempts=1, state="failed_temporary")
    untried = Delivery.objects.filter(attempts=0, state="queued")
    assert tried.count() == 3 and untried.count() == 2
    assert all(d.next_attempt_at >= before + timedelta(seconds=90) for d in tried)
    assert all(d.next_attempt_at >= before + timedelta(seconds=89) for d in untried)


def test_the_channel_rate_limit_is_honoured(rows, probe):
    probe.per_second = 20.0
    probe.max_batch = 1
    rows(6)
    started = time.monotonic()
    outbox.Worker(emergency=False).drain()
    probe.max_batch = 3
    assert time.monotonic() - started >= 5 / 20.0 - 0.01


def test_a_channel_that_raises_fails_the_batch_temporarily(rows, probe):
    rows(2)
    probe.answers = ["raise"]
    outbox.Worker(emergency=False).run_once()
    assert set(Delivery.objects.values_list("state", flat=True)) == {"failed_temporary"}
    assert "provider library bug" in DeliveryAttempt.objects.first().detail


def test_the_emergency_lane_claims_only_emergencies(rows, probe):
    rows(3)
    urgent = rows(2, emergency=True)
    assert outbox.Worker(emergency=True).drain() == 2
    assert {d.pk for d in Delivery.objects.filter(state="sent")} == {d.pk for d in urgent}


def test_a_bad_address_fails_alone_and_the_broadcast_goes_on(town, compose):
    jiro = town.members("higashi")[0]
    jiro.contacts.update(value="not-an-address")
    message = compose()
    services.fan_out(message)
    outbox.Worker(emergency=False).drain()
    bad = Delivery.objects.get(message=message, address="not-an-address")
    assert (bad.state, bad.detail) == ("failed_permanent", "invalid email address")
    assert sorted(m.to[0] for m in mail.outbox) == ["hana@example.jp", "ichiro@example.jp"]
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<")
