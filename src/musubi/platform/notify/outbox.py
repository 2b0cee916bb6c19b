"""The outbox worker: claim deliveries under a lease, hand them to their channel, record results.

Claiming is one short transaction: ``SELECT … FOR UPDATE SKIP LOCKED`` where the database has
it (PostgreSQL), and everywhere an ``UPDATE … WHERE`` that only takes rows still unclaimed or
whose lease ran out, so two workers never hold the same row. Results are written per channel
batch right after the provider answers; a channel without provider-side deduplication (email)
sends batches of one, and a batch passes its point of no return (an email's final dot) only
once the channel's batch before it is recorded (``Turn``), so a worker killed at any moment
leaves at most one message per channel taken in but unrecorded. A delivery already sent is
never claimed again. Emergency and routine deliveries are two lanes: a worker claims from one
lane only.

Each channel has its own senders (threads with their own channel instances, so their own SMTP
connections): one per channel for routine notices, ``NOTIFY_EMERGENCY_SENDERS`` per channel
in the emergency lane, because a whole-city warning is bounded by the providers' round trips.
The senders prepare side by side and only talk to providers; this thread claims, paces and
records.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from itertools import chain

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from musubi.platform.notify import sql
from musubi.platform.notify.channels import registry
from musubi.platform.notify.channels.base import Channel, Outcome, Outgoing, Result
from musubi.platform.notify.models import Delivery, DeliveryAttempt, DeliveryState, Message
from musubi.platform.residents import services as residents

log = logging.getLogger(__name__)

CLAIM_SIZE = 200
MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
ACK_SALT = "musubi.notify.ack"


def lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)


def worker_name(lane: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{lane}"


def backoff(attempts: int) -> timedelta:
    """Exponential back-off after the ``attempts``-th failure: 30 s, 1 min, 2 min… up to 6 h."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _claimable(now) -> Q:
    waiting = Q(state__in=[DeliveryState.QUEUED, DeliveryState.FAILED_TEMPORARY])
    return (waiting & Q(next_attempt_at__lte=now)) | Q(
        state=DeliveryState.SENDING, claimed_until__lt=now
    )


def claim(*, emergency: bool, worker: str, limit: int = CLAIM_SIZE) -> list[Delivery]:
    """Take up to ``limit`` due deliveries of one lane for ``worker``, under a lease."""
    now = timezone.now()
    with transaction.atomic():
        candidates = Delivery.objects.filter(_claimable(now), emergency=emergency).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(_claimable(now), id__in=ids).update(
            state=DeliveryState.SENDING,
            claimed_by=worker,
            claimed_until=now + lease(),
            attempts=F("attempts") + 1,
        )
    claimed = list(
        Delivery.objects.filter(
            id__in=ids, claimed_by=worker, state=DeliveryState.SENDING
        ).order_by("id")
    )
    _attach_messages(claimed)
    return claimed


def _attach_messages(deliveries: list[Delivery]) -> None:
    """Read each message once for the whole claim: a join would decode its rendered texts
    again for every one of the hundreds of deliveries a broadcast claims at a time."""
    messages = Message.objects.in_bulk({d.message_id for d in deliveries})
    for delivery in deliveries:
        delivery.message = messages[delivery.message_id]


def ack_token(message_id: int, household_id: int) -> str:
    return signing.dumps([message_id, household_id], salt=ACK_SALT, compress=True)


def link_for(delivery: Delivery) -> str:
    """The acknowledgement link for a household, else the notice's public page."""
    message = delivery.message
    if message.needs_ack and delivery.household_id:
        path = reverse("notify:ack", args=[ack_token(message.pk, delivery.household_id)])
    elif message.publish_onsite:
        path = _notice_path(message.pk)
    else:
        return ""
    return settings.SITE_URL.rstrip("/") + path


@lru_cache(maxsize=256)
def _notice_path(message_id: int) -> str:
    """The notice page's path, worked out once per message rather than once per delivery."""
    return reverse("notify:notice", args=[message_id])


def outgoing(delivery: Delivery) -> Outgoing:
    text = delivery.message.text(delivery.language)
    return Outgoing(
        delivery_id=delivery.pk,
        key=str(delivery.key),
        address=delivery.address,
        subject=text["subject"],
        body=text["body"],
        language=delivery.language,
        url=link_for(delivery),
        emergency=delivery.emergency,
    )


@dataclass
class Pacer:
    """Keeps each channel under its ``per_second`` and away while a provider asked to wait."""

    next_free: dict[str, float] = field(default_factory=dict)
    paused_until: dict[str, float] = field(default_factory=dict)

    def paused(self, code: str) -> float:
        """Seconds left of the pause a provider asked for (0 when none)."""
        return max(0.0, self.paused_until.get(code, 0.0) - time.monotonic())

    def pause(self, code: str, seconds: float) -> None:
        self.paused_until[code] = max(self.paused_until.get(code, 0.0), time.monotonic() + seconds)

    def wait_turn(self, channel: Channel, items: int) -> None:
        if not channel.per_second:
            return
        now = time.monotonic()
        start = max(now, self.next_free.get(channel.code, now))
        self.next_free[channel.code] = start + items / channel.per_second
        if start > now:
            time.sleep(start - now)


@dataclass(frozen=True)
class Job:
    """One batch for one channel: what a sender hands to the provider in one ``send``."""

    code: str
    deliveries: list[Delivery]
    items: list[Outgoing]


def jobs_for(by_channel: dict[str, list[Delivery]], sizes: dict[str, int]) -> dict[str, deque[Job]]:
    """The batches of a claim, queued per channel: each channel has its own senders, so a LINE
    multicast never waits behind a hundred single emails, nor emails behind Web Push."""
    return {code: deque(_batches(code, rows, sizes[code])) for code, rows in by_channel.items()}


def _batches(code: str, rows: list[Delivery], size: int):
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        yield Job(code, chunk, [outgoing(d) for d in chunk])


class Turn:
    """When a batch may pass its point of no return (an email's final dot): once the channel's
    batches before it are all recorded. Senders prepare meanwhile, side by side (an SMTP
    transaction up to its content), so the record and all but one round trip of each email
    overlap the others, and a killed worker leaves at most one batch per channel taken in but
    unrecorded, however many senders it runs.

    Only the worker's own thread settles turns; the senders only ``wait``.
    """

    def __init__(self, before: Turn | None = None) -> None:
        self._opened = threading.Event()
        self._go = True
        self._settled: bool | None = None
        self._before = before
        self._next: Turn | None = None
        if before is not None:
            before._next = self

    @classmethod
    def free(cls) -> Turn:
        """The turn before a channel's first batch: nothing to wait for."""
        turn = cls()
        turn._opened.set()
        return turn

    def settle(self, go: bool) -> None:
        """This batch is recorded: the next may go on (True) or must give its batch back
        (False), once the batches before this one are recorded too. A batch can end before
        its own turn came (a refused address), and must not open the way early."""
        self._settled = go
        turn = self
        while turn is not None and turn._settled is not None:
            if turn._before is not None and not turn._before._opened.is_set():
                return
            turn._go, turn._before = turn._settled, None
            turn._opened.set()
            turn = turn._next

    def close(self) -> None:
        """The worker stops handing over: whoever still waits gives its batch back."""
        if not self._opened.is_set():
            self._go = False
            self._opened.set()

    def wait(self) -> bool:
        self._opened.wait()
        return self._go


@dataclass(frozen=True)
class Flight:
    """A batch handed to a sender; ``recorded`` opens when its answers are written."""

    slot: int
    job: Job
    recorded: Turn


def senders_for(emergency: bool) -> int:
    """Senders per channel: the configured number for emergencies, one for routine notices."""
    return max(1, settings.NOTIFY_EMERGENCY_SENDERS) if emergency else 1


@dataclass
class Worker:
    """One lane's worker; each channel has ``senders`` senders, each keeping its channel
    instance (and its open connection) between batches."""

    emergency: bool
    name: str = ""
    senders: int = 0
    pacer: Pacer = field(default_factory=Pacer)
    slots: list[dict[str, Channel]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = self.name or worker_name("emergency" if self.emergency else "routine")
        self.senders = self.senders or senders_for(self.emergency)
        self.slots = [{} for _ in range(self.senders)]

    def channel(self, slot: int, code: str) -> Channel:
        if code not in self.slots[slot]:
            self.slots[slot][code] = registry.get(code)
        return self.slots[slot][code]

    def close(self) -> None:
        for channels in self.slots:
            for channel in channels.values():
                channel.close()
            channels.clear()

    def run_once(self) -> int:
        """Claim one batch and hand it over; the number of deliveries handled (0: nothing due)."""
        batch = claim(emergency=self.emergency, worker=self.name, limit=CLAIM_SIZE * self.senders)
        by_channel: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in batch:
            by_channel[delivery.channel].append(delivery)
        sizes = {}
        for code, deliveries in list(by_channel.items()):
            try:
                sizes[code] = max(1, self.channel(0, code).max_batch)
            except KeyError:
                failed = self._all(deliveries, Outcome.FAILED_PERMANENT, "no such channel")
                _record(by_channel.pop(code), failed, self.name)
        self._hand_over(jobs_for(by_channel, sizes))
        return len(batch)

    def drain(self, *, max_seconds: float | None = None) -> int:
        """Handle batches until nothing is due (or ``max_seconds`` passed)."""
        started, total = time.monotonic(), 0
        while max_seconds is None or time.monotonic() - started < max_seconds:
            handled = self.run_once()
            total += handled
            if not handled:
                break
        return total

    def _hand_over(self, queues: dict[str, deque[Job]]) -> None:
        """Keep every channel's senders busy. Answers are recorded here, in the thread that
        claimed (the senders never touch the database); a sender may prepare its next batch
        meanwhile, and passes that batch's point of no return once this one is recorded."""
        if not queues:
            return
        turns: dict[str, list[Turn]] = {code: [Turn.free()] for code in queues}
        with ThreadPoolExecutor(self.senders * len(queues), "notify-sender") as pool:
            try:
                self._keep_busy(pool, queues, turns)
            finally:  # a failed record must not leave a sender waiting for its turn forever
                for turn in chain.from_iterable(turns.values()):
                    turn.close()

    def _keep_busy(self, pool, queues: dict[str, deque[Job]], turns: dict) -> None:
        free = {code: list(range(self.senders)) for code in queues}
        running: dict[Future, Flight] = {}
        self._start(pool, queues, free, turns, running)
        while running:
            done, _pending = wait(running, return_when=FIRST_COMPLETED)
            landed = [(running.pop(future), future.result()) for future in done]
            for flight, _results in landed:
                free[flight.job.code].append(flight.slot)
            self._start(pool, queues, free, turns, running)  # they prepare while we record
            self._settle(landed)

    def _start(self, pool, queues, free, turns, running: dict[Future, Flight]) -> None:
        for code, jobs in queues.items():
            while jobs and free[code]:
                job = jobs.popleft()
                if wait_for := self.pacer.paused(code):
                    _release(job.deliveries, self.name, wait_for)
                    continue
                slot = free[code].pop()
                self.pacer.wait_turn(self.channel(slot, code), len(job.items))
                after = turns[code][-1]
                flight = Flight(slot, job, Turn(before=after))
                turns[code].append(flight.recorded)
                running[pool.submit(self._send, flight, after)] = flight

    def _settle(self, landed: list[tuple[Flight, list[Result] | None]]) -> None:
        """Record the answers, give back what was not handed over, then open each sender's turn."""
        answered = [(flight, results) for flight, results in landed if results is not None]
        _record(
            [d for flight, _r in answered for d in flight.job.deliveries],
            [r for _flight, results in answered for r in results],
            self.name,
        )
        for flight, results in landed:
            code = flight.job.code
            if results is None:
                _release(flight.job.deliveries, self.name, self.pacer.paused(code))
            elif asked := max((r.retry_after or 0 for r in results), default=0):
                self.pacer.pause(code, asked)
            flight.recorded.settle(go=not self.pacer.paused(code))

    def _send(self, flight: Flight, after: Turn) -> list[Result] | None:
        """In a sender thread: only the provider conversation, never the database."""
        job = flight.job
        channel = self.channel(flight.slot, job.code)
        try:
            return channel.hand_over(job.items, after.wait)
        except Exception as exc:
            log.exception("channel %s raised on a batch of %d", job.code, len(job.items))
            channel.close()
            self.slots[flight.slot].pop(job.code, None)
            return self._all(
                job.deliveries, Outcome.FAILED_TEMPORARY, f"{type(exc).__name__}: {exc}"
            )

    @staticmethod
    def _all(deliveries: list[Delivery], outcome: Outcome, detail: str) -> list[Result]:
        return [Result(d.pk, outcome, detail) for d in deliveries]


def _release(deliveries: list[Delivery], worker: str, wait: float) -> None:
    """Give claimed rows back untried (their channel is paused); the attempt is not counted."""
    Delivery.objects.filter(id__in=[d.pk for d in deliveries], claimed_by=worker).update(
        state=DeliveryState.QUEUED,
        claimed_until=None,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
    )


def _after(delivery: Delivery, result: Result, now) -> dict:
    detail = result.detail[:500]
    if result.outcome in (Outcome.SENT, Outcome.DELIVERED):
        return {"state": result.outcome.value, "sent_at": now, "provider_id": result.provider_id,
                "detail": detail}  # fmt: skip
    if result.outcome == Outcome.FAILED_TEMPORARY and delivery.attempts < MAX_ATTEMPTS:
        wait = max(backoff(delivery.attempts), timedelta(seconds=result.retry_after or 0))
        return {"state": DeliveryState.FAILED_TEMPORARY, "next_attempt_at": now + wait,
                "detail": detail}  # fmt: skip
    return {"state": DeliveryState.FAILED_PERMANENT, "detail": detail}


def _record(deliveries: list[Delivery], results: list[Result], worker: str) -> None:
    """Write each result and its log line atomically, only for rows this worker holds.

    Rows with the same outcome and words (a multicast, a run of emails) are one UPDATE: at a
    few hundred deliveries a second, statements per row were the emergency lane's limit.
    """
    now = timezone.now()
    answered = {r.delivery_id: r for r in results}
    groups: dict[tuple, list[int]] = defaultdict(list)
    gone: dict[str, list[str]] = defaultdict(list)
    for delivery in deliveries:
        result = answered.get(delivery.pk) or Result(
            delivery.pk, Outcome.FAILED_TEMPORARY, "the channel gave no answer"
        )
        changes = tuple(sorted(_after(delivery, result, now).items()))
        groups[(result.outcome.value, changes)].append(delivery.pk)
        if result.gone:
            gone[delivery.channel].append(delivery.address)
    at = DeliveryAttempt._meta.get_field("at").get_db_prep_save(now, connection)
    if connection.vendor == "postgresql":
        _record_in_statements(groups, worker, at)
    else:
        _record_in_transaction(groups, worker, at)
    for code, addresses in gone.items():
        _forget(code, addresses)


def _forget(code: str, addresses: list[str]) -> None:
    """The provider said these addresses will never work again: stop offering them, or every
    later notice tries them and fails again (RFC 8030 asks the same of a push sender)."""
    kind = registry.get(code).contact_kind
    if kind:
        residents.forget_contacts(kind, addresses)


# The statements of every record are written by hand. Built by the ORM they cost about as much
# CPU as the SMTP conversation they record, and the emergency lane's worker is bound by its CPU
# (and on PostgreSQL by round trips): one email is one record, so a city-wide warning makes
# thousands of them. Names come from the models; every value is a parameter.

_LOG_COLUMNS = ("delivery_id", "at", "outcome", "detail", "worker")


def _record_in_statements(groups: dict[tuple, list[int]], worker: str, at: object) -> None:
    """PostgreSQL: each group's UPDATE and log INSERT are one statement (a data-modifying
    WITH), atomic on its own, so the usual single group needs no BEGIN and COMMIT either."""
    log = connection.ops.quote_name(DeliveryAttempt._meta.db_table)
    logged = f"INSERT INTO {log} ({', '.join(_LOG_COLUMNS)}) SELECT id, %s, %s, %s, %s FROM held"  # noqa: S608
    several = transaction.atomic() if len(groups) > 1 else nullcontext()
    with several, connection.cursor() as cursor:
        for (outcome, changes), ids in groups.items():
            update, values = _update_held(ids, worker, dict(changes))
            statement = f"WITH held AS ({update} RETURNING id) {logged}"
            cursor.execute(statement, [*values, at, outcome, dict(changes)["detail"], worker])


def _record_in_transaction(groups: dict[tuple, list[int]], worker: str, at: object) -> None:
    """Elsewhere (SQLite): the UPDATEs, then one log INSERT, in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        logged = []
        for (outcome, changes), ids in groups.items():
            update, values = _update_held(ids, worker, dict(changes))
            cursor.execute(update, values)
            if cursor.rowcount != len(ids):  # a lease ran out and another worker took some
                ids = list(
                    Delivery.objects.filter(pk__in=ids, claimed_by=worker).values_list(
                        "pk", flat=True
                    )
                )
            detail = dict(changes)["detail"]
            logged += [(pk, at, outcome, detail, worker) for pk in ids]
        sql.insert_rows(DeliveryAttempt, _LOG_COLUMNS, logged)


def _update_held(ids: list[int], worker: str, changes: dict) -> tuple[str, list]:
    """The UPDATE of the rows of ``ids`` that ``worker`` still holds, and its values."""
    fields = [Delivery._meta.get_field(name) for name in changes]
    values = [f.get_db_prep_save(changes[f.name], connection) for f in fields]
    return _update_statement(connection.vendor, tuple(changes), len(ids)), [*values, worker, *ids]


@lru_cache(maxsize=256)
def _update_statement(vendor: str, names: tuple[str, ...], rows: int) -> str:
    """Built once per shape: a broadcast records thousands of single emails alike."""
    quote = connection.ops.quote_name
    columns = [Delivery._meta.get_field(name).column for name in names]
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    held = f"claimed_by = %s AND id IN ({', '.join(['%s'] * rows)})"
    table = quote(Delivery._meta.db_table)
    return f"UPDATE {table} SET claimed_until = NULL, {assignments} WHERE {held}"  # noqa: S608
