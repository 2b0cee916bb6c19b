"""The emergency lane's senders side by side: they prepare together, hand over one at a time in
order, each after the last was recorded, are still paced and back off on 429, have one SMTP
connection each, and a worker killed mid-broadcast with four of them loses and repeats
nothing."""

import threading
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from musubi.devtools.packages import free_port
from musubi.platform.notify import outbox
from musubi.platform.notify.channels import registry
from musubi.platform.notify.channels.base import Channel, Outcome, Result
from musubi.platform.notify.models import Delivery, DeliveryAttempt, DeliveryState, Message

from .test_email_smtp import Mailbox, broadcast_killed_at_the_fifteenth


class Gate(Channel):
    """A provider that answers only once ``parties`` requests are in flight together."""

    code = "gate"
    label_ja = label_en = "gate"
    max_batch = 1
    per_person = False
    barrier = threading.Barrier(1)
    answers: list = []
    handed: list = []

    def send(self, items):
        Gate.handed.append(items[0].key)
        Gate.barrier.wait(timeout=10)
        outcome, retry_after = Gate.answers.pop(0) if Gate.answers else (Outcome.SENT, None)
        return [Result(i.delivery_id, outcome, "gate", retry_after) for i in items]


@pytest.fixture
def gate():
    registry.register(Gate)
    Gate.answers, Gate.handed = [], []
    Gate.barrier = threading.Barrier(1)
    yield Gate
    registry._CHANNELS.pop("gate")
    Gate.per_second = None


class Connections(Mailbox):
    """A mailbox that also counts the SMTP connections messages came on."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: set = set()

    async def handle_DATA(self, server, session, envelope):
        self.sessions.add(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp():
    mailbox = Connections()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


def _urgent_rows(n: int, channel: str = "gate", address: str = "a{}") -> list[Delivery]:
    message = Message.objects.create(
        rendered={"ja": {"subject": "避難", "body": "b"}}, publish_onsite=False, emergency=True
    )
    return [
        Delivery.objects.create(
            message=message, channel=channel, address=address.format(i), emergency=True
        )
        for i in range(n)
    ]


def test_the_emergency_lane_has_the_configured_senders_and_routine_one(settings):
    settings.NOTIFY_EMERGENCY_SENDERS = 6
    assert outbox.Worker(emergency=True).senders == 6
    assert outbox.Worker(emergency=False).senders == 1
    settings.NOTIFY_EMERGENCY_SENDERS = 0  # a mistaken 0 still sends
    assert outbox.Worker(emergency=True).senders == 1


def test_senders_prepare_together_and_hand_over_one_at_a_time(db, monkeypatch):
    """Three emails meet at a barrier of three while preparing, so they were prepared side by
    side; each is taken in only after the one before it was recorded."""
    events = _staged(monkeypatch, prepared_together=3)
    _urgent_rows(3, channel="staged")
    assert outbox.Worker(emergency=True, senders=3).drain() == 3
    taken_and_recorded = [e for e in events if e[0] != "prepared"]
    assert taken_and_recorded == [
        ("taken in", "a0"), ("recorded", "a0"), ("taken in", "a1"), ("recorded", "a1"),
        ("taken in", "a2"), ("recorded", "a2"),
    ]  # fmt: skip


def test_one_sender_could_not_have_prepared_two_together(db, monkeypatch):
    _staged(monkeypatch, prepared_together=2)
    _urgent_rows(1, channel="staged")
    outbox.Worker(emergency=True, senders=1).drain()
    # alone at the barrier: it broke, the provider call raised, the delivery waits for a retry
    assert Delivery.objects.get().state == DeliveryState.FAILED_TEMPORARY


def test_a_429_stops_every_sender_and_the_rest_waits_untried(db, gate):
    """Two senders: the second batch was prepared while the first was in flight; the 429 sends
    it back untried with everything after it."""
    _urgent_rows(8)
    gate.answers = [(Outcome.FAILED_TEMPORARY, 60.0)]
    outbox.Worker(emergency=True, senders=2).run_once()
    assert len(gate.handed) == 1  # the one taken in when the provider said "wait"
    tried = Delivery.objects.filter(attempts=1, state="failed_temporary")
    untried = Delivery.objects.filter(attempts=0, state="queued")
    assert tried.count() == 1 and untried.count() == 7
    assert outbox.Worker(emergency=True, senders=2).drain() == 0  # nothing due for a minute


def test_the_rate_limit_holds_for_all_senders_together(db, gate):
    gate.per_second = 20.0
    _urgent_rows(6)
    started = time.monotonic()
    outbox.Worker(emergency=True, senders=4).drain()
    assert time.monotonic() - started >= 5 / 20.0 - 0.01
    assert Delivery.objects.filter(state="sent").count() == 6


def test_each_sender_has_its_own_smtp_connection(db, smtp):
    """Only email is due, so the three batches go out at once, one per sender. (With other
    channels in the claim a sender that finished early may rightly take the next email on its
    own connection, which made an earlier version of this test flaky.)"""
    controller, mailbox = smtp
    _urgent_rows(3, channel="email", address="resident{}@example.jp")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port):  # fmt: skip
        outbox.Worker(emergency=True, senders=3).drain()
    assert Counter(rcpt for rcpt, _m in mailbox.accepted) == {
        f"resident{i}@example.jp": 1 for i in range(3)
    }
    assert len(mailbox.sessions) == 3


def test_killed_at_any_moment_four_senders_repeat_nothing(tmp_path, smtp):
    """Four senders prepare side by side, but only one email at a time is past its final dot
    and unrecorded: the one the kill interrupted, which the server never kept."""
    outcome = broadcast_killed_at_the_fifteenth(tmp_path, smtp, "emergency", senders=4)
    assert outcome["at_kill"] == 14
    assert outcome["per_recipient"] == {f"r{n}@example.jp": 1 for n in range(40)}
    assert len(smtp[1].sessions) >= 2  # the senders really used several connections


class OtherGate(Gate):
    code = "gate2"


def test_each_channel_has_its_own_sender_so_channels_go_out_side_by_side(db, gate):
    """One sender per channel, yet a "gate" and a "gate2" delivery meet at a barrier of two:
    a multicast never waits behind single emails."""
    registry.register(OtherGate)
    try:
        _urgent_rows(1)
        _urgent_rows(1, channel="gate2")
        gate.barrier = threading.Barrier(2)
        assert outbox.Worker(emergency=True, senders=1).drain() == 2
    finally:
        registry._CHANNELS.pop("gate2")
    assert not gate.barrier.broken
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


class Staged(Channel):
    """Notes when a batch is prepared, taken in and recorded; may make batches prepare at a
    barrier (only passed when that many are prepared at once)."""

    code = "staged"
    label_ja = label_en = "staged"
    max_batch = 1
    per_person = False
    events: list = []
    barrier = threading.Barrier(1)
    second_prepared = threading.Event()

    def hand_over(self, items, ready):
        address = items[0].address
        Staged.events.append(("prepared", address))
        Staged.barrier.wait(timeout=10)
        if address == "a1":
            Staged.second_prepared.set()
        if not ready():
            return None
        Staged.events.append(("taken in", address))
        return [Result(i.delivery_id, Outcome.SENT, "staged") for i in items]

    def send(self, items):
        raise AssertionError("the worker hands over through hand_over")


def _staged(monkeypatch, prepared_together: int = 1, hold_first_record: bool = False) -> list:
    """Register ``Staged`` for this test and note each record; the events, in order."""
    monkeypatch.setitem(registry._CHANNELS, "staged", Staged)
    Staged.events, Staged.second_prepared = [], threading.Event()
    Staged.barrier = threading.Barrier(prepared_together)
    real_record = outbox._record

    def record(deliveries, results, worker):
        first = deliveries[0].address
        if hold_first_record and first == "a0":
            assert Staged.second_prepared.wait(5), "the next batch was not prepared meanwhile"
        Staged.events.append(("recorded", first))
        real_record(deliveries, results, worker)

    monkeypatch.setattr(outbox, "_record", record)
    return Staged.events


def test_a_sender_prepares_its_next_batch_while_the_last_is_recorded(db, monkeypatch):
    """One sender: the second email's transaction is prepared before the first is recorded
    (the record waits up to 5 s for it), but passes its final dot only after that record."""
    events = _staged(monkeypatch, hold_first_record=True)
    _urgent_rows(2, channel="staged")
    assert outbox.Worker(emergency=True, senders=1).drain() == 2
    assert events.index(("prepared", "a1")) < events.index(("recorded", "a0"))
    assert events.index(("recorded", "a0")) < events.index(("taken in", "a1"))
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_after_a_429_the_prepared_batch_goes_back_untried(db, gate):
    """The sender's next batch was prepared while the 429 was recorded: it is not handed over
    and waits, its attempt not counted."""
    _urgent_rows(3)
    gate.answers = [(Outcome.FAILED_TEMPORARY, 60.0)]
    outbox.Worker(emergency=True, senders=1).run_once()
    assert len(gate.handed) == 1
    assert Delivery.objects.filter(attempts=1, state="failed_temporary").count() == 1
    assert Delivery.objects.filter(attempts=0, state="queued").count() == 2


def test_a_late_answer_is_not_written_over_a_row_another_worker_took(db):
    first, second = _urgent_rows(2)
    outbox.claim(emergency=True, worker="slow", limit=2)
    Delivery.objects.filter(pk=second.pk).update(claimed_by="other")  # its lease ran out
    results = [Result(d.pk, Outcome.SENT, "accepted") for d in (first, second)]
    outbox._record([first, second], results, "slow")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("sent", "sending")
    assert [a.delivery_id for a in DeliveryAttempt.objects.all()] == [first.pk]


def test_a_batch_that_ends_before_its_turn_does_not_open_the_way_early():
    """A refused address ends its batch without waiting; the batch after it still waits until
    every batch before it is recorded."""
    first = outbox.Turn(before=outbox.Turn.free())
    refused = outbox.Turn(before=first)
    answers: list = []
    waiting = threading.Thread(target=lambda: answers.append(refused.wait()))
    waiting.start()
    refused.settle(True)
    waiting.join(0.3)
    assert waiting.is_alive() and not answers
    first.settle(True)
    waiting.join(5)
    assert answers == [True]
