"""Demo catalogue: the 16 departments as organisations, themes, and a handful of datasets.

The 地域・年齢別人口 and オープンデータ一覧 datasets are generated live from the demo registry
and catalogue, 指定緊急避難場所一覧 from the maps app's demo shelters layer (when it is
there); the others carry small synthetic CSV files, labelled synthetic in their title.
Everything goes through ``services``, the same write path staff use.
"""

from __future__ import annotations

import json
from pathlib import Path

from musubi.data.maps import services as maps
from musubi.data.opendata import services
from musubi.data.opendata.models import Dataset, Group, Organization

DEMO = Path(__file__).resolve().parent / "data" / "demo.json"


def clear() -> None:
    Dataset.objects.all().delete()
    Group.objects.all().delete()
    Organization.objects.all().delete()


def _groups(rows: list[dict]) -> dict[str, Group]:
    return {
        row["name"]: Group.objects.update_or_create(name=row["name"], defaults=row)[0]
        for row in rows
    }


def _dataset(row: dict, groups: dict[str, Group]) -> None:
    if "layer" in row and not maps.public_layers().filter(code=row["layer"]).exists():
        return
    fields = services.DatasetFields(
        name=row["name"],
        title=row["title"],
        title_en=row["title_en"],
        description=row["description"],
        description_en=row["description_en"],
        tags=row["tags"],
        frequency=row["frequency"],
        groups=[groups[g] for g in row["groups"]],
        standard_number=row.get("standard_number", ""),
    )
    organization = Organization.objects.get(name=row["organization"])
    dataset = services.save_dataset(fields, organization=organization)
    if "generator" in row:
        services.add_generated(dataset, generator=row["generator"], name=row["resource"])
    else:
        data = row["csv"].encode("utf-8")
        services.add_upload(dataset, name=row["resource"], filename=f"{row['name']}.csv", data=data)


def seed() -> dict[str, int]:
    """Create the demo catalogue unless datasets already exist."""
    services.ensure_organizations()
    if Dataset.objects.exists():
        return {}
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    groups = _groups(demo["groups"])
    for row in demo["datasets"]:
        _dataset(row, groups)
    return {"open datasets": Dataset.objects.count()}
