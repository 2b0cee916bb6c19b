"""``musubi test``: every leg of the suite, in order, with one verdict at the end.

Legs that need something this machine lacks (PostgreSQL, Chromium) are installed
with apt when running as root; otherwise they are skipped with a warning, or fail
under ``--all`` (which CI uses), so a green CI run always means every leg ran.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from musubi.devtools import postgres, redis
from musubi.devtools.packages import Unavailable, apt_install

ROOT = Path(__file__).resolve().parents[3]
PY = sys.executable


class CannotRun(RuntimeError):
    """A leg's prerequisite is missing on this machine."""


@dataclass
class Outcome:
    leg: str
    status: str  # passed, failed, skipped
    seconds: float
    note: str = ""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUSUBI_")}
    env.update(DJANGO_SETTINGS_MODULE="musubi.settings", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def _run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    print(f"$ {' '.join(cmd)}", flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env or _env(), check=False).returncode


def _manage(*args: str, env: dict[str, str] | None = None) -> int:
    return _run([PY, "-m", "musubi.cli", "manage", *args], env)


def leg_ruff(ctx: Context) -> int:
    paths = ["src", "tests", "benchmarks"]
    ruff = str(Path(PY).with_name("ruff"))
    return _run([ruff, "check", *paths]) or _run([ruff, "format", "--check", *paths])


def leg_migrations(ctx: Context) -> int:
    return _manage("makemigrations", "--check", "--dry-run", env=ctx.env)


def leg_config_docs(ctx: Context) -> int:
    return _compare(
        ROOT / "docs" / "configuration.md",
        [PY, "-m", "musubi.cli", "config-docs", "--stdout"],
        "./musubi config-docs",
        ctx,
    )


def leg_openapi(ctx: Context) -> int:
    fresh = ctx.tmp / "openapi.yaml"
    code = _manage("spectacular", "--validate", "--fail-on-warn", "--file", str(fresh), env=ctx.env)
    if code:
        return code
    return _diff(
        ROOT / "openapi.yaml", fresh.read_text(), "./musubi manage spectacular --file openapi.yaml"
    )


def _compare(committed: Path, cmd: list[str], fix: str, ctx: Context) -> int:
    made = subprocess.run(cmd, cwd=ROOT, env=ctx.env, capture_output=True, text=True, check=False)
    if made.returncode:
        print(made.stdout, made.stderr)
        return made.returncode
    return _diff(committed, made.stdout, fix)


def _diff(committed: Path, fresh: str, fix: str) -> int:
    current = committed.read_text() if committed.exists() else ""
    if current == fresh:
        print(f"{committed.name} is current")
        return 0
    diff = difflib.unified_diff(
        current.splitlines(), fresh.splitlines(), "committed", "generated", lineterm=""
    )
    print("\n".join(list(diff)[:80]))
    print(f"{committed.relative_to(ROOT)} is out of date: run `{fix}` and commit it")
    return 1


def _pytest(ctx: Context, marker: str, env: dict[str, str]) -> int:
    code = _run(
        [PY, "-m", "pytest", "-m", marker, "-q", "-p", "no:randomly", *ctx.pytest_args], env
    )
    if code == 5:
        print(f"pytest collected no test for -m '{marker}': that is a failure, not a pass")
        return 1
    return code


def leg_sqlite(ctx: Context) -> int:
    _needs(redis.ensure_installed)
    return _pytest(ctx, "not browser", ctx.env)


def leg_postgres(ctx: Context) -> int:
    _needs(redis.ensure_installed)
    try:
        with postgres.running_server() as url:
            return _pytest(ctx, "not browser", {**ctx.env, "MUSUBI_DATABASE_URL": url})
    except Unavailable as exc:
        raise CannotRun(str(exc)) from exc


def leg_browser(ctx: Context) -> int:
    _needs(_chromium)
    return _pytest(ctx, "browser", ctx.env)


def _needs(prerequisite: Callable[[], Any]) -> Any:
    """Call ``prerequisite``; a missing tool becomes CannotRun (skip, or fail under --all)."""
    try:
        return prerequisite()
    except Unavailable as exc:
        raise CannotRun(str(exc)) from exc


def _chromium() -> None:
    fonts = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if Path("/usr/bin/chromium").exists() and fonts.exists():
        return
    if not apt_install("chromium", "fonts-noto-cjk", provides="/usr/bin/chromium"):
        raise Unavailable("Debian's chromium is missing (apt-get install chromium fonts-noto-cjk)")


@dataclass
class Context:
    tmp: Path
    env: dict[str, str]
    pytest_args: list[str]


LEGS: dict[str, Callable[[Context], int]] = {
    "ruff": leg_ruff,
    "migrations": leg_migrations,
    "config-docs": leg_config_docs,
    "openapi": leg_openapi,
    "sqlite": leg_sqlite,
    "postgres": leg_postgres,
    "browser": leg_browser,
}


def _run_leg(name: str, ctx: Context, strict: bool) -> Outcome:
    print(f"\n=== test leg: {name} ===", flush=True)
    started = time.perf_counter()
    try:
        code = LEGS[name](ctx)
        status, note = ("passed", "") if code == 0 else ("failed", f"exit {code}")
    except CannotRun as exc:
        status, note = ("failed" if strict else "skipped"), str(exc)
    return Outcome(name, status, time.perf_counter() - started, note)


def main(args: argparse.Namespace) -> int:
    unknown = set(args.leg or []) - set(LEGS)
    if unknown:
        print(f"unknown leg(s): {', '.join(sorted(unknown))}; choose from {', '.join(LEGS)}")
        return 2
    chosen = args.leg or list(LEGS)
    with tempfile.TemporaryDirectory(prefix="musubi-test-") as tmp:
        ctx = Context(Path(tmp), _env(MUSUBI_DATA_DIR=str(Path(tmp) / "var")), args.pytest_args)
        outcomes = [_run_leg(name, ctx, args.all) for name in chosen]
    return _report(outcomes)


def _report(outcomes: list[Outcome]) -> int:
    print("\n=== summary ===")
    for o in outcomes:
        print(f"{o.leg:12} {o.status:8} {o.seconds:7.1f}s {o.note}")
    passed = sum(o.status == "passed" for o in outcomes)
    failed = sum(o.status == "failed" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    if skipped:
        print("warning: some legs were skipped; `musubi test --all` makes that a failure")
    print(f"legs: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0
