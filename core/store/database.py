"""The transactional store: engine set-up for SQLite and PostgreSQL, units of work, migrations.

SQLite is set up for two writing processes (the UI and the scheduler): WAL, foreign keys,
a busy timeout, and write transactions that take the write lock up front (`BEGIN IMMEDIATE`)
so two writers queue instead of failing half-way with "database is locked". Read-only
units of work begin DEFERRED so readers never wait for the write lock. Within one process, SQLite's
writers also queue on a lock of the Store: the one whose turn it is starts at once, where SQLite's
busy handler would have slept up to 100 ms between tries (the API's threads place orders together).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from core.config import ConfigError, Settings, parse_database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30
#: Each connection's page cache (SQLite's default is 2 MB). It fills only with pages a connection reads,
#: so a small store costs nothing; at a million orders a sweep batch's UPDATE rewrites entries all over
#: the orders indexes and with 2 MB re-read them from the OS for every page (the UPDATE of 100,000 orders
#: took 2.7 s, with 64 MB 1.7 s).
SQLITE_CACHE_MB = 64
#: SQLite's default: a commit that leaves the write-ahead log longer than this copies it into the file.
SQLITE_AUTOCHECKPOINT_PAGES = 1000
_CHECKPOINT_DEFERRED = "kopra_checkpoint_deferred"


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every sqlite test
        # Hand transaction control to SQLAlchemy's "begin" event below (the documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_MB * 1024}")
        cursor.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, record):  # Store.checkpoint_at_end: back to SQLite's default
        if record.info.pop(_CHECKPOINT_DEFERRED, False):
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_store_engine(database_url: str) -> Engine:
    url = parse_database_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        _setup_sqlite(engine)
        return engine
    engine = create_engine(
        url,
        # Kept open: as many as a process works with at once (the API's KOPRA_API_CONCURRENCY is 8). A
        # connection over pool_size is closed when handed back, and the next one costs PostgreSQL a
        # new backend process and its prepared statements: at 5, the API's orders cost it twice the CPU.
        pool_size=10,
        max_overflow=10,
        connect_args={"connect_timeout": 5, "application_name": "kopra"},
    )
    _ping_when_idle(engine)
    return engine


#: A pooled connection unused for longer than this is tried before it is lent out again.
PING_AFTER_IDLE_S = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, only for connections that sat idle: a database restarted meanwhile costs
    nobody an error, and a connection handed back a moment ago (the API under load) is lent again
    without a round trip first (pre-ping on every checkout was 2 of an order's 20 round trips)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lent(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # just opened, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as gone:  # the pool opens a new connection and tries again
            raise DisconnectionError(f"the pooled connection is gone: {gone}") from gone


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE run through `Session.execute` matched. The session types what it
    returns as a plain Result; for such a statement it is the CursorResult, which carries the count."""
    return cast("CursorResult[*tuple[Any, ...]]", result).rowcount


class Store:
    """One per process: the engine and the two kinds of unit of work."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.engine = create_store_engine(database_url)
        self.backend = self.engine.dialect.name
        self._write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        if self.backend == "sqlite":
            read_engine = self.engine.execution_options(sqlite_begin="DEFERRED")
        else:
            # PostgreSQL reads at READ COMMITTED: each statement sees its own snapshot inside a
            # transaction or not, so a read-only unit of work needs no BEGIN and ROLLBACK round trips.
            read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._read_sessions = sessionmaker(read_engine, expire_on_commit=False)
        self._joined: ContextVar[Session | None] = ContextVar(f"kopra-store-{id(self)}", default=None)
        # Re-entrant: a thread that nests a second write transaction meets SQLite's own lock, as before.
        self._writers: AbstractContextManager[Any] = threading.RLock() if self.backend == "sqlite" else nullcontext()
        self._deferring: ContextVar[bool] = ContextVar(f"kopra-checkpoint-{id(self)}", default=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(settings.database_url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write unit of work: commits if the block ends normally, rolls back otherwise. Inside
        `one_unit_of_work`, the services' transactions are that one (it commits or rolls back all)."""
        joined = self._joined.get()
        if joined is not None:
            yield joined
            return
        with self._writers:
            session = self._write_sessions()
            try:
                if self._deferring.get():
                    self._defer_checkpoint(session)
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def checkpoint_at_end(self) -> Iterator[None]:
        """SQLite: write transactions begun in this block (on this thread) leave their pages in the
        write-ahead log, which is copied into the database file once, when the block ends (a passive
        checkpoint: it waits for nobody). Without it each commit that left the log over 1,000 pages
        copied its own: a sweep's batches, which rewrite the same index pages, each copied them again
        (bench/deadline_sweep.py). Another writer's commit meanwhile may do that copy instead. Other
        databases: nothing changes."""
        if self.backend != "sqlite":
            yield
            return
        token = self._deferring.set(True)
        try:
            yield
        finally:
            self._deferring.reset(token)
            raw = self.engine.raw_connection()  # outside any transaction: a checkpoint refuses to run in one
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.close()
            finally:
                raw.close()

    def _defer_checkpoint(self, session: Session) -> None:
        connection = session.connection()
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        connection.info[_CHECKPOINT_DEFERRED] = True  # the pool's checkin puts the default back

    @contextmanager
    def one_unit_of_work(self) -> Iterator[Session]:
        """One transaction around the caller's own writes and the services it calls: the API records
        an idempotency key with what the request did, all or nothing (core.integration.idempotency)."""
        with self.transaction() as session:
            token = self._joined.set(session)
            try:
                yield session
            finally:
                self._joined.reset(token)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only unit of work; never commits. Inside `one_unit_of_work` it reads that one's
        session, so what the caller just wrote is seen."""
        joined = self._joined.get()
        if joined is not None:
            yield joined
            return
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.close()  # ends the transaction; loaded objects stay readable (close does not expire)

    def check_reachable(self) -> None:
        """Raise ConfigError in one sentence if the database cannot be opened."""
        safe = self.engine.url.render_as_string(hide_password=True)
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConfigError(f"Cannot reach the database at {safe}: {reason}.") from None

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(store: Store):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", store.database_url.replace("%", "%%"))
    return config


def migrate(store: Store, revision: str = "head") -> None:
    """Bring the store's schema to `revision` (the newest by default)."""
    from alembic import command

    config = alembic_config(store)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(store: Store, revision: str) -> None:
    from alembic import command

    config = alembic_config(store)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(store: Store) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(store: Store) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(store)).get_current_head()
    if head is None:
        raise RuntimeError(f"There are no migrations in {MIGRATIONS_DIR}.")
    return head
