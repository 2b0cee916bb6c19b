"""The outbox worker: claim deliveries under a lease, hand them to their channel, record results.

Claiming is one short transaction: ``SELECT … FOR UPDATE SKIP LOCKED`` where the database has
it (PostgreSQL), and everywhere an ``UPDATE … WHERE`` that only takes rows still unclaimed or
whose lease ran out, so two workers never hold the same row. Results are written per channel
batch right after the provider answers; a channel without provider-side deduplication (email)
sends batches of one, so a worker killed at any moment leaves at most the one message the
provider was still taking in unrecorded. A delivery already sent is never claimed again.
Emergency and routine deliveries are two lanes: a worker claims from one lane only.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from musubi.platform.notify.channels import registry
from musubi.platform.notify.channels.base import Channel, Outcome, Outgoing, Result
from musubi.platform.notify.models import Delivery, DeliveryAttempt, DeliveryState

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
    return list(
        Delivery.objects.filter(id__in=ids, claimed_by=worker, state=DeliveryState.SENDING)
        .select_related("message")
        .order_by("id")
    )


def ack_token(message_id: int, household_id: int) -> str:
    return signing.dumps([message_id, household_id], salt=ACK_SALT, compress=True)


def link_for(delivery: Delivery) -> str:
    """The acknowledgement link for a household, else the notice's public page."""
    message = delivery.message
    if message.needs_ack and delivery.household_id:
        path = reverse("notify:ack", args=[ack_token(message.pk, delivery.household_id)])
    elif message.publish_onsite:
        path = reverse("notify:notice", args=[message.pk])
    else:
        return ""
    return settings.SITE_URL.rstrip("/") + path


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


@dataclass
class Worker:
    """One lane's worker; keeps channel instances (and their open connections) between batches."""

    emergency: bool
    name: str = ""
    pacer: Pacer = field(default_factory=Pacer)
    channels: dict[str, Channel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name = self.name or worker_name("emergency" if self.emergency else "routine")

    def channel(self, code: str) -> Channel:
        if code not in self.channels:
            self.channels[code] = registry.get(code)
        return self.channels[code]

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()
        self.channels.clear()

    def run_once(self) -> int:
        """Claim one batch and handle it; the number of deliveries handled (0: nothing due)."""
        batch = claim(emergency=self.emergency, worker=self.name)
        by_channel: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in batch:
            by_channel[delivery.channel].append(delivery)
        for code, deliveries in by_channel.items():
            self._hand_over(code, deliveries)
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

    def _hand_over(self, code: str, deliveries: list[Delivery]) -> None:
        try:
            channel = self.channel(code)
        except KeyError:
            _record(deliveries, self._all(deliveries, Outcome.FAILED_PERMANENT, "no such channel"),
                    self.name)  # fmt: skip
            return
        if wait := self.pacer.paused(code):
            _release(deliveries, self.name, wait)
            return
        size = max(1, channel.max_batch)
        for start in range(0, len(deliveries), size):
            chunk = deliveries[start : start + size]
            if wait := self.pacer.paused(code):
                _release(deliveries[start:], self.name, wait)
                return
            self.pacer.wait_turn(channel, len(chunk))
            results = self._send(channel, chunk)
            _record(chunk, results, self.name)
            if asked := max((r.retry_after or 0 for r in results), default=0):
                self.pacer.pause(code, asked)

    def _send(self, channel: Channel, chunk: list[Delivery]) -> list[Result]:
        try:
            return channel.send([outgoing(d) for d in chunk])
        except Exception as exc:
            log.exception("channel %s raised on a batch of %d", channel.code, len(chunk))
            channel.close()
            self.channels.pop(channel.code, None)
            return self._all(chunk, Outcome.FAILED_TEMPORARY, f"{type(exc).__name__}: {exc}")

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
    """Write each result and its log line in one transaction, only for rows this worker holds."""
    now = timezone.now()
    answered = {r.delivery_id: r for r in results}
    with transaction.atomic():
        for delivery in deliveries:
            result = answered.get(delivery.pk) or Result(
                delivery.pk, Outcome.FAILED_TEMPORARY, "the channel gave no answer"
            )
            changes = _after(delivery, result, now)
            updated = Delivery.objects.filter(pk=delivery.pk, claimed_by=worker).update(
                claimed_until=None, **changes
            )
            if updated:
                DeliveryAttempt.objects.create(
                    delivery_id=delivery.pk, at=now, outcome=result.outcome.value,
                    detail=result.detail[:500], worker=worker,
                )  # fmt: skip
