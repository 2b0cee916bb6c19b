"""``musubi manage export_residents FILE [--encoding utf-8|cp932]``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from musubi.platform.residents import exporters


class Command(BaseCommand):
    help = "Export living residents as CSV in the registry layout (docs/registry-csv.md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--encoding", choices=exporters.ENCODINGS, default="utf-8")

    def handle(self, *args, file: Path, encoding: str, **options) -> None:
        partial = file.with_name(file.name + ".partial")
        try:
            with partial.open("wb") as stream:
                count = exporters.write_csv(stream, encoding)
        except exporters.ExportError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"cannot write {file}: {exc.strerror}") from exc
        partial.replace(file)
        self.stdout.write(f"exported {count:,} residents to {file} ({encoding})")
