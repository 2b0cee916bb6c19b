"""Import a GeoJSON, CSV or zipped Shapefile into a map layer from the command line."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from musubi.data.maps import importers, services
from musubi.data.maps.models import Layer


class Command(BaseCommand):
    help = "Import a file into a map layer: all features or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("layer", help="layer code")
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=importers.FORMATS, help="default: by extension")
        parser.add_argument("--replace", action="store_true", help="replace current features")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")

    def handle(self, *args, **options) -> None:
        try:
            layer = Layer.objects.get(code=options["layer"])
        except Layer.DoesNotExist as exc:
            raise CommandError(f"no layer with code {options['layer']!r}") from exc
        path: Path = options["path"]
        fmt = options["format"] or importers.guess_format(path.name)
        if fmt is None:
            raise CommandError(f"cannot tell the format of {path.name}; pass --format")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        report = services.import_features(
            layer, data, fmt, replace=options["replace"], dry_run=options["dry_run"]
        )
        if not report.ok:
            raise CommandError("nothing imported:\n" + "\n".join(report.problems))
        if report.transformed_from:
            self.stdout.write(f"transformed from {report.transformed_from} to WGS84")
        verb = "would import" if report.dry_run else "imported"
        self.stdout.write(f"{verb} {report.count} features into {layer.code}")
