"""Fixtures for the analytics tests: the known dataset in the store, and an analytics folder."""

from __future__ import annotations

import pytest

from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import sync
from tests.core.analytics.dataset import build_dataset


@pytest.fixture
def analytics(tmp_path) -> AnalyticsStore:
    return AnalyticsStore(tmp_path / "analytics")


@pytest.fixture
def dataset(store, now):
    return build_dataset(store, now)


@pytest.fixture
def synced(store, dataset, analytics, now):
    """The dataset, synced twice (a rebuild, then an incremental sync into the other slot)."""
    sync(store, analytics, now)
    sync(store, analytics, now)
    return dataset
