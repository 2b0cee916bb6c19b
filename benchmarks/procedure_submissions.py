"""Submissions per second through the API (``POST /api/v1/me/applications/``): each one is
validated by the form engine, prefilled from the registry (the applicant is linked), given a
receipt number and stored with its attachment. Target: ≥ 100 submissions/s.

``--clients N`` runs N worker processes, each with its own database connection and test
client, posting at the same time against the same database; the figure is then the total
throughput of all of them (the default, one client, posts sequentially).

Also printed: the CPU time per submission spent in the posting processes (test client and
Django; SQLite's work too, PostgreSQL's server not), which depends less on other work on the
machine than the throughput does: 1000 / that figure is what one free core would sustain."""

from __future__ import annotations

import io
import multiprocessing
import time

from _throwaway import percentile, setup


def options(parser) -> None:
    parser.add_argument("--count", type=int, default=300, help="submissions in all")
    parser.add_argument("--clients", type=int, default=1, help="concurrent worker processes")


args = setup(__doc__, options)

import datetime as dt  # noqa: E402
import json  # noqa: E402

from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from PIL import Image  # noqa: E402

from musubi.citizen.procedures import services  # noqa: E402
from musubi.citizen.procedures.models import Application, Procedure  # noqa: E402
from musubi.platform.accounts.models import Department, User  # noqa: E402
from musubi.platform.files import services as files  # noqa: E402
from musubi.platform.residents import services as residents  # noqa: E402
from musubi.platform.residents.models import District, LinkMethod, Relationship  # noqa: E402

NAME = {
    "type": "object",
    "properties": {
        "family": {"type": "string", "minLength": 1},
        "given": {"type": "string", "minLength": 1},
    },
    "required": ["family", "given"],
}
FORM = {
    "id": "bench",
    "title": {"ja": "ベンチマーク申請", "en": "Benchmark"},
    "schema": {
        "type": "object",
        "properties": {
            "name": NAME,
            "name_kana": NAME,
            "birthdate": {"type": "string", "format": "date"},
            "phone": {"type": "string"},
            "copies": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["name", "name_kana", "birthdate", "phone", "copies"],
    },
    "ui": {
        "steps": [
            {
                "id": "main",
                "title": {"ja": "申請者"},
                "sections": [
                    {
                        "id": "s",
                        "title": {"ja": "申請者"},
                        "fields": [
                            {
                                "id": "name",
                                "widget": "name",
                                "label": {"ja": "氏名"},
                                "prefill": "registry.name",
                            },
                            {
                                "id": "name_kana",
                                "widget": "kana_name",
                                "label": {"ja": "フリガナ"},
                                "prefill": "registry.name_kana",
                            },
                            {
                                "id": "birthdate",
                                "widget": "date",
                                "label": {"ja": "生年月日"},
                                "prefill": "registry.birthdate",
                            },
                            {"id": "phone", "widget": "phone", "label": {"ja": "電話番号"}},
                            {"id": "copies", "widget": "number", "label": {"ja": "通数"}},
                        ],
                    }
                ],
            }
        ]
    },
}


def linked_resident() -> User:
    residents.ensure_districts()
    address = residents.create_address(
        district=District.objects.get(name="中沢"),
        postal_code="399-4231",
        town="中沢",
        banchi="1-1",
    )
    person = residents.move_in(
        residents.PersonDetails(
            family_name="駒ヶ根",
            given_name="花子",
            family_name_kana="コマガネ",
            given_name_kana="ハナコ",
            birthdate=dt.date(1989, 2, 1),
            sex="2",
        ),
        household=residents.new_household(address),
        relationship=Relationship.HEAD,
        on=dt.date(2020, 4, 1),
    )
    user = User.objects.create_user(username="bench@example.jp", email="bench@example.jp")
    residents.link_account(user, person, LinkMethod.values[0])
    return user


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, format="PNG")
    return buffer.getvalue()


setup_test_environment()
department = Department.objects.create(code="bench", name="ベンチ課", name_en="Bench")
procedure = Procedure.objects.create(
    code="bench",
    name_ja="ベンチ手続",
    name_en="Bench",
    category="other",
    department=department,
    attachments=[{"code": "id_doc", "label": {"ja": "本人確認書類"}, "required": True}],
    channels=["online"],
)
services.publish_version(services.create_version(procedure, FORM))
user = linked_resident()
photo = files.store_bytes(user, "id.png", png())
body = {
    "procedure": "bench",
    "data": {"phone": "0265-83-2111", "copies": 1},  # the rest comes from the registry
    "attachments": [{"requirement": "id_doc", "file": str(photo.pk)}],
}


def post_all(numbers: range, ready=None) -> tuple[list[float], float]:
    """Submit once per number (each its own Idempotency-Key); the latency of each, in ms, and
    the CPU seconds this process spent on them.

    One submission first, untimed: a client's first request loads the middleware (WhiteNoise
    indexes every static file) and the URLconf, which a running server does once at start."""
    client = Client()
    client.force_login(user)
    submit_one(client, f"warm-up-{numbers.start}")
    if ready is not None:
        ready.wait()
    cpu_started = time.process_time()
    timings = []
    for number in numbers:
        started = time.perf_counter()
        submit_one(client, f"bench-{number}")
        timings.append((time.perf_counter() - started) * 1000)
    return timings, time.process_time() - cpu_started


def submit_one(client: Client, key: str) -> None:
    response = client.post(
        "/api/v1/me/applications/",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    if response.status_code != 201:
        raise SystemExit(f"submission {key} failed: {response.status_code} {response.content!r}")


def worker(numbers: range, ready, results) -> None:
    """One concurrent client: a fresh connection of its own (never the parent's)."""
    connections.close_all()
    try:
        results.put(post_all(numbers, ready))
    except BaseException as exc:
        results.put(str(exc))
        raise
    finally:
        connections.close_all()


def concurrently(clients: int) -> tuple[list[float], float, float]:
    """All clients start together (a barrier); the time runs until the last one is done."""
    context = multiprocessing.get_context("fork")
    ready, results = context.Barrier(clients + 1), context.Queue()
    connections.close_all()  # the children must not share the parent's connection
    processes = [
        context.Process(target=worker, args=(range(i, args.count, clients), ready, results))
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    ready.wait()
    started = time.perf_counter()
    answers = [results.get() for _process in processes]
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    failed = [answer for answer in answers if isinstance(answer, str)]
    if failed:
        raise SystemExit(f"a client failed: {failed[0]}")
    timings = [ms for answer, _cpu in answers for ms in answer]
    return timings, elapsed, sum(cpu for _answer, cpu in answers)


if args.clients > 1:
    timings, elapsed, cpu = concurrently(args.clients)
else:
    started_all = time.perf_counter()
    timings, cpu = post_all(range(args.count))
    elapsed = time.perf_counter() - started_all
stored = Application.objects.filter(procedure=procedure).exclude(receipt_number=None)
assert stored.count() == args.count + args.clients  # each client's warm-up too
assert stored.first().data["name"] == {"family": "駒ヶ根", "given": "花子"}
print(f"database: {connection.vendor}, submissions: {args.count}, clients: {args.clients}")
print(f"throughput: {args.count / elapsed:.0f} submissions/s  (target ≥ 100/s)")
print(f"latency p50: {percentile(timings, 0.5):.1f} ms, p95: {percentile(timings, 0.95):.1f} ms")
print(f"CPU per submission (posting processes): {cpu / args.count * 1000:.1f} ms")
