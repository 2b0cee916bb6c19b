"""``musubi manage import_residents FILE [--dry-run]``: import the registry CSV with progress."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from musubi.platform.residents import importers

BAR_WIDTH = 30


def progress_bar(stream=sys.stderr):
    """A progress callback drawing ``[#####-----]  50%  500/1,000`` in place on ``stream``."""

    def draw(done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = int(BAR_WIDTH * share)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        stream.write(f"\r[{bar}] {share:4.0%}  {done:,}/{total:,}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return draw


class Command(BaseCommand):
    help = "Import residents from a CSV file in the registry layout (docs/registry-csv.md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        result = importers.import_csv(data, dry_run=dry_run, progress=progress_bar(self.stderr))
        for error in result.errors:
            column = error.column or "-"
            self.stdout.write(f"{error.line}\t{column}\t{error.message_ja}\t{error.message_en}")
        if result.errors:
            raise CommandError(
                f"{len(result.errors)} error(s); nothing was imported / "
                f"{len(result.errors)}件の誤りがあります。何も登録していません。"
            )
        verb = "would import" if dry_run else "imported"
        counts = result.counts
        self.stdout.write(
            f"{verb} {counts['residents']:,} residents in {counts['households']:,} households"
        )
