"""Where file contents live: a small interface, with local disk as the one backend for now.

Contents are stored under random keys (never the uploaded name) below
``settings.MEDIA_ROOT``, which lies in the data directory, outside every static or web
root: nothing there is reachable except through the ``files:serve`` view. Writes go to a
temporary file in the target directory and are renamed into place, so a crash never leaves
a half-written file under a real key. An S3-compatible backend implements the same four
methods.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Protocol

from django.conf import settings


class Storage(Protocol):
    def save(self, data: bytes) -> str: ...
    def read(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """Files at ``root/ab/cd/<key>``, mode 0600, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) != 32 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def save(self, data: bytes) -> str:
        key = secrets.token_hex(16)
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def default_storage() -> Storage:
    return LocalStorage(Path(settings.MEDIA_ROOT))
