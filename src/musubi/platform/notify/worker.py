"""The long-running outbox loops ``musubi worker`` starts: one per lane, plus the clock.

The emergency loop claims only emergency deliveries, so it is never behind routine mail; the
routine loop also does the scheduled work (due messages, re-notifying the unacknowledged,
closing finished messages). Each loop sleeps briefly when there is nothing to do.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from musubi.platform.notify import services
from musubi.platform.notify.outbox import Worker

log = logging.getLogger(__name__)
IDLE_SECONDS = 1.0


def tick(emergency: bool) -> int:
    """One round of one lane: due messages, then everything claimable; deliveries handled."""
    services.dispatch_due(emergency=emergency)
    if not emergency:
        services.renotify_due()
    worker = Worker(emergency=emergency)
    try:
        handled = worker.drain()
    finally:
        worker.close()
    services.finish_sent()
    return handled


def run_once() -> int:
    """Everything due now, emergencies first (``musubi worker --once``)."""
    return tick(True) + tick(False)


def _loop(emergency: bool, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            handled = tick(emergency)
        except Exception:
            log.exception(
                "notify %s loop failed; retrying", "emergency" if emergency else "routine"
            )
            handled = 0
        finally:
            close_old_connections()
        if not handled:
            stop.wait(IDLE_SECONDS)


def start(stop: threading.Event | None = None) -> threading.Event:
    """Start both lanes in daemon threads; set the returned event to stop them."""
    stop = stop or threading.Event()
    for emergency in (True, False):
        name = f"musubi-notify-{'emergency' if emergency else 'routine'}"
        threading.Thread(target=_loop, args=(emergency, stop), name=name, daemon=True).start()
    return stop
