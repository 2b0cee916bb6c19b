"""CKAN package_search latency with 1,000 public datasets, through the full HTTP stack."""

from __future__ import annotations

import json
import random
import time

from _throwaway import percentile, setup

setup(__doc__)

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from musubi.data.opendata import services  # noqa: E402
from musubi.data.opendata.models import Dataset, Group, Organization  # noqa: E402
from musubi.platform.accounts import services as accounts  # noqa: E402

DATASETS = 1000
QUERIES = 400
TAGS = ["防災", "子育て", "観光", "人口", "財政", "環境", "交通", "医療", "教育", "農業"]
WORDS = ["避難所", "保育園", "観光施設", "人口", "予算", "ごみ", "バス", "病院", "学校", "農地"]


def seed(rng: random.Random) -> None:
    accounts.sync_reference_data()
    services.ensure_organizations()
    organizations = list(Organization.objects.all())
    groups = [
        Group.objects.create(name=f"g{n}", title=f"分類{n}", title_en=f"Group {n}")
        for n in range(5)
    ]
    csv = "名称,緯度,経度\r\n市役所,35.7288,137.9338\r\n".encode()
    for n in range(DATASETS):
        topic = n % len(TAGS)
        fields = services.DatasetFields(
            name=f"dataset-{n:04d}",
            title=f"{WORDS[topic]}一覧 {n}",
            description=f"{WORDS[topic]}に関するデータ（{n}件目）。",
            tags=[TAGS[topic], TAGS[(topic + 3) % len(TAGS)]],
            frequency=rng.choice(["monthly", "annual", "irregular"]),
            groups=[groups[n % len(groups)]],
        )
        dataset = services.save_dataset(fields, organization=rng.choice(organizations))
        services.add_upload(dataset, name="CSV", filename=f"d{n}.csv", data=csv)


def query_mix(rng: random.Random) -> list[dict[str, str]]:
    facets = json.dumps(["organization", "tags", "res_format", "groups"])
    mix = []
    for index in range(QUERIES):
        kind = index % 4
        if kind == 0:
            mix.append({"q": rng.choice(WORDS), "rows": "10"})
        elif kind == 1:
            mix.append({"fq": f'tags:"{rng.choice(TAGS)}"', "facet.field": facets})
        elif kind == 2:
            mix.append({"q": "*:*", "sort": "metadata_modified desc", "start": "500"})
        else:
            mix.append({"q": rng.choice(WORDS), "fq": "res_format:CSV", "facet.field": facets})
    return mix


rng = random.Random(202100)
started = time.perf_counter()
seed(rng)
print(f"seeded {Dataset.objects.count():,} datasets in {time.perf_counter() - started:.1f} s")
client = Client(HTTP_HOST="localhost")
assert client.get("/api/3/action/package_search").status_code == 200  # builds the index
timings = []
for params in query_mix(rng):
    started = time.perf_counter()
    response = client.get("/api/3/action/package_search", params)
    assert response.status_code == 200, response.content[:200]
    timings.append((time.perf_counter() - started) * 1000)
print(f"database: {connection.vendor}, datasets: {DATASETS:,}, queries: {QUERIES}")
print(
    f"package_search p50: {percentile(timings, 0.5):.1f} ms, "
    f"p95: {percentile(timings, 0.95):.1f} ms, max: {max(timings):.1f} ms  (target p95 < 100 ms)"
)
for kind in range(4):
    mine = timings[kind::4]
    print(f"  kind {kind}: p50 {percentile(mine, 0.5):.1f} ms, p95 {percentile(mine, 0.95):.1f} ms")
