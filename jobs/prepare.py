"""`python -m jobs.prepare`: check the configuration, reach the store, migrate it to the newest
schema and load the demo data the first time (never twice; never in production, where demo users
present stop the start). `make run` calls this first."""

from __future__ import annotations

import argparse

from core.bootstrap import Wiring, bootstrap
from core.clock import utc_now
from core.config import ConfigError
from core.demo.seed import demo_users_present, load_demo
from core.store.database import current_revision, migrate
from jobs.entry import run_command


def prepare(wiring: Wiring, *, with_demo: bool = True) -> None:
    settings, store = wiring.settings, wiring.store
    before = current_revision(store)
    migrate(store)
    after = current_revision(store)
    where = settings.safe_database_url()
    print(f"store: {where} at schema {after}" + (f" (migrated from {before or 'empty'})" if before != after else ""))
    if settings.production:
        present = demo_users_present(store)
        if present:
            raise ConfigError(
                f"KOPRA_ENV=production refuses to start while demo users are present ({', '.join(present)}); "
                "delete them with python -m jobs.bankops delete-user first."
            )
    elif with_demo:
        loaded = load_demo(store, seed=settings.demo_seed, now=utc_now(), history_days=settings.demo_days)
        print("demo data: loaded" if loaded else "demo data: already there, not loaded again")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.prepare", description=__doc__)
    parser.add_argument("--no-demo", action="store_true", help="migrate only; do not load demo data")
    args = parser.parse_args()
    wiring = bootstrap(check_reachable=True)
    try:
        prepare(wiring, with_demo=not args.no_demo)
    finally:
        wiring.close()
    return 0


if __name__ == "__main__":
    run_command(main)
