"""Who may read the figures: every analytics read reloads the acting user and their company from the
store, so a block, a lost whitelisting or a forged company takes effect at the next click."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.accounts.policy import BLOCKED_MESSAGE, NOT_WHITELISTED_MESSAGE, USER_GONE
from core.analytics.dashboard import company_warehouses, load_dashboard
from core.analytics.export import export_history_csv
from core.analytics.history import HistoryFilters, history_options, load_history
from core.analytics.scope import Period, check_may_refresh
from core.domain import UserStatus
from core.errors import AccessDenied
from core.store.models import Company, User


def every_read(store, analytics, actor, now, out):
    """Each analytics read of a Product Manager, as a callable."""
    period = Period(now.date() - timedelta(days=29), now.date())
    return {
        "dashboard": lambda: load_dashboard(store, analytics, actor, period),
        "warehouses": lambda: company_warehouses(store, analytics, actor),
        "history": lambda: load_history(store, analytics, actor, HistoryFilters(period)),
        "history options": lambda: history_options(store, analytics, actor),
        "export": lambda: export_history_csv(store, analytics, actor, HistoryFilters(period), out),
        "refresh": lambda: check_may_refresh(store, actor),
    }


def test_the_reads_serve_a_product_manager_in_good_standing(store, analytics, synced, now, tmp_path):
    for read in every_read(store, analytics, synced.a.actor(), now, tmp_path / "out.csv").values():
        read()  # no refusal
    assert (tmp_path / "out.csv").exists()


def test_a_blocked_user_reads_nothing(store, analytics, synced, now, tmp_path):
    with store.transaction() as s:
        s.execute(update(User).where(User.id == synced.a.pm_user_id).values(status=UserStatus.BLOCKED))
    for name, read in every_read(store, analytics, synced.a.actor(), now, tmp_path / "out.csv").items():
        with pytest.raises(AccessDenied) as refused:
            read()
        assert refused.value.message == BLOCKED_MESSAGE, name
    assert not (tmp_path / "out.csv").exists()


def test_a_company_that_lost_its_whitelisting_reads_nothing(store, analytics, synced, now, tmp_path):
    with store.transaction() as s:
        s.execute(update(Company).where(Company.id == synced.a.id).values(is_whitelisted=False))
    for name, read in every_read(store, analytics, synced.a.actor(), now, tmp_path / "out.csv").items():
        with pytest.raises(AccessDenied) as refused:
            read()
        assert refused.value.message == NOT_WHITELISTED_MESSAGE, name


def test_an_actor_forged_for_another_company_reads_nothing(store, analytics, synced, now, tmp_path):
    forged = dataclasses.replace(synced.a.actor(), company_id=synced.b.id, company_code=synced.b.code)
    for name, read in every_read(store, analytics, forged, now, tmp_path / "out.csv").items():
        with pytest.raises(AccessDenied) as refused:
            read()
        assert refused.value.message == USER_GONE, name
