"""Bookings under load, through the API (``POST /api/v1/me/bookings/``):

1. the race: ``--clients`` (1,000) signed-in residents, ``--threads`` at a time, each with its
   own database connection, ask for one of 10 free slots; exactly 10 must be confirmed and
   every other answer must be 409 ``already_taken``. Target p95 < 500 ms.
2. month availability (``GET …/availability?from=&to=``, 31 days) for 50 resources: p95.
3. bookings/s: sequential bookings of distinct slots by one client.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from _throwaway import percentile, setup


def options(parser) -> None:
    parser.add_argument("--clients", type=int, default=1000, help="racing clients")
    parser.add_argument("--threads", type=int, default=50, help="clients running at once")
    parser.add_argument("--bookings", type=int, default=300, help="bookings for bookings/s")


args = setup(__doc__, options)

import datetime as dt  # noqa: E402
import json  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from musubi.citizen.bookings.models import Booking, Kind, Resource, Status  # noqa: E402
from musubi.platform.accounts.models import Department, User  # noqa: E402

TOKYO = ZoneInfo("Asia/Tokyo")
EVERY_DAY = {str(d): ["09:00", "19:00"] for d in range(1, 8)}

setup_test_environment()
logging.getLogger("django.request").setLevel(logging.ERROR)  # 409s are the expected answer
department = Department.objects.create(code="bench", name="ベンチ課", name_en="Bench")


def resource(code: str, slot_minutes: int = 60, capacity: int = 1) -> Resource:
    return Resource.objects.create(
        code=code,
        kind=Kind.ROOM,
        name_ja=code,
        department=department,
        capacity=capacity,
        max_party=10,
        slot_minutes=slot_minutes,
        hours=EVERY_DAY,
        open_on_holidays=True,
        max_advance_days=365,
    )


def tomorrow_at(hour: int, days: int = 1) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


#: One request handler for every client, as one web process has: a test Client builds its own
#: on first use, and loading the middleware (WhiteNoise indexes every static file) cost ~20 ms,
#: which earlier runs counted as part of each racing request.
HANDLER = Client().handler
HANDLER.load_middleware()


def signed_in_client(user: User) -> Client:
    client = Client()
    client.handler = HANDLER
    client.force_login(user)
    return client


def post(client: Client, code: str, start: dt.datetime) -> tuple[int, str, float]:
    body = json.dumps({"resource": code, "start": start.isoformat()})
    started = time.perf_counter()
    response = client.post("/api/v1/me/bookings/", body, content_type="application/json")
    elapsed = (time.perf_counter() - started) * 1000
    code_given = response.json().get("code", "") if response.status_code != 201 else ""
    return response.status_code, code_given, elapsed


def race() -> None:
    hall = resource("race-hall")
    starts = [tomorrow_at(9 + n) for n in range(10)]
    users = User.objects.bulk_create(
        User(username=f"c{n}@bench.jp", email=f"c{n}@bench.jp") for n in range(args.clients)
    )
    clients = [signed_in_client(user) for user in users]

    def one(number: int) -> tuple[int, str, float]:
        # each pool thread keeps its database connection, as a web server's threads do
        return post(clients[number], "race-hall", starts[number % len(starts)])

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        answers = list(pool.map(one, range(args.clients)))
    seconds = time.perf_counter() - began
    statuses = [status for status, _code, _ms in answers]
    confirmed = Booking.objects.filter(resource=hall, status=Status.CONFIRMED).count()
    taken = sum(1 for status, code, _ms in answers if status == 409 and code == "already_taken")
    other = len(answers) - statuses.count(201) - taken
    p95 = percentile([ms for *_rest, ms in answers], 0.95)
    print(
        f"race: {args.clients} clients ({args.threads} at a time) on 10 slots in {seconds:.1f} s: "
        f"{confirmed} confirmed, {taken} told 'already taken', {other} other answers; "
        f"p95 {p95:.0f} ms"
    )
    if confirmed != 10 or other:
        raise SystemExit("FAILED: expected exactly 10 confirmed and only 'already taken' otherwise")


def month_availability() -> None:
    resources = [resource(f"month-{n}", slot_minutes=30, capacity=3) for n in range(50)]
    client = Client()
    first = timezone.localdate()
    last = first + dt.timedelta(days=30)
    timings = []
    for _round in range(3):
        for item in resources:
            url = f"/api/v1/bookings/resources/{item.pk}/availability/?from={first}&to={last}"
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
    print(
        f"month availability (31 days, 20 slots a day) for 50 resources: "
        f"p95 {percentile(timings, 0.95):.0f} ms, median {percentile(timings, 0.5):.0f} ms"
    )


def bookings_per_second() -> None:
    resource("throughput", slot_minutes=30, capacity=4)
    client = signed_in_client(User.objects.create(username="t@bench.jp", email="t@bench.jp"))
    starts = [
        tomorrow_at(9, days=1 + n // 80) + dt.timedelta(minutes=30 * ((n // 4) % 20))
        for n in range(args.bookings)
    ]
    began = time.perf_counter()
    for start in starts:
        status, code, _ms = post(client, "throughput", start)
        if status != 201:
            raise SystemExit(f"booking failed: {status} {code}")
    seconds = time.perf_counter() - began
    print(f"bookings/s: {args.bookings / seconds:.0f} ({args.bookings} in {seconds:.1f} s)")


print(f"database: {connection.vendor}")
race()
month_availability()
bookings_per_second()
