"""Alembic environment: migrations run on the connection that `core.store.migrate` hands over,
or on `sqlalchemy.url` when run from the `alembic` command line."""

from alembic import context

from core.config import ConfigError
from core.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from core.store.database import create_store_engine

        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise ConfigError("The alembic configuration names no sqlalchemy.url: the store to migrate.")
        engine = create_store_engine(url)
        with engine.begin() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    # Batch mode lets later migrations ALTER tables on SQLite (copy-and-move).
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
