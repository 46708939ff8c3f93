"""The one wiring point: settings, the transactional store and the analytics store, built once per
process for every entry point (the UI, each `jobs/` command). Nothing else constructs them; services
receive what they need from the caller."""

from __future__ import annotations

from dataclasses import dataclass

from core.analytics.snapshots import AnalyticsStore
from core.config import Settings, load_settings
from core.store.database import Store


@dataclass(frozen=True)
class Wiring:
    settings: Settings
    store: Store
    analytics: AnalyticsStore

    def close(self) -> None:
        self.store.dispose()


def bootstrap(settings: Settings | None = None, *, check_reachable: bool = False) -> Wiring:
    """Everything a process needs, from the environment's settings (or the ones given). With
    `check_reachable`, an unreachable database stops here with one sentence (ConfigError)."""
    settings = settings if settings is not None else load_settings()
    store = Store.from_settings(settings)
    if check_reachable:
        store.check_reachable()
    return Wiring(settings=settings, store=store, analytics=AnalyticsStore(settings.analytics_dir))
