"""Shared fixtures.

`store` runs a test once on SQLite and once on PostgreSQL (ids `[sqlite]`, `[postgresql]`).
Each test run creates its own PostgreSQL database and drops it at the end, so runs never see
each other's rows; each test starts from empty tables. With CI=true an unreachable PostgreSQL
fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

# Fast hashing in tests (the production cost is 12); set before core.accounts.hashing is used.
os.environ.setdefault("KOPRA_BCRYPT_ROUNDS", "4")
# No demo order history unless a test asks for it: playing months of orders takes seconds.
os.environ.setdefault("KOPRA_DEMO_DAYS", "0")
# Tests read the portal in English unless they choose a language (tests/app/test_languages.py, ...).
os.environ.setdefault("KOPRA_LANGUAGE", "en")

from core.store.database import Store, migrate  # noqa: E402
from core.store.models import Base  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get("KOPRA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATABASES = ["sqlite", "postgresql"]


def unavailable(reason: str):
    """Skip locally; fail in CI, where every test must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url():
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"kopra_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {str(exc.orig).strip()[:200]}")
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _postgres_store(postgres_url):
    store = Store(postgres_url)
    migrate(store)
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    store = Store(f"sqlite:///{path}")
    migrate(store)
    store.dispose()  # the last connection to close folds the WAL into the file: a plain copy is complete
    return path


def _empty_postgres(store: Store) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=DATABASES)
def store(request, tmp_path) -> Store:
    """A migrated, empty store on each database."""
    if request.param == "sqlite":
        path = tmp_path / "kopra.sqlite3"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        store = Store(f"sqlite:///{path}")
        yield store
        store.dispose()
    else:
        store = request.getfixturevalue("_postgres_store")
        _empty_postgres(store)
        yield store


@pytest.fixture
def now() -> datetime:
    """A fixed, ordinary moment: Wednesday 2026-11-25 10:00 WIB."""
    return datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def pytest_collection_modifyitems(items):
    """Mark each test's PostgreSQL case, so `make test-fast` can leave it out (-m "not postgresql")."""
    for item in items:
        if _database_of(item.nodeid) == "postgresql":
            item.add_marker(pytest.mark.postgresql)


def _database_of(nodeid: str) -> str | None:
    params = nodeid.rsplit("[", 1)[-1].rstrip("]").split("-") if nodeid.endswith("]") else []
    return next((db for db in DATABASES if db in params), None)


def pytest_terminal_summary(terminalreporter):
    """Say in the output how many store tests ran on each database."""
    counts: dict[str, dict[str, int]] = {db: {} for db in DATABASES}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            db = _database_of(getattr(report, "nodeid", ""))
            if db:
                counts[db][outcome] = counts[db].get(outcome, 0) + 1
    parts = [f"{db}: " + (", ".join(f"{n} {o}" for o, n in sorted(c.items())) or "none") for db, c in counts.items()]
    terminalreporter.write_line("store tests by database — " + "; ".join(parts))
