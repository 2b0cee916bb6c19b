"""Domain events: how one app reacts to another without importing its models.

``publish("residents.moved_in", resident_id=…)`` schedules every subscriber of that
name to run after the surrounding transaction commits, so a subscriber never sees
(or acts on) data that is later rolled back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

Subscriber = Callable[..., None]
_SUBSCRIBERS: dict[str, list[Subscriber]] = defaultdict(list)
log = logging.getLogger(__name__)


def subscribe(name: str) -> Callable[[Subscriber], Subscriber]:
    """Decorator: run the function with the event's payload whenever ``name`` is published."""

    def register(func: Subscriber) -> Subscriber:
        if func not in _SUBSCRIBERS[name]:
            _SUBSCRIBERS[name].append(func)
        return func

    return register


def publish(name: str, **payload: Any) -> None:
    """Announce that ``name`` happened; subscribers run once the transaction commits."""
    for func in list(_SUBSCRIBERS[name]):
        transaction.on_commit(lambda func=func: _deliver(func, name, payload), robust=True)


def _deliver(func: Subscriber, name: str, payload: dict[str, Any]) -> None:
    log.debug("event %s → %s", name, func.__qualname__)
    func(**payload)


def subscribers(name: str) -> list[Subscriber]:
    return list(_SUBSCRIBERS[name])
