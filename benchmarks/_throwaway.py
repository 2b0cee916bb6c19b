"""Shared set-up for the benchmarks: a throwaway database, migrated, with Django ready."""

from __future__ import annotations

import argparse
import atexit
import contextlib
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
    """Parse ``--database-url`` / ``--postgres`` (and what ``options`` adds); point Musubi at
    a temp SQLite file (or that database) and migrate.

    A given URL must name an empty database you can throw away: the benchmark fills it.
    ``--postgres`` starts a PostgreSQL server of its own for this run and stops it at exit, so
    runs never meet each other's fixtures (every benchmark creates its department "bench").
    """
    parser = argparse.ArgumentParser(description=description)
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--database-url", default="", help="empty throwaway database (default: temp SQLite)"
    )
    target.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL server for this run"
    )
    if options:
        options(parser)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="musubi-bench-")
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    sys.path.insert(0, str(ROOT / "src"))
    if args.postgres:
        args.database_url = _throwaway_postgres()
    os.environ["MUSUBI_DATA_DIR"] = workdir
    os.environ["MUSUBI_DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musubi.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from musubi.platform.residents import demo

    demo.clear()
    args.workdir = Path(workdir)
    return args


def _throwaway_postgres() -> str:
    """Start a PostgreSQL server (``musubi.devtools.postgres``) that lives until this process
    exits; its URL. Django's connections are closed first, or the server would wait for them."""
    from musubi.devtools import postgres

    server = contextlib.ExitStack()
    url = server.enter_context(postgres.running_server())

    def stop() -> None:
        from django.db import connections

        connections.close_all()
        server.close()

    atexit.register(stop)
    return url


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
