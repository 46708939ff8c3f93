"""Analytics for the dashboard and the transaction history: a DuckDB copy of the store.

- `snapshots`: the files on disk (two slots, a pointer, a writer lock) and the read-only views of them;
- `source`: reading one table of the transactional store as Arrow in the canonical schema (ADBC, sqlite3);
- `batches`: what one sync reads from the store (the changes since a bound, or the whole store);
- `tables`: the snapshot's tables (DDL) and how a batch goes into them;
- `sync`: the single writer — incremental sync, full rebuild, and the scheduler's rule;
- `reader_process`: large incremental reads of a SQLite store, in a long-lived process of its own (ADBC);
- `rebuild_worker`: a full rebuild of a large SQLite store, in a process of its own (ADBC);
- `scope`: what the figures share: who may read them, the period, one company's (warehouse's) rows;
- `dashboard`: the dashboard's figures, always for one company;
- `history`: the transaction history (filtered, totalled, paged), always for one company;
- `export`: the CSV export of the filtered history.

The UI's "Refresh now" runs the writer as a process of its own (app/analytics_refresh.py).
"""
