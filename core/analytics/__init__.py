"""Analytics for the dashboard and the transaction history: a DuckDB copy of the store.

- `snapshots`: the files on disk (two slots, a pointer, a writer lock) and the read-only views of them;
- `source`: reading the transactional store as Arrow (PostgreSQL through ADBC, SQLite through sqlite3);
- `sync`: the single writer — incremental sync, full rebuild, and the scheduler's rule;
- `rebuild_worker`: a full rebuild of a large SQLite store, in a process of its own (ADBC);
- `queries`: the dashboard and history figures, always for one company;
- `export`: the CSV export of the filtered history.

The UI's "Refresh now" runs the writer as a process of its own (app/analytics_refresh.py).
"""
