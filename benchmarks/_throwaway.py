"""Shared set-up for the benchmarks: a throwaway database, migrated, with Django ready."""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(
    description: str, options: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """Parse ``--database-url`` (and what ``options`` adds); point Musubi at a temp SQLite
    file (or that URL) and migrate.

    A given URL must name an empty database you can throw away: the benchmark fills it.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--database-url", default="", help="empty throwaway database (default: temp SQLite)"
    )
    if options:
        options(parser)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="musubi-bench-")
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    os.environ["MUSUBI_DATA_DIR"] = workdir
    os.environ["MUSUBI_DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musubi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from musubi.platform.residents import demo

    demo.clear()
    args.workdir = Path(workdir)
    return args


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
