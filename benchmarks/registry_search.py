"""Registry search latency over the demo data, through the service the staff page uses."""

from __future__ import annotations

import random
import time

from _throwaway import percentile, setup

setup(__doc__)

import unicodedata  # noqa: E402

from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402

from musubi.platform.residents import demo  # noqa: E402
from musubi.platform.residents.models import District, Resident  # noqa: E402
from musubi.platform.residents.search import Criteria, search_residents  # noqa: E402
from musubi.platform.residents.views import PAGE_SIZE  # noqa: E402

QUERIES = 400


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def query_mix(rng: random.Random) -> list[Criteria]:
    """Names (kanji part, hiragana kana prefix, half-width kana), birthdates, 区, and mixes."""
    people = list(Resident.objects.order_by("?")[:200].select_related("household"))
    districts = list(District.objects.all())
    mix = []
    for index in range(QUERIES):
        r = people[index % len(people)]
        kind = index % 6
        if kind == 0:
            mix.append(Criteria(name=r.family_name))
        elif kind == 1:
            mix.append(Criteria(name=to_hiragana(r.family_name_kana + r.given_name_kana[:2])))
        elif kind == 2:
            mix.append(Criteria(name=unicodedata.normalize("NFKC", r.given_name_kana)))
        elif kind == 3:
            mix.append(Criteria(birthdate=r.birthdate))
        elif kind == 4:
            mix.append(Criteria(district=rng.choice(districts), status="active"))
        else:
            mix.append(Criteria(name=r.family_name_kana[:2], district=r.household.district))
    return mix


demo.generate(seed=202100)
rng = random.Random(1)
timings = []
for criteria in query_mix(rng):
    started = time.perf_counter()
    page = Paginator(search_residents(criteria), PAGE_SIZE).get_page(1)
    list(page)
    timings.append((time.perf_counter() - started) * 1000)
print(f"database: {connection.vendor}, residents: {Resident.objects.count():,}, queries: {QUERIES}")
print(
    f"search p50: {percentile(timings, 0.5):.1f} ms, p95: {percentile(timings, 0.95):.1f} ms, "
    f"max: {max(timings):.1f} ms  (target p95 < 50 ms)"
)
for kind in range(6):
    mine = timings[kind::6]
    print(f"  kind {kind}: p50 {percentile(mine, 0.5):.1f} ms, p95 {percentile(mine, 0.95):.1f} ms")
