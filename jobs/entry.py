"""How every command starts and ends: a prepared store and settings read as every command reads them;
a configuration problem is one clear sentence and exit code 2, never a traceback; anything else
unexpected is one sentence too, with the detail in the log."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from core.bootstrap import Wiring, bootstrap
from core.config import ConfigError, Settings
from core.store.database import current_revision, head_revision


def prepared(settings: Settings | None = None) -> Wiring:
    """The wiring of a command that needs the store at the newest schema (not migrating it itself)."""
    wiring = bootstrap(settings, check_reachable=True)
    if current_revision(wiring.store) != head_revision(wiring.store):
        wiring.close()
        raise ConfigError(
            f"The store at {wiring.settings.safe_database_url()} is not prepared; "
            "run python -m jobs.prepare --no-demo first."
        )
    return wiring


def seconds_setting(name: str, default: float) -> float:
    """A process's interval or lease from the environment: positive seconds below a day."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < 86_400:
        raise ConfigError(f"{name} must be a positive number of seconds below a day; {raw!r} is not one.")
    return value


def run_command(main: Callable[[], int | None]) -> None:
    try:
        code = main()
    except ConfigError as exc:
        print(f"kopra: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code or 0)
