"""Background work of the hub, through Django's Tasks API (database queue by default).

Each task fans out the messages that are due and drains one lane of the outbox. Emergency work
has its own queue, so a worker started for ``notify-emergency`` never waits behind routine mail.
Running a task twice is harmless: fan-out and claiming are idempotent.
"""

from __future__ import annotations

from django_tasks import task

from musubi.platform.notify import services
from musubi.platform.notify.outbox import Worker

EMERGENCY_QUEUE = "notify-emergency"
ROUTINE_QUEUE = "notify"
DRAIN_SECONDS = 300
#: Where the backend orders by priority (the database queue), emergencies jump the line; RQ has
#: no priorities, and its workers empty the emergency queue first instead (settings.TASK_QUEUES).
EMERGENCY_PRIORITY = 100


def _drain(emergency: bool) -> int:
    worker = Worker(emergency=emergency)
    try:
        return worker.drain(max_seconds=DRAIN_SECONDS)
    finally:
        worker.close()
        services.finish_sent()


@task(queue_name=EMERGENCY_QUEUE)
def dispatch_emergency() -> int:
    services.dispatch_due(emergency=True)
    return _drain(True)


@task(queue_name=ROUTINE_QUEUE)
def dispatch_routine() -> int:
    services.dispatch_due(emergency=False)
    services.renotify_due()
    return _drain(False)
