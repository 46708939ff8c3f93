"""`python -m core.analytics.rebuild_worker FILE NOW GENERATION EPOCH` (database URL on stdin):
build a complete analytics snapshot of the store into the new DuckDB file FILE; print a JSON line.

Started by core.analytics.sync for large SQLite stores. A process of its own so that ADBC's
bundled SQLite library (about 6x faster than sqlite3 row tuples for a whole-store read) never
shares a process with Python's sqlite3 on the same file (see core.analytics.source.open_source).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb

from core.analytics.batches import read_full_parallel
from core.analytics.source import duckdb_canonical
from core.analytics.sync import build_snapshot_file, safe_url
from core.config import parse_database_url


def main() -> int:
    path, now_raw, generation, epoch = sys.argv[1:5]
    database_url = sys.stdin.read().strip()
    started = time.perf_counter()
    now = datetime.fromisoformat(now_raw)
    caster = duckdb.connect()
    caster.execute("SET TimeZone = 'UTC'")
    batch = read_full_parallel(database_url, lambda: duckdb_canonical(caster.cursor()))
    caster.close()
    read_ms = (time.perf_counter() - started) * 1000
    write_timings: dict[str, float] = {}
    orders_total, watermark = build_snapshot_file(
        Path(path),
        batch,
        now=now,
        generation=int(generation),
        epoch=int(epoch),
        backend=parse_database_url(database_url).get_backend_name(),
        source_url=safe_url(database_url),
        started=started,
        timings=write_timings,
    )
    print(
        json.dumps(
            {
                "orders": batch.orders.num_rows,
                "lines": batch.items.num_rows,
                "payouts": batch.payouts.num_rows,
                "orders_total": orders_total,
                "watermark": watermark.isoformat() if watermark else None,
                "read_ms": round(read_ms, 1),
                "read_timings_ms": batch.timings_ms,
                "write_timings_ms": write_timings,
                "write_ms": round((time.perf_counter() - started) * 1000 - read_ms, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
