"""The transactional store: engine set-up for SQLite and PostgreSQL, units of work, migrations.

SQLite is set up for two writing processes (the UI and the scheduler): WAL, foreign keys,
a busy timeout, and write transactions that take the write lock up front (`BEGIN IMMEDIATE`)
so two writers queue instead of failing half-way with "database is locked". Read-only
units of work begin DEFERRED so readers never wait for the write lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from core.config import ConfigError, Settings, parse_database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30


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
        cursor.close()

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
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"connect_timeout": 5, "application_name": "kopra"},
    )


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
        read_engine = self.engine.execution_options(sqlite_begin="DEFERRED")
        self._read_sessions = sessionmaker(read_engine, expire_on_commit=False)
        self._joined: ContextVar[Session | None] = ContextVar(f"kopra-store-{id(self)}", default=None)

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
        session = self._write_sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

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
