"""``musubi manage catalogue export FILE`` / ``import FILE [--dry-run] [--publish]``.

YAML unless the file name ends in ``.json``. An import with any problem writes nothing and
lists every problem (procedure code: what is wrong).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from musubi.citizen.procedures import services


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CommandError(
            f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from exc


def _write(path: Path, data: dict[str, Any]) -> None:
    if path.suffix == ".json":
        text = json.dumps(data, ensure_ascii=False, indent=1)
    else:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(text, encoding="utf-8")


class Command(BaseCommand):
    help = "Export or import the procedure catalogue (YAML or JSON, stable procedure codes)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write every procedure and its current form.")
        export.add_argument("file", type=Path)
        load = sub.add_parser("import", help="Create or update procedures by code.")
        load.add_argument("file", type=Path)
        load.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        load.add_argument("--publish", action="store_true", help="Publish new form versions.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if options["action"] == "export":
            catalogue = services.export_catalogue()
            _write(path, catalogue)
            self.stdout.write(f"Exported {len(catalogue['procedures'])} procedures to {path}.")
            return
        report = services.import_catalogue(
            _read(path), dry_run=options["dry_run"], publish=options["publish"]
        )
        if not report.ok:
            raise CommandError("\n".join(["Nothing imported:", *report.errors]))
        prefix = "Dry run, nothing written: " if report.dry_run else ""
        self.stdout.write(
            f"{prefix}{len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.new_versions)} new form versions, "
            f"{len(report.published)} published."
        )
