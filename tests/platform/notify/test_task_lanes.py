"""On the database queue an emergency wake-up jumps the line; routine ones wait their turn."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from musubi.platform.notify import services, tasks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("emergency", "queue", "priority"), [
    (True, tasks.EMERGENCY_QUEUE, tasks.EMERGENCY_PRIORITY),
    (False, tasks.ROUTINE_QUEUE, 0),
])  # fmt: skip
def test_a_wake_up_goes_to_its_lane(emergency, queue, priority):
    services._wake_worker(emergency)  # outside a transaction: on_commit runs at once
    queued = DBTaskResult.objects.get()
    assert (queued.queue_name, queued.priority) == (queue, priority)
