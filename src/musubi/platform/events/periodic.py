"""Work that must happen every few minutes whatever else goes on: reminders, expiries, sweeps.

An app registers a function with ``@every(seconds)`` (imported from its ``AppConfig.ready``);
``musubi worker`` and the demo's embedded worker run the clock, which calls each function when
its interval has passed. Each function must be idempotent (run twice, change nothing the second
time), because two workers may both run it; it returns how many things it did.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections

log = logging.getLogger(__name__)
TICK_SECONDS = 5.0


@dataclass
class Job:
    name: str
    seconds: float
    func: Callable[[], int]
    last_run: float = field(default=float("-inf"))


_JOBS: dict[str, Job] = {}


def every(seconds: float) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Decorator: run the function at most once per ``seconds`` on each worker's clock."""

    def register(func: Callable[[], int]) -> Callable[[], int]:
        name = f"{func.__module__}.{func.__qualname__}"
        _JOBS[name] = Job(name, seconds, func)
        return func

    return register


def jobs() -> list[Job]:
    return sorted(_JOBS.values(), key=lambda job: job.name)


def run_due(now: float | None = None) -> dict[str, int]:
    """Run every job whose interval has passed; a failing job is logged and tried next time."""
    now = time.monotonic() if now is None else now
    done = {}
    for job in jobs():
        if now - job.last_run < job.seconds:
            continue
        job.last_run = now
        try:
            done[job.name] = job.func()
        except Exception:
            log.exception("periodic job %s failed; it runs again in %s s", job.name, job.seconds)
        finally:
            close_old_connections()
    return done


def start(stop: threading.Event | None = None) -> threading.Event:
    """The clock, in a daemon thread; set the returned event to stop it."""
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.is_set():
            run_due()
            stop.wait(TICK_SECONDS)

    threading.Thread(target=loop, name="musubi-clock", daemon=True).start()
    return stop
