"""Reading one table of the transactional store as Arrow, in the canonical schema the sync uses.

The extension-free path: DuckDB 2.0.1 cannot load its sqlite/postgres scanners offline, so rows
are read with ADBC (`adbc-driver-postgresql`, and `adbc-driver-sqlite` in the rebuild worker:
Arrow straight out of the driver, no Python objects per row) or, for SQLite in a process that
also writes the store, with Python's sqlite3 as one quoted text line per row that Arrow's CSV
reader parses; either way DuckDB gets Arrow. Both backends return the same
canonical schema (`SCHEMAS`): int64 ids and amounts, strings, and timestamps as naive
`timestamp[us]` holding UTC.

Every read of one sync happens in one read-only transaction (`open_source`), so the tables agree
with each other: SQLite (WAL) keeps one snapshot for a deferred read transaction; PostgreSQL is
asked for REPEATABLE READ. Nothing here writes to the store. Which rows a sync reads is
core.analytics.batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

if TYPE_CHECKING:
    import adbc_driver_manager.dbapi

TS = pa.timestamp("us")

#: The canonical columns of each table the sync reads, and their Arrow types: what the figures
#: use, nothing more (each timestamp column costs about a tenth of a full read).
SCHEMAS: dict[str, pa.Schema] = {
    "orders": pa.schema(
        [
            ("id", pa.int64()),
            ("order_number", pa.string()),
            ("company_id", pa.int64()),
            ("warehouse_id", pa.int64()),
            ("buyer_id", pa.int64()),
            ("status", pa.string()),
            ("total_amount", pa.int64()),
            ("item_count", pa.int64()),
            ("placed_at", TS),
            ("accepted_at", TS),
            ("packed_at", TS),
            ("shipped_at", TS),
            ("delivered_at", TS),
            ("completed_at", TS),
            ("confirm_deadline", TS),
            ("pack_deadline", TS),
            ("delivery_deadline", TS),
            ("complaint_deadline", TS),
            ("failure_kind", pa.string()),
            ("updated_at", TS),
        ]
    ),
    "items": pa.schema(
        [
            ("id", pa.int64()),
            ("order_id", pa.int64()),
            ("product_id", pa.int64()),
            ("sku", pa.string()),
            ("product_name", pa.string()),
            ("quantity", pa.int64()),
            ("unit_price", pa.int64()),
            ("line_total", pa.int64()),
        ]
    ),
    "complaints": pa.schema([("order_id", pa.int64()), ("filed_at", TS)]),
    "refunds": pa.schema([("order_id", pa.int64()), ("amount", pa.int64()), ("created_at", TS)]),
    "payouts": pa.schema(
        [
            ("id", pa.int64()),
            ("order_id", pa.int64()),
            ("amount", pa.int64()),
            ("status", pa.string()),
            ("created_at", TS),
            ("paid_at", TS),
            ("transfer_reference", pa.string()),
        ]
    ),
    "companies": pa.schema([("id", pa.int64()), ("company_code", pa.string()), ("name", pa.string())]),
    "warehouses": pa.schema(
        [
            ("id", pa.int64()),
            ("company_id", pa.int64()),
            ("code", pa.string()),
            ("name", pa.string()),
            ("time_zone", pa.string()),
        ]
    ),
    "products": pa.schema(
        [
            ("id", pa.int64()),
            ("company_id", pa.int64()),
            ("sku", pa.string()),
            ("name", pa.string()),
        ]
    ),
    "buyers": pa.schema(
        [
            ("id", pa.int64()),
            ("buyer_code", pa.string()),
            ("name", pa.string()),
            ("city", pa.string()),
        ]
    ),
}

#: Text columns that may be NULL (read through SQLite as '' and turned back into NULL).
NULLABLE_TEXT = {("orders", "failure_kind"), ("payouts", "transfer_reference")}

#: Source table and column expression for each canonical column (same names unless mapped).
_FROM = {
    "orders": "orders",
    "items": "order_items",
    "complaints": "complaints",
    "refunds": "refunds",
    "payouts": "payouts",
    "companies": "companies",
    "warehouses": "warehouses",
    "products": "products",
    "buyers": "buyers",
}


# --------------------------------------------------------------------------- connections


def adbc_target(database_url: str) -> tuple[str, str]:
    """(backend, what ADBC connects to) for a store URL: a file path or a libpq URI."""
    # Imported here, not at the top: the reader process imports this module but is handed the target
    # already resolved, and SQLAlchemy's import was a third of its start (core.analytics.reader_process).
    from sqlalchemy.engine import make_url

    from core.config import parse_database_url

    url = parse_database_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        assert url.database  # parse_database_url refuses an SQLite URL that names no file
        return backend, url.database
    libpq = make_url(url.render_as_string(hide_password=False)).set(drivername="postgresql")
    return backend, libpq.render_as_string(hide_password=False)


def sqlite_timestamp(at: datetime) -> str:
    """`at` in SQLAlchemy's SQLite storage format: compared as text, so the shape must match."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class SourceReader:
    """One read-only transaction on the store.

    `driver` is "adbc" (Arrow straight from the driver: PostgreSQL always; SQLite only inside the
    rebuild worker process, see core.analytics.rebuild_worker) or "sqlite3" (Python's own SQLite module, the one
    SQLAlchemy uses, row tuples turned into Arrow columns).
    """

    def __init__(self, backend: str, driver: str, connection):
        self.backend = backend
        self.driver = driver
        self.connection = connection
        self.canonical: Callable[[str, pa.Table], pa.Table] = lambda name, table: _canonical(name, table, backend)

    def ts_literal(self, at: datetime) -> str:
        if self.backend == "sqlite":
            return "'" + sqlite_timestamp(at) + "'"
        return "TIMESTAMPTZ '" + at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "+00'"

    def among(self, column: str, ids: list[int]) -> str:
        """`column` is one of `ids` (a literal list: JSON for SQLite, an array for PostgreSQL)."""
        if not ids:
            return "1 = 0"
        listed = ",".join(str(int(i)) for i in ids)
        if self.backend == "sqlite":
            return f"{column} IN (SELECT value FROM json_each('[{listed}]'))"
        return f"{column} = ANY('{{{listed}}}'::bigint[])"

    def _select_list(self, name: str, alias: str) -> str:
        """The select list for ADBC (the text read builds its own)."""
        parts = []
        for column in SCHEMAS[name]:
            expr = f"{alias}.{column.name}"
            if self.backend == "sqlite" and (column.type == TS or (name, column.name) in NULLABLE_TEXT):
                # ADBC's SQLite driver infers a column's type from its first rows and fails when a
                # NULL-started column turns out to hold text: make every such column text, NULL as ''.
                expr = f"COALESCE({expr}, '')"
            parts.append(f"{expr} AS {column.name}")
        return ", ".join(parts)

    def read(self, name: str, where: str = "", *, join_orders: bool = False) -> pa.Table:
        """Rows of one table in the canonical schema. `where` may use `o.` for the order."""
        alias = "o" if name == "orders" else "t"
        from_where = f" FROM {_FROM[name]} {alias}"
        if join_orders:
            from_where += " JOIN orders o ON o.id = t.order_id"
        if where:
            from_where += f" WHERE {where}"
        if self.driver == "adbc":
            with self.connection.cursor() as cursor:
                cursor.execute(f"SELECT {self._select_list(name, alias)}{from_where}")
                table = cursor.fetch_arrow_table()
        else:
            table = self._read_as_text(name, alias, from_where)
        return self.canonical(name, table)

    def _read_as_text(self, name: str, alias: str, from_where: str) -> pa.Table:
        """Rows through Python's sqlite3 as one quoted text line each, parsed by Arrow's CSV reader.

        Python makes one object per row instead of one per value (the per-value objects were half
        of an incremental sync). `format('%Q')` quotes text the way SQL does ('it''s', NULL for
        NULL), which the CSV reader undoes exactly with `'` as its quote character; integers and
        timestamps (SQLAlchemy's fixed `YYYY-MM-DD HH:MM:SS.ffffff`) come bare, NULL ones as an empty
        field: quoting them cost a tenth of the read.
        """
        schema = SCHEMAS[name]
        spec = ",".join("%Q" if pa.types.is_string(field.type) else "%s" for field in schema)
        arguments = ", ".join(f"{alias}.{field.name}" for field in schema)
        cursor = self.connection.execute(f"SELECT format('{spec}', {arguments}){from_where}")
        options = _csv_options(name)
        parts = []
        while rows := cursor.fetchmany(TEXT_CHUNK_ROWS):
            text = "\n".join([row[0] for row in rows]).encode()
            parts.append(pacsv.read_csv(pa.BufferReader(text), **options))
        if not parts:
            return schema.empty_table()
        return pa.concat_tables(parts)


#: Rows per chunk of the text read: bounds the memory of one chunk (about 0.5 kB a row).
TEXT_CHUNK_ROWS = 50_000


def _csv_options(name: str) -> dict:
    schema = SCHEMAS[name]
    return {
        "read_options": pacsv.ReadOptions(column_names=schema.names),
        "parse_options": pacsv.ParseOptions(
            delimiter=",", quote_char="'", double_quote=True, escape_char=False, newlines_in_values=True
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types={field.name: pa.string() if field.type == TS else field.type for field in schema},
            null_values=["", "NULL"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    }


def _canonical(name: str, table: pa.Table, backend: str) -> pa.Table:
    schema = SCHEMAS[name]
    if table.num_rows == 0:
        return schema.empty_table()
    columns = []
    for column in schema:
        raw = table.column(column.name)
        if column.type == TS:
            if pa.types.is_timestamp(raw.type):
                # PostgreSQL: timestamptz arrives as timestamp[us, UTC]; drop the zone, keep UTC values.
                columns.append(raw.cast(pa.timestamp("us", tz="UTC")).cast(TS))
            elif pa.types.is_null(raw.type):
                columns.append(pa.nulls(len(raw), TS))
            else:
                text = pc.if_else(pc.equal(raw, ""), pa.scalar(None, raw.type), raw)
                columns.append(pc.cast(text, TS))
        elif pa.types.is_string(column.type):
            text = raw.cast(pa.string())
            if backend == "sqlite" and (name, column.name) in NULLABLE_TEXT:
                text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
            columns.append(text)
        else:
            columns.append(raw.cast(column.type))
    return pa.Table.from_arrays(columns, schema=schema)


@contextmanager
def open_source(
    database_url: str, *, driver: str | None = None, target: tuple[str, str] | None = None
) -> Iterator[SourceReader]:
    """A read-only snapshot of the store: one transaction for every read of one sync.

    SQLite is read with Python's sqlite3 unless `driver="adbc"`, which only the worker process
    may ask for: ADBC bundles its own SQLite library, and two SQLite libraries in one process do
    not see each other's POSIX locks, so closing one can drop the other's locks and delete a WAL
    index still in use (sqlite.org/howtocorrupt.html, "multiple copies of SQLite").
    `target`: `adbc_target(database_url)` when the caller has it already (the reader process).
    """
    backend, where = target or adbc_target(database_url)
    driver = driver or ("sqlite3" if backend == "sqlite" else "adbc")
    if backend == "sqlite" and driver == "sqlite3":
        import sqlite3

        text_connection = sqlite3.connect(where, timeout=30, isolation_level=None)
        try:
            text_connection.execute("BEGIN")  # deferred: the WAL snapshot is taken at the first read
            yield SourceReader(backend, driver, text_connection)
        finally:
            text_connection.close()
        return
    connection = _adbc_connect(backend, where)
    try:
        with connection.cursor() as cursor:
            if backend == "sqlite":
                cursor.execute("PRAGMA busy_timeout = 30000")
                # A deferred BEGIN (ADBC's own) takes its WAL snapshot at the first read below.
            else:
                connection.rollback()  # start a fresh transaction that we can still configure
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield SourceReader(backend, driver, connection)
    finally:
        try:
            connection.rollback()
        finally:
            connection.close()


def _adbc_connect(backend: str, target: str) -> adbc_driver_manager.dbapi.Connection:
    """An ADBC connection to the store (imported only when asked for: see open_source)."""
    if backend == "sqlite":
        import adbc_driver_sqlite.dbapi

        return adbc_driver_sqlite.dbapi.connect(target)
    import adbc_driver_postgresql.dbapi

    return adbc_driver_postgresql.dbapi.connect(target)


def duckdb_canonical(con) -> Callable[[str, pa.Table], pa.Table]:
    """Canonicalise with DuckDB (parallel casts): for whole-store reads, where parsing millions
    of SQLite timestamp strings with pyarrow would take seconds. `con` has TimeZone set to UTC."""

    def canonical(name: str, raw: pa.Table) -> pa.Table:
        schema = SCHEMAS[name]
        if raw.num_rows == 0:
            return schema.empty_table()
        expressions = []
        for wanted in schema:
            raw_type = raw.schema.field(wanted.name).type
            column = f'"{wanted.name}"'
            if wanted.type == TS:
                if pa.types.is_null(raw_type):
                    expression = "CAST(NULL AS TIMESTAMP)"
                elif pa.types.is_string(raw_type) or pa.types.is_large_string(raw_type):
                    expression = f"CAST(NULLIF({column}, '') AS TIMESTAMP)"
                else:
                    expression = f"CAST({column} AS TIMESTAMP)"
            elif pa.types.is_string(wanted.type):
                expression = f"CAST({column} AS VARCHAR)"
                if (name, wanted.name) in NULLABLE_TEXT:
                    expression = f"NULLIF({expression}, '')"
            else:
                expression = f"CAST({column} AS BIGINT)"
            expressions.append(f"{expression} AS {column}")
        con.register("raw_source", raw)
        try:
            table = con.sql(f"SELECT {', '.join(expressions)} FROM raw_source").to_arrow_table()
        finally:
            con.unregister("raw_source")
        return table.cast(schema)

    return canonical
