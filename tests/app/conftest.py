"""Fixtures for AppTests of the Streamlit UI, logged in or not.

Use `app_as` for any page behind the login:

    def test_the_dashboard_shows_todays_sales(app_as):
        app = app_as("pm", page="pages/dashboard.py")      # DEMO01's Product Manager
        assert app.at.title[0].value == "Dashboard"
        with app.store.reading() as session: ...             # the same store the app uses

    def test_a_seller_of_another_company(app_as, demo_store):
        demo_store.add_user("ACME01", "rina", Role.PRODUCT_MANAGER)   # see DemoStore
        app = app_as("rina", company_code="ACME01")

`app_as(user_code, company_code="DEMO01", page=None, *, run=True)` returns a `LoggedInApp`
(`.at` the AppTest, already run; `.store`, `.settings`, `.token`). It logs the user in through
core.accounts (a real server-side session), puts the token into
`at.session_state["session_token"]` as the browser session would hold it, runs the app, and
switches to `page` (a path relative to app/, e.g. "pages/settings.py") if given. With
`run=False` nothing has run yet (set more session state, then `app.at.run()`).

Every AppTest here runs app/main.py the way a running server does (autouse fixture
`main_script_drives_navigation`): Streamlit takes app/pages/ for a legacy "pages folder" and, until
main.py's st.navigation has run once in a process, runs a page named in the URL directly, without
main.py. A server leaves that mode at its first run of main.py; AppTest re-enters it before every
run, which would make reruns skip main.py (its sidebar, logout, session checks and navigation).
The fixture keeps AppTest in the server's steady state. Pages still check the role themselves
(tests/app/test_navigation.py runs each page file directly to prove it).

Behind it, `demo_store` gives each test a throw-away SQLite store in tmp_path with the demo
loaded (KOPRA_DATA_DIR set, KOPRA_DATABASE_URL unset) and clears Streamlit's resource cache,
because app/bootstrap.py caches the settings and the store once per process. Custom components
(the cookie manager) do nothing in AppTest, so cookies are not part of these tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.accounts import login
from core.accounts.hashing import hash_password
from core.accounts.login import login as log_in
from core.acting import Actor
from core.analytics.scope import Period
from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import sync
from core.clock import utc_now
from core.config import PROJECT_ROOT, Settings, load_settings
from core.demo.bulk import generate_bulk
from core.demo.seed import DEMO_COMPANY_CODE, DEMO_PASSWORD, load_demo
from core.domain import Role, UserStatus
from core.store.database import Store, migrate
from core.store.models import Company, User

MAIN = str(PROJECT_ROOT / "app" / "main.py")


@dataclass
class DemoStore:
    store: Store
    settings: Settings

    def add_user(
        self,
        company_code: str,
        user_code: str,
        role: Role,
        *,
        password: str = DEMO_PASSWORD,
        whitelisted: bool = True,
        must_change_password: bool = False,
    ) -> None:
        """Add a user (and their company if it is new) directly in the store, ready to log in."""
        now = _now()
        with self.store.transaction() as session:
            company = login.find_company(session, company_code)
            if company is None:
                company = Company(
                    company_code=company_code,
                    name=f"Company {company_code}",
                    is_whitelisted=whitelisted,
                    created_at=now,
                    updated_at=now,
                )
                session.add(company)
                session.flush()
            session.add(
                User(
                    company_id=company.id,
                    user_code=user_code,
                    display_name=user_code.title(),
                    role=role,
                    password_hash=hash_password(password),
                    status=UserStatus.ACTIVE,
                    password_changed_at=now,
                    must_change_password=must_change_password,
                    created_at=now,
                )
            )


@dataclass
class LoggedInApp:
    at: AppTest
    store: Store
    settings: Settings
    token: str


def _now() -> datetime:
    from core.clock import utc_now

    return utc_now()


def new_app_test() -> AppTest:
    """An AppTest of app/main.py (nothing run yet), with a timeout that suits a loaded machine."""
    return AppTest.from_file(MAIN, default_timeout=30)


#: Streamlit's own PagesManager.__init__, for a test that wants the legacy pages-folder mode back.
from streamlit.runtime.pages_manager import PagesManager as _PagesManager  # noqa: E402

ORIGINAL_PAGES_MANAGER_INIT = _PagesManager.__init__


@pytest.fixture(autouse=True)
def main_script_drives_navigation(monkeypatch):
    """See the module docstring: keep Streamlit out of its legacy pages-folder mode in AppTest."""
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init_then_leave_folder_mode(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False  # what st.navigation in main.py does on a server

    monkeypatch.setattr(PagesManager, "__init__", init_then_leave_folder_mode)


@pytest.fixture
def demo_store(tmp_path, monkeypatch) -> DemoStore:
    """A migrated SQLite store with the demo loaded, which the app under test will use."""
    monkeypatch.setenv("KOPRA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KOPRA_DATABASE_URL", raising=False)
    st.cache_resource.clear()  # app/bootstrap.py caches settings and store per process
    settings = load_settings()
    store = Store.from_settings(settings)
    migrate(store)
    load_demo(store, seed=settings.demo_seed, now=_now() - timedelta(minutes=5), history_days=settings.demo_days)
    yield DemoStore(store, settings)
    st.cache_resource.clear()
    store.dispose()


@pytest.fixture
def app_as(demo_store):
    """app_as(user_code, company_code="DEMO01", page=None, *, run=True) -> LoggedInApp."""

    def open_app(
        user_code: str,
        company_code: str = DEMO_COMPANY_CODE,
        page: str | None = None,
        *,
        password: str = DEMO_PASSWORD,
        run: bool = True,
    ) -> LoggedInApp:
        result = log_in(demo_store.store, company_code, user_code, password, _now(), demo_store.settings)
        assert result.ok, f"could not log in {company_code}/{user_code}: {result.message}"
        at = new_app_test()
        at.session_state["session_token"] = result.token
        if run:
            at.run()
            if page is not None:
                at.switch_page(page).run()
        return LoggedInApp(at, demo_store.store, demo_store.settings, result.token)

    return open_app


@pytest.fixture
def logged_out_app(demo_store) -> AppTest:
    """The app on the demo store with nobody logged in, already run (the login page)."""
    return new_app_test().run()


# --- a demo store with sales, for the analytics pages ----------------------------------------------


@pytest.fixture
def with_sales(demo_store):
    now = utc_now()
    generate_bulk(demo_store.store, orders=1500, company_code=DEMO_COMPANY_CODE, seed=5, now=now, days=60)
    sync(demo_store.store, AnalyticsStore(demo_store.settings.analytics_dir), now)
    return demo_store


def pm(store) -> Actor:
    with store.reading() as s:
        company = s.scalar(select(Company).where(Company.company_code == DEMO_COMPANY_CODE))
        user = s.scalar(select(User).where(User.company_id == company.id, User.user_code == "pm"))
    return Actor(user.id, company.id, DEMO_COMPANY_CODE, "pm", Role.PRODUCT_MANAGER)


def default_period() -> Period:
    today = utc_now().astimezone(ZoneInfo("Asia/Jakarta")).date()
    return Period(today - timedelta(days=29), today)
