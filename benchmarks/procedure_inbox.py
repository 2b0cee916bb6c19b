"""Department inbox latency with 100,000 applications, through the code the staff page uses.

Creates the applications in bulk (two departments, eight procedures, every status, a third
assigned), then times ``staff_views.inbox_page`` (filters, sort, the page of 50, the status
counts) for a mix of filters. Target: p95 < 150 ms.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time

from _throwaway import ROOT, percentile, setup

ARGS = setup(
    __doc__,
    lambda parser: parser.add_argument(
        "--applications", type=int, default=100_000, help="how many to create (default 100,000)"
    ),
)

from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.utils import timezone  # noqa: E402

from musubi.citizen.procedures import services  # noqa: E402
from musubi.citizen.procedures.models import Application, Channel, Procedure, Status  # noqa: E402
from musubi.citizen.procedures.staff_views import inbox_page  # noqa: E402
from musubi.platform.accounts.models import (  # noqa: E402
    Department,
    PermissionGrant,
    Role,
    StaffMembership,
    User,
)
from musubi.platform.residents.text import search_form  # noqa: E402

QUERIES = 330
FAMILY = ["駒ヶ根", "宮田", "赤穂", "中沢", "東伊那", "竜東", "福岡", "北原", "小町屋", "上穂"]
FAMILY_KANA = ["コマガネ", "ミヤダ", "アカホ", "ナカザワ", "ヒガシイナ", "リュウトウ", "フクオカ",
               "キタハラ", "コマチヤ", "ウワブ"]  # fmt: skip
GIVEN = ["花子", "太郎", "一郎", "さくら", "健", "美咲", "翔", "陽菜", "蓮", "結衣"]
GIVEN_KANA = ["ハナコ", "タロウ", "イチロウ", "サクラ", "ケン", "ミサキ", "ショウ", "ヒナ", "レン",
              "ユイ"]  # fmt: skip
STATUS_WEIGHTS = {
    Status.SUBMITTED: 10, Status.RECEIVED: 10, Status.IN_REVIEW: 10,
    Status.CORRECTION_REQUESTED: 5, Status.APPROVED: 5, Status.COMPLETED: 50,
    Status.REJECTED: 5, Status.WITHDRAWN: 5,
}  # fmt: skip


def world() -> tuple[User, list[Procedure], list[User]]:
    definition = json.loads(
        (ROOT / "src/musubi/platform/forms/data/sample_form.json").read_text("utf-8")
    )
    definition.pop("_note", None)
    procedures, staff = [], []
    for code, name in (("kodomo", "子ども課"), ("fukushi", "福祉課")):
        dept = Department.objects.create(code=code, name=name, name_en=code)
        for number in range(4):
            proc = Procedure.objects.create(
                code=f"{code}-{number}", name_ja=f"{name}の手続{number}", name_en=code,
                category="kosodate", department=dept, processing_days=14,
                channels=[Channel.ONLINE, Channel.COUNTER],
            )  # fmt: skip
            services.publish_version(services.create_version(proc, definition))
            procedures.append(proc)
        for number in range(5):
            email = f"{code}{number}@city.example.jp"
            user = User.objects.create_user(username=email, email=email, password="x" * 16)
            StaffMembership.objects.create(user=user, department=dept, role=Role.CLERK)
            staff.append(user)
        for permission in ("procedures.view", "procedures.process"):
            PermissionGrant.objects.create(department=dept, role=Role.CLERK, permission=permission)
    return staff[0], procedures, staff


def fill(count: int, procedures: list[Procedure], staff: list[User]) -> float:
    rng = random.Random(20261127)
    now = timezone.now()
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    versions = {p.pk: services.published_version(p) for p in procedures}
    started = time.perf_counter()
    batch: list[Application] = []
    for number in range(1, count + 1):
        proc = rng.choice(procedures)
        family, given = rng.randrange(10), rng.randrange(10)
        name = f"{FAMILY[family]} {GIVEN[given]}"
        kana = f"{FAMILY_KANA[family]} {GIVEN_KANA[given]}"
        receipt = f"KMG-2026-{number:06d}"
        submitted = now - dt.timedelta(minutes=rng.randrange(0, 180 * 24 * 60))
        status = rng.choices(statuses, weights)[0]
        members = [s for s in staff if s.memberships.all()[0].department_id == proc.department_id]
        batch.append(
            Application(
                receipt_number=receipt, procedure=proc, form_version=versions[proc.pk],
                department_id=proc.department_id, channel=rng.choice(["online"] * 4 + ["counter"]),
                status=status, data={"name": {"family": FAMILY[family], "given": GIVEN[given]}},
                applicant_name=name,
                search_key="|".join(search_form(p) for p in (receipt, name, kana)),
                assignee=rng.choice(members) if rng.random() < 0.3 else None,
                submitted_at=submitted,
                due_date=(timezone.localtime(submitted) + dt.timedelta(days=14)).date(),
            )
        )  # fmt: skip
        if len(batch) == 2000:
            Application.objects.bulk_create(batch)
            batch = []
    Application.objects.bulk_create(batch)
    return time.perf_counter() - started


def query_mix(procedures: list[Procedure], staff: list[User]) -> list[dict[str, str]]:
    """What staff filter by; each kind once per round."""
    mine = [p for p in procedures if p.department_id == procedures[0].department_id]
    kinds = [
        {},
        {"status": "submitted"},
        {"status": "received", "sort": "-submitted"},
        {"overdue": "on"},
        {"assignee": "mine"},
        {"assignee": "unassigned", "status": "in_review"},
        {"procedure": mine[1].code},
        {"q": "ミヤダ"},
        {"q": "KMG-2026-04"},
        {"sort": "receipt", "page": "40"},
        {"procedure": mine[2].code, "overdue": "on", "sort": "status"},
    ]
    return [kinds[i % len(kinds)] for i in range(QUERIES)]


def measure(user: User, mix: list[dict[str, str]]) -> list[float]:
    timings = []
    for params in mix:
        query = QueryDict(mutable=True)
        query.update(params)
        started = time.perf_counter()
        context = inbox_page(user, query)
        rows = list(context["page"])
        assert len(rows) <= 50 and context["counts"]
        timings.append((time.perf_counter() - started) * 1000)
    return timings


user, procedures, staff = world()
staff = list(User.objects.prefetch_related("memberships").filter(pk__in=[s.pk for s in staff]))
seconds = fill(ARGS.applications, procedures, staff)
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum leaves: visibility map, statistics
print(
    f"database: {connection.vendor}, applications: {Application.objects.count():,} "
    f"(created in {seconds:.1f} s), queries: {QUERIES}"
)
mix = query_mix(procedures, staff)
measure(user, mix[:22])  # warm the caches
timings = measure(user, mix)
print(
    f"inbox p50: {percentile(timings, 0.5):.1f} ms, p95: {percentile(timings, 0.95):.1f} ms, "
    f"max: {max(timings):.1f} ms  (target p95 < 150 ms)"
)
for kind, params in enumerate(mix[:11]):
    mine = timings[kind::11]
    label = " ".join(f"{k}={v}" for k, v in params.items()) or "(no filter)"
    p50, p95 = percentile(mine, 0.5), percentile(mine, 0.95)
    print(f"  {label:<45} p50 {p50:6.1f} ms, p95 {p95:6.1f} ms")
