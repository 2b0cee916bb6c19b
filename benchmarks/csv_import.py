"""CSV import speed: export the demo registry, then re-import it into an empty registry."""

from __future__ import annotations

import io
import statistics
import time

from _throwaway import setup

args = setup(
    __doc__,
    lambda parser: parser.add_argument(
        "--repeat", type=int, default=1, help="imports to time (emptied in between); median shown"
    ),
)

from django.db import connection  # noqa: E402

from musubi.platform.residents import demo, exporters, importers  # noqa: E402

demo.generate(seed=202100)
buffer = io.BytesIO()
exported = exporters.write_csv(buffer, "utf-8")
data = buffer.getvalue()
print(f"database: {connection.vendor}")
print(f"rows: {exported:,} ({len(data) / 1e6:.1f} MB UTF-8)")

rates = []
for run in range(1, max(1, args.repeat) + 1):
    demo.clear()
    started = time.perf_counter()
    checked = importers.check(data)
    checked_at = time.perf_counter()
    assert not checked.errors, checked.errors[:5]
    importers.write_rows(checked.rows)
    finished = time.perf_counter()
    rates.append(exported / (finished - started))
    print(
        f"run {run}: check {checked_at - started:.2f} s, write {finished - checked_at:.2f} s, "
        f"{rates[-1]:,.0f} rows/s"
    )
print(f"import: {statistics.median(rates):,.0f} rows/s median of {len(rates)}  (target >= 5,000)")
