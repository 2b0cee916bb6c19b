"""CSV import speed: export the demo registry, then re-import it into an empty registry."""

from __future__ import annotations

import io
import time

from _throwaway import setup

setup(__doc__)

from django.db import connection  # noqa: E402

from musubi.platform.residents import demo, exporters, importers  # noqa: E402

demo.generate(seed=202100)
buffer = io.BytesIO()
exported = exporters.write_csv(buffer, "utf-8")
demo.clear()

started = time.perf_counter()
checked = importers.check(buffer.getvalue())
checked_at = time.perf_counter()
assert not checked.errors, checked.errors[:5]
importers.write_rows(checked.rows)
finished = time.perf_counter()
total = finished - started
print(f"database: {connection.vendor}")
print(f"rows: {exported:,} ({len(buffer.getvalue()) / 1e6:.1f} MB UTF-8)")
print(f"check: {checked_at - started:.2f} s, write: {finished - checked_at:.2f} s")
print(f"import: {exported / total:,.0f} rows/s  (target >= 5,000)")
