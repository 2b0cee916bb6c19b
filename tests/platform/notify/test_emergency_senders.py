"""The emergency lane's senders side by side: really concurrent, still paced, still backing off
on 429, one SMTP connection each, and a worker killed mid-broadcast loses nothing and repeats
at most one message per other sender, with the same Message-ID."""

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


def test_senders_hand_batches_over_at_the_same_time(db, gate):
    """Three single deliveries pass the provider's barrier of three only if sent together."""
    _urgent_rows(3)
    gate.barrier = threading.Barrier(3)
    assert outbox.Worker(emergency=True, senders=3).drain() == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert not gate.barrier.broken


def test_one_sender_would_not_have_passed_the_barrier(db, gate):
    _urgent_rows(1)
    gate.barrier = threading.Barrier(2)
    outbox.Worker(emergency=True, senders=1).drain()
    # alone at the barrier: it broke, the provider call raised, the delivery waits for a retry
    assert Delivery.objects.get().state == DeliveryState.FAILED_TEMPORARY


def test_a_429_stops_every_sender_and_the_rest_waits_untried(db, gate):
    _urgent_rows(8)
    gate.barrier = threading.Barrier(2)
    gate.answers = [(Outcome.FAILED_TEMPORARY, 60.0), (Outcome.FAILED_TEMPORARY, 60.0)]
    outbox.Worker(emergency=True, senders=2).run_once()
    assert len(gate.handed) == 2  # the two in flight when the provider said "wait"
    tried = Delivery.objects.filter(attempts=1, state="failed_temporary")
    untried = Delivery.objects.filter(attempts=0, state="queued")
    assert tried.count() == 2 and untried.count() == 6
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


def test_killed_at_any_moment_at_most_one_message_per_other_sender_repeats(tmp_path, smtp):
    """The server may have taken in a message whose 250 its sender never heard: with four
    senders, up to three such messages (the fifteenth was refused) go out again on restart."""
    per_recipient = broadcast_killed_at_the_fifteenth(tmp_path, smtp, "emergency", senders=4)[
        "per_recipient"
    ]
    mailbox = smtp[1]
    assert set(per_recipient) == {f"r{n}@example.jp" for n in range(40)}
    repeated = [rcpt for rcpt, times in per_recipient.items() if times > 1]
    assert sum(per_recipient.values()) - 40 <= 3 and all(per_recipient[r] == 2 for r in repeated)
    for rcpt in repeated:  # a repeat is the same message: the mailbox can tell by its Message-ID
        ids = {m["Message-ID"] for to, m in mailbox.accepted if to == rcpt}
        assert len(ids) == 1


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
    """Notes when a batch is prepared and when it passes its point of no return."""

    code = "staged"
    label_ja = label_en = "staged"
    max_batch = 1
    per_person = False
    events: list = []
    second_prepared = threading.Event()

    def hand_over(self, items, ready):
        Staged.events.append(("prepared", items[0].address))
        if items[0].address == "a1":
            Staged.second_prepared.set()
        if not ready():
            return None
        Staged.events.append(("taken in", items[0].address))
        return [Result(i.delivery_id, Outcome.SENT, "staged") for i in items]

    def send(self, items):
        raise AssertionError("the worker hands over through hand_over")


def test_a_sender_prepares_its_next_batch_while_the_last_is_recorded(db, monkeypatch):
    """The second email's transaction is prepared before the first is recorded (the record
    waits up to 5 s for it), but passes its final dot only after that record."""
    registry.register(Staged)
    Staged.events, Staged.second_prepared = [], threading.Event()
    real_record = outbox._record

    def record(deliveries, results, worker):
        if deliveries[0].address == "a0":
            assert Staged.second_prepared.wait(5), "the next batch was not prepared meanwhile"
        Staged.events.append(("recorded", deliveries[0].address))
        real_record(deliveries, results, worker)

    monkeypatch.setattr(outbox, "_record", record)
    try:
        _urgent_rows(2, channel="staged")
        assert outbox.Worker(emergency=True, senders=1).drain() == 2
    finally:
        registry._CHANNELS.pop("staged")
    assert Staged.events.index(("prepared", "a1")) < Staged.events.index(("recorded", "a0"))
    assert Staged.events.index(("recorded", "a0")) < Staged.events.index(("taken in", "a1"))
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
