"""Demo layers for the synthetic Komagane, loaded through the real importer from data/ files.

Going through ``services.import_features`` means the shipped files are checked exactly as an
operator's would be; a broken demo file fails loudly instead of seeding bad geometry.
"""

from __future__ import annotations

import json
from pathlib import Path

from musubi.data.maps import importers, services
from musubi.data.maps.models import Layer
from musubi.platform.accounts.models import Department

DATA = Path(__file__).resolve().parent / "data"
FIELDS = (
    "name", "name_en", "legend", "legend_en", "colour", "marker", "synthetic",
    "source_note", "source_note_en", "visibility", "geometry_type",
)  # fmt: skip


def definitions() -> list[dict]:
    return json.loads((DATA / "layers.json").read_text(encoding="utf-8"))["layers"]


def _layer(definition: dict) -> Layer:
    department, _ = Department.objects.get_or_create(
        code=definition["department"], defaults={"name": definition["department"]}
    )
    values = {key: definition[key] for key in FIELDS}
    layer, _ = Layer.objects.update_or_create(
        code=definition["code"], defaults={**values, "department": department}
    )
    return layer


def seed() -> dict[str, int]:
    """Create each demo layer and load its file; layers that already have features are kept."""
    layers = features = 0
    for definition in definitions():
        layer = _layer(definition)
        layers += 1
        if layer.features.exists():
            continue
        path = DATA / definition["file"]
        report = services.import_features(
            layer, path.read_bytes(), importers.guess_format(path.name)
        )
        if not report.ok:
            raise RuntimeError(f"demo layer {layer.code} does not load: {report.problems}")
        features += report.count
    return {"map layers": layers, "map features": features}


def clear() -> None:
    Layer.objects.filter(code__in=[d["code"] for d in definitions()]).delete()
