"""How every command ends: a configuration problem is one clear sentence and exit code 2,
never a traceback; anything else unexpected is one sentence too, with the detail in the log."""

from __future__ import annotations

import sys
from collections.abc import Callable

from core.config import ConfigError


def run_command(main: Callable[[], int | None]) -> None:
    try:
        code = main()
    except ConfigError as exc:
        print(f"kopra: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code or 0)
