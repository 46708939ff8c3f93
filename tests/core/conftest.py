"""Fixtures of the core tests: the small seller world of tests.builders on each database."""

from __future__ import annotations

import pytest

from tests.builders import World, build_world


@pytest.fixture
def world(store) -> World:
    return build_world(store)
