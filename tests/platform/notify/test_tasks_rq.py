"""With Redis configured, background work goes through RQ (django-tasks-rq) on a real
redis-server: the hub's wake-up task is queued there and a worker running it sends the mail."""

from __future__ import annotations

import django_rq
import django_rq.settings
import pytest
from django.core import mail
from rq import SimpleWorker

from musubi import cli
from musubi.devtools import redis as redis_server
from musubi.platform.notify.models import Delivery

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rq_queues(settings, monkeypatch):
    """The settings a Redis URL gives (see settings.py), pointed at a throwaway redis-server."""
    with redis_server.running_server() as url:
        queues = {name: {"URL": url} for name in settings.TASK_QUEUES}
        settings.REDIS_URL = url
        settings.RQ_QUEUES = queues
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": settings.TASK_QUEUES}
        }
        monkeypatch.setattr(django_rq.settings, "QUEUES", queues)
        yield queues


def _worker():
    """An RQ worker as ``musubi worker`` starts it, without forking (the test database is in
    this process's memory)."""
    return django_rq.get_worker(
        *django_rq.settings.QUEUES, job_class=cli.RQ_JOB_CLASS, worker_class=SimpleWorker
    )


def test_the_hub_queues_its_work_in_redis_and_an_rq_worker_sends_it(rq_queues, town, compose):
    higashi = town.members("higashi")[0]
    compose(audience={"kind": "residents", "residents": [higashi.number]})
    assert django_rq.get_queue("notify").count == 1  # queued in Redis, nothing sent yet
    assert mail.outbox == []
    _worker().work(burst=True)
    assert [m.to for m in mail.outbox] == [["jiro@example.jp"]]
    assert Delivery.objects.get(channel="email").state == "sent"
    assert django_rq.get_queue("notify").count == 0


def test_the_worker_listens_to_emergencies_first(rq_queues):
    assert next(q.name for q in _worker().queues) == "notify-emergency"
