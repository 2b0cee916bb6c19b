"""A throwaway PostgreSQL server for the test suite: real, local, and gone afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from musubi.devtools.packages import Unavailable, apt_install, free_port

__all__ = ["Unavailable", "running_server"]


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


def ensure_installed() -> Path:
    """The server binaries' directory, installing Debian's package when running as root."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        apt_install("postgresql", provides="pg_ctlcluster")
        bin_dir = _bin_dir()
    if bin_dir is None:
        raise Unavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
    return bin_dir


@contextmanager
def running_server() -> Iterator[str]:
    """Start PostgreSQL in a temporary directory; yield its database URL; stop it."""
    bin_dir = ensure_installed()
    owner = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="musubi-pg-"))
    data = root / "data"
    if owner:
        shutil.chown(root, owner)
    port = free_port()
    run = lambda *cmd: subprocess.run(_as_owner(list(cmd), owner), check=True, capture_output=True)  # noqa: E731
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8")  # fmt: skip
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "start",
            "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")  # fmt: skip
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(f"PostgreSQL did not start: {exc.stderr.decode()} {log}") from exc
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], owner),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
