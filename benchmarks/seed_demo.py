"""How long generating the demo registry takes (target: < 60 s)."""

from __future__ import annotations

import time

from _throwaway import setup

setup(__doc__)

from django.db import connection  # noqa: E402

from musubi.platform.residents import demo  # noqa: E402

started = time.perf_counter()
counts = demo.generate(seed=202100)
elapsed = time.perf_counter() - started
print(f"database: {connection.vendor}")
print("generated: " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
print(f"seed-demo (registry) duration: {elapsed:.1f} s  (target < 60 s)")
