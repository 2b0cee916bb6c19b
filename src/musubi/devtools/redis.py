"""A throwaway redis-server for tests: real, on loopback, gone afterwards."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from musubi.devtools.packages import Unavailable, apt_install, free_port


def ensure_installed() -> str:
    """Path of redis-server, installing Debian's package when running as root."""
    found = shutil.which("redis-server") or apt_install("redis-server", provides="redis-server")
    if not found:
        raise Unavailable("redis-server is not installed (apt-get install redis-server)")
    return found


@contextmanager
def running_server() -> Iterator[str]:
    """Start redis-server without persistence; yield its URL; stop it."""
    binary = ensure_installed()
    workdir = Path(tempfile.mkdtemp(prefix="musubi-redis-"))
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*args, "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    try:
        _wait_for(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Unavailable(f"redis-server exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise Unavailable("redis-server did not start listening in time")
