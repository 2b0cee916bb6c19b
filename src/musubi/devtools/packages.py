"""Installing the Debian packages a test leg needs, when we are root and apt exists."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

_UPDATED = False


class Unavailable(RuntimeError):
    """Something a test leg needs cannot be run here (and could not be installed)."""


def apt_install(*packages: str, provides: str) -> str | None:
    """Install ``packages`` as root; return the path of ``provides`` if it now exists."""
    global _UPDATED
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    print(f"test: installing Debian's {' '.join(packages)} (as root)", flush=True)
    if not _UPDATED:
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        _UPDATED = True
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *packages],
        check=False,
        capture_output=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which(provides) or (provides if os.path.exists(provides) else None)


def free_port() -> int:
    """A loopback TCP port nothing listens on right now, for a throwaway server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
