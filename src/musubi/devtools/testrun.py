"""``musubi test``: every leg of the suite, with one verdict at the end.

Legs that need something this machine lacks (PostgreSQL, Chromium) are installed
with apt when running as root; otherwise they are skipped with a warning, or fail
under ``--all`` (which CI uses), so a green CI run always means every leg ran.

The quick checks run first, one after another. The pytest legs take minutes each and keep
about one core busy while their peers (PostgreSQL, Chromium, SMTP, OIDC) wait on the other, so
``--jobs`` of them (default 2) run side by side, each with its own data directory and its own
log, printed whole when the leg ends. Everything they install is installed before any starts,
since two apt-get runs at once would fight over dpkg's lock.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

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


def _run(cmd: list[str], env: dict[str, str] | None = None, out: IO[str] | None = None) -> int:
    print(f"$ {' '.join(cmd)}", file=out or sys.stdout, flush=True)
    done = subprocess.run(
        cmd, cwd=ROOT, env=env or _env(), stdout=out, stderr=out and subprocess.STDOUT, check=False
    )
    return done.returncode


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
    cmd = [PY, "-m", "pytest", "-m", marker, "-q", "-p", "no:randomly", *ctx.pytest_args]
    code = _run(cmd, env, ctx.out)
    if code == 5:
        print(f"pytest collected no test for -m '{marker}': that is a failure", file=ctx.out)
        return 1
    return code


def leg_sqlite(ctx: Context) -> int:
    return _pytest(ctx, "not browser", ctx.env)


def leg_postgres(ctx: Context) -> int:
    try:
        with postgres.running_server() as url:
            return _pytest(ctx, "not browser", {**ctx.env, "MUSUBI_DATABASE_URL": url})
    except Unavailable as exc:
        raise CannotRun(str(exc)) from exc


def leg_browser(ctx: Context) -> int:
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
    out: IO[str] | None = None  # a side-by-side leg's log; None: this terminal


LEGS: dict[str, Callable[[Context], int]] = {
    "ruff": leg_ruff,
    "migrations": leg_migrations,
    "config-docs": leg_config_docs,
    "openapi": leg_openapi,
    "sqlite": leg_sqlite,
    "postgres": leg_postgres,
    "browser": leg_browser,
}


#: What each side-by-side leg needs installed; installed one after another before any starts.
PREREQUISITES: dict[str, list[Callable[[], Any]]] = {
    "sqlite": [redis.ensure_installed],
    "postgres": [redis.ensure_installed, postgres.ensure_installed],
    "browser": [_chromium],
}
PRINTING = threading.Lock()


def _prepare(name: str) -> None:
    """Install what leg ``name`` needs; CannotRun when it cannot be had here."""
    for prerequisite in PREREQUISITES.get(name, []):
        _needs(prerequisite)


def _run_leg(name: str, ctx: Context, strict: bool, *, prepared: bool = False) -> Outcome:
    print(f"\n=== test leg: {name} ===", file=ctx.out or sys.stdout, flush=True)
    started = time.perf_counter()
    try:
        if not prepared:
            _prepare(name)
        code = LEGS[name](ctx)
        status, note = ("passed", "") if code == 0 else ("failed", f"exit {code}")
    except CannotRun as exc:
        status, note = ("failed" if strict else "skipped"), str(exc)
    return Outcome(name, status, time.perf_counter() - started, note)


def _side_by_side(names: list[str], ctx: Context, args: argparse.Namespace) -> list[Outcome]:
    """Run ``names`` ``args.jobs`` at a time; a leg whose prerequisite is missing never starts."""
    ready, outcomes = [], {}
    for name in names:
        try:
            _prepare(name)
            ready.append(name)
        except CannotRun as exc:
            outcomes[name] = Outcome(name, "failed" if args.all else "skipped", 0.0, str(exc))
    print(f"\n=== side by side ({args.jobs} at a time): {', '.join(ready)} ===", flush=True)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for outcome in pool.map(lambda name: _logged_leg(name, ctx, args.all), ready):
            outcomes[outcome.leg] = outcome
    return [outcomes[name] for name in names]


def _logged_leg(name: str, ctx: Context, strict: bool) -> Outcome:
    """One leg with its own data directory and log; the log is printed whole at its end."""
    data = ctx.tmp / name
    log = ctx.tmp / f"{name}.log"
    with log.open("w+") as out:
        own = replace(ctx, env={**ctx.env, "MUSUBI_DATA_DIR": str(data / "var")}, out=out)
        outcome = _run_leg(name, own, strict, prepared=True)
        out.seek(0)
        ended = f"--- {name}: {outcome.status} in {outcome.seconds:.0f}s"
        with PRINTING:
            print(out.read() + ended, flush=True)
    return outcome


def main(args: argparse.Namespace) -> int:
    unknown = set(args.leg or []) - set(LEGS)
    if unknown:
        print(f"unknown leg(s): {', '.join(sorted(unknown))}; choose from {', '.join(LEGS)}")
        return 2
    chosen = args.leg or list(LEGS)
    with tempfile.TemporaryDirectory(prefix="musubi-test-") as tmp:
        ctx = Context(Path(tmp), _env(MUSUBI_DATA_DIR=str(Path(tmp) / "var")), args.pytest_args)
        outcomes = [_run_leg(n, ctx, args.all) for n in chosen if n not in PREREQUISITES]
        heavy = [n for n in chosen if n in PREREQUISITES]
        if args.jobs > 1 and len(heavy) > 1:
            outcomes += _side_by_side(heavy, ctx, args)
        else:
            outcomes += [_run_leg(n, ctx, args.all) for n in heavy]
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
