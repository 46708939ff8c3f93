"""Authorization in core, table-driven: every service that acts for a seller's user is listed in
SERVICES with the roles that may call it, and the reads that return rows in READS with how to find
the companies of those rows. The tests below then check each one:

- the guard: every public core function that takes a store and an actor is in SERVICES, so a new
  service cannot be added without saying who may call it;
- the role x service matrix: each role outside the allowed ones is refused with AccessDenied, each
  allowed role gets past authorization (any other DomainError is the service's business);
- standing: an actor whose user is blocked or deleted, whose company lost its whitelisting, who must
  still change a one-time password, or a forged actor (another company's id) is refused;
- company isolation: no read returns a row of another company.

Authorization does not depend on the database, so this table runs on SQLite only. Uses the world of
tests/builders.py (ACME01 with pm and admin, OTHER02 with pm).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

import core
from core.accounts import language, passwords, policy, throttle
from core.acting import Actor
from core.analytics import dashboard, export, history, scope
from core.analytics.history import HistoryFilters
from core.analytics.scope import Period
from core.analytics.snapshots import AnalyticsStore
from core.catalogue import csv_export, csv_import, product_images, products, stock
from core.catalogue.planning import StockEdit
from core.catalogue.rules import ProductDetails
from core.company import payout_account, profile
from core.domain import ComplaintResolution, NotificationKind, Role, UserStatus
from core.errors import AccessDenied, DomainError
from core.notifications import inbox
from core.notifications import preferences as notification_preferences
from core.orders import buyer_channel as buyers
from core.orders import papers, search, seller, views
from core.store.database import Store
from core.store.models import Company, Notification, Order, Product, User
from core.warehouses import management, operations
from tests.builders import World, build_world, photo

ANY_ROLE = frozenset(Role)
SYSTEM_ADMINISTRATOR = frozenset({Role.SYSTEM_ADMINISTRATOR})
PRODUCT_MANAGER = frozenset({Role.PRODUCT_MANAGER})


@pytest.fixture
def store(tmp_path, _sqlite_template):
    """SQLite only: who may do what is decided before the database matters."""
    path = tmp_path / "kopra.sqlite3"
    shutil.copy(_sqlite_template, path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.dispose()


@dataclass
class Scene:
    world: World
    analytics: AnalyticsStore
    folder: Any

    @property
    def store(self) -> Store:
        return self.world.store


@pytest.fixture
def scene(store, tmp_path) -> Scene:
    return Scene(build_world(store), AnalyticsStore(tmp_path / "analytics"), tmp_path)


@dataclass(frozen=True)
class Service:
    function: Callable
    call: Callable[[Scene, Actor, datetime], Any]  # calls the service as the actor
    allowed: frozenset[Role]
    #: May a user who must still change a one-time password call it? (Only to change it.)
    before_password_change: bool = False

    @property
    def name(self) -> str:
        return f"{self.function.__module__}.{self.function.__name__}"


@dataclass(frozen=True)
class Read:
    name: str
    call: Callable[[Scene, Actor, datetime], Any]
    companies: Callable[[Scene, Any], set[str]]  # the company codes of every row in a result


PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30))
EDIT = [StockEdit("RICE-5", "JKT-1", 100, 80_000)]
DETAILS = ProductDetails(name="Beras Premium 5 kg")
CSV = b"sku,name,unit,description,status,warehouse_code,on_hand,price\nRICE-5,Beras,pcs,,ACTIVE,JKT-1,100,75000\n"


def _s(function, call, allowed, **kw) -> Service:
    return Service(function, call, allowed, **kw)


SERVICES: list[Service] = [
    _s(
        passwords.account_summary,
        lambda s, a, now: passwords.account_summary(s.store, a, now),
        ANY_ROLE,
        before_password_change=True,
    ),
    _s(
        passwords.change_password,
        lambda s, a, now: passwords.change_password(s.store, a, "x", "Nieuw-Wachtwoord-1", "Nieuw-Wachtwoord-1", now),
        ANY_ROLE,
        before_password_change=True,
    ),
    _s(
        language.stored_language,
        lambda s, a, now: language.stored_language(s.store, a),
        ANY_ROLE,
        before_password_change=True,
    ),
    _s(
        language.choose_language,
        lambda s, a, now: language.choose_language(s.store, a, "id", now),
        ANY_ROLE,
        before_password_change=True,
    ),
    _s(throttle.recent_lockouts, lambda s, a, now: throttle.recent_lockouts(s.store, a, now), SYSTEM_ADMINISTRATOR),
    # notifications: each user's own inbox
    _s(inbox.unread_count, lambda s, a, now: inbox.unread_count(s.store, a, now=now), ANY_ROLE),
    _s(inbox.recent, lambda s, a, now: inbox.recent(s.store, a, now=now), ANY_ROLE),
    _s(inbox.mark_read, lambda s, a, now: inbox.mark_read(s.store, a, 1, now=now), ANY_ROLE),
    _s(inbox.mark_all_read, lambda s, a, now: inbox.mark_all_read(s.store, a, now=now), ANY_ROLE),
    # notifications: each user's own email preferences and address
    _s(
        notification_preferences.preferences,
        lambda s, a, now: notification_preferences.preferences(s.store, a, now=now),
        ANY_ROLE,
    ),
    _s(
        notification_preferences.save_preferences,
        lambda s, a, now: notification_preferences.save_preferences(
            s.store, a, email_kinds=set(), digest=True, now=now
        ),
        ANY_ROLE,
    ),
    _s(
        notification_preferences.request_email_code,
        lambda s, a, now: notification_preferences.request_email_code(
            s.store, a, email="someone@acme.co.id", now=now, send=lambda _mail: None
        ),
        ANY_ROLE,
    ),
    _s(
        notification_preferences.verify_email,
        lambda s, a, now: notification_preferences.verify_email(s.store, a, code="123456", now=now),
        ANY_ROLE,
    ),
    _s(
        notification_preferences.stop_email,
        lambda s, a, now: notification_preferences.stop_email(s.store, a, now=now),
        ANY_ROLE,
    ),
    # orders
    _s(seller.accept_order, lambda s, a, now: seller.accept_order(s.store, a, "KP-X", now), PRODUCT_MANAGER),
    _s(seller.accept_orders, lambda s, a, now: seller.accept_orders(s.store, a, ["KP-X"], now), PRODUCT_MANAGER),
    _s(seller.reject_order, lambda s, a, now: seller.reject_order(s.store, a, "KP-X", "why", now), PRODUCT_MANAGER),
    _s(seller.mark_packed, lambda s, a, now: seller.mark_packed(s.store, a, "KP-X", set(), now), PRODUCT_MANAGER),
    _s(
        seller.ship_order,
        lambda s, a, now: seller.ship_order(
            s.store, a, "KP-X", courier="JNE", tracking_number="JNE12345", photo=photo(), photo_name="p.jpg", now=now
        ),
        PRODUCT_MANAGER,
    ),
    _s(
        seller.answer_complaint,
        lambda s, a, now: seller.answer_complaint(s.store, a, "KP-X", ComplaintResolution.REFUND, "", now),
        PRODUCT_MANAGER,
    ),
    _s(
        seller.receive_return,
        lambda s, a, now: seller.receive_return(s.store, a, "KP-X", fit_to_sell=True, now=now),
        PRODUCT_MANAGER,
    ),
    _s(views.order_detail, lambda s, a, now: views.order_detail(s.store, a, "KP-X"), PRODUCT_MANAGER),
    _s(views.orders_needing_action, lambda s, a, now: views.orders_needing_action(s.store, a, now), PRODUCT_MANAGER),
    _s(papers.order_papers, lambda s, a, now: papers.order_papers(s.store, a, ["KP-X"]), PRODUCT_MANAGER),
    _s(seller.pack_orders, lambda s, a, now: seller.pack_orders(s.store, a, ["KP-X"], now), PRODUCT_MANAGER),
    _s(search.find_orders, lambda s, a, now: search.find_orders(s.store, a, search.OrderQuery()), PRODUCT_MANAGER),
    _s(search.stage_counts, lambda s, a, now: search.stage_counts(s.store, a), PRODUCT_MANAGER),
    _s(search.attention_counts, lambda s, a, now: search.attention_counts(s.store, a, now), PRODUCT_MANAGER),
    # catalogue
    _s(products.list_products, lambda s, a, now: products.list_products(s.store, a), PRODUCT_MANAGER),
    _s(products.get_product, lambda s, a, now: products.get_product(s.store, a, "RICE-5"), PRODUCT_MANAGER),
    _s(
        product_images.product_image,
        lambda s, a, now: product_images.product_image(s.store, a, "RICE-5"),
        PRODUCT_MANAGER,
    ),
    _s(
        products.add_product, lambda s, a, now: products.add_product(s.store, a, "NEW-1", DETAILS, now), PRODUCT_MANAGER
    ),
    _s(
        products.add_product_with_stock,
        lambda s, a, now: products.add_product_with_stock(
            s.store, a, sku="NEW-2", name="Gula 1 kg", warehouse_code="JKT-1", on_hand=5, price=15_000, now=now
        ),
        PRODUCT_MANAGER,
    ),
    _s(
        products.modify_product,
        lambda s, a, now: products.modify_product(s.store, a, "RICE-5", DETAILS, now),
        PRODUCT_MANAGER,
    ),
    _s(products.delete_product, lambda s, a, now: products.delete_product(s.store, a, "RICE-5", now), PRODUCT_MANAGER),
    _s(
        product_images.save_product_image,
        lambda s, a, now: product_images.save_product_image(s.store, a, "RICE-5", photo(), "p.jpg", now),
        PRODUCT_MANAGER,
    ),
    _s(
        product_images.remove_product_image,
        lambda s, a, now: product_images.remove_product_image(s.store, a, "RICE-5", now),
        PRODUCT_MANAGER,
    ),
    _s(stock.company_warehouses, lambda s, a, now: stock.company_warehouses(s.store, a), PRODUCT_MANAGER),
    _s(stock.stock_grid, lambda s, a, now: stock.stock_grid(s.store, a), PRODUCT_MANAGER),
    _s(stock.check_stock_edits, lambda s, a, now: stock.check_stock_edits(s.store, a, EDIT), PRODUCT_MANAGER),
    _s(stock.preview_changes, lambda s, a, now: stock.preview_changes(s.store, a, EDIT), PRODUCT_MANAGER),
    _s(stock.apply_changes, lambda s, a, now: stock.apply_changes(s.store, a, EDIT, now), PRODUCT_MANAGER),
    _s(
        stock.receive_stock,
        lambda s, a, now: stock.receive_stock(s.store, a, "RICE-5", "JKT-1", 5, now),
        PRODUCT_MANAGER,
    ),
    _s(stock.price_history, lambda s, a, now: stock.price_history(s.store, a, "RICE-5"), PRODUCT_MANAGER),
    _s(csv_export.export_catalogue, lambda s, a, now: csv_export.export_catalogue(s.store, a), PRODUCT_MANAGER),
    _s(
        csv_import.preview_import,
        lambda s, a, now: csv_import.preview_import(s.store, a, CSV, "c.csv"),
        PRODUCT_MANAGER,
    ),
    _s(
        csv_import.import_catalogue,
        lambda s, a, now: csv_import.import_catalogue(s.store, a, CSV, "c.csv", now),
        PRODUCT_MANAGER,
    ),
    # warehouses
    _s(management.list_warehouses, lambda s, a, now: management.list_warehouses(s.store, a, now), ANY_ROLE),
    _s(management.get_warehouse, lambda s, a, now: management.get_warehouse(s.store, a, "JKT-1", now), ANY_ROLE),
    _s(
        management.add_warehouse,
        lambda s, a, now: management.add_warehouse(
            s.store,
            a,
            code="SBY-1",
            name="Surabaya",
            time_zone="Asia/Jakarta",
            opens_at=time(8),
            closes_at=time(17),
            operating_days=[0, 1, 2, 3, 4],
            now=now,
        ),
        SYSTEM_ADMINISTRATOR,
    ),
    _s(
        management.modify_warehouse,
        lambda s, a, now: management.modify_warehouse(
            s.store, a, "JKT-1", name="Jakarta", address="", time_zone="Asia/Jakarta", delivery_sla_days=4, now=now
        ),
        SYSTEM_ADMINISTRATOR,
    ),
    _s(
        management.close_warehouse,
        lambda s, a, now: management.close_warehouse(s.store, a, "JKT-1", now),
        SYSTEM_ADMINISTRATOR,
    ),
    _s(
        management.reopen_warehouse,
        lambda s, a, now: management.reopen_warehouse(s.store, a, "JKT-1", now),
        SYSTEM_ADMINISTRATOR,
    ),
    _s(
        operations.update_operations,
        lambda s, a, now: operations.update_operations(
            s.store,
            a,
            "JKT-1",
            operating_days=[0, 1, 2, 3, 4],
            opens_at=time(8),
            closes_at=time(17),
            processing_days=2,
            observe_joint_leave=True,
            now=now,
        ),
        PRODUCT_MANAGER,
    ),
    _s(
        operations.add_closures,
        lambda s, a, now: operations.add_closures(
            s.store, a, "JKT-1", now.date() + timedelta(days=7), None, "stock-taking", now
        ),
        PRODUCT_MANAGER,
    ),
    _s(
        operations.remove_closure,
        lambda s, a, now: operations.remove_closure(s.store, a, "JKT-1", now.date(), now),
        PRODUCT_MANAGER,
    ),
    # company
    _s(profile.company_profile, lambda s, a, now: profile.company_profile(s.store, a), ANY_ROLE),
    _s(
        profile.update_profile,
        lambda s, a, now: profile.update_profile(s.store, a, description="x", contact_phone="021-5091-4000", now=now),
        SYSTEM_ADMINISTRATOR,
    ),
    _s(
        profile.save_logo,
        lambda s, a, now: profile.save_logo(s.store, a, photo(), "logo.jpg", now),
        SYSTEM_ADMINISTRATOR,
    ),
    _s(profile.remove_logo, lambda s, a, now: profile.remove_logo(s.store, a, now), SYSTEM_ADMINISTRATOR),
    _s(
        payout_account.change_payout_account,
        lambda s, a, now: payout_account.change_payout_account(
            s.store,
            a,
            bank_name="Bank Mandiri",
            account_number="1234567890123",
            account_holder="ACME Tbk",
            current_password="x",
            now=now,
        ),
        SYSTEM_ADMINISTRATOR,
    ),
    # analytics
    _s(
        scope.check_product_manager,
        lambda s, a, now: scope.check_product_manager(s.store, a, doing="see figures"),
        PRODUCT_MANAGER,
    ),
    _s(scope.check_may_refresh, lambda s, a, now: scope.check_may_refresh(s.store, a), PRODUCT_MANAGER),
    _s(
        dashboard.company_warehouses,
        lambda s, a, now: dashboard.company_warehouses(s.store, s.analytics, a),
        PRODUCT_MANAGER,
    ),
    _s(
        dashboard.load_dashboard,
        lambda s, a, now: dashboard.load_dashboard(s.store, s.analytics, a, PERIOD),
        PRODUCT_MANAGER,
    ),
    _s(
        history.load_history,
        lambda s, a, now: history.load_history(s.store, s.analytics, a, HistoryFilters(PERIOD)),
        PRODUCT_MANAGER,
    ),
    _s(history.history_options, lambda s, a, now: history.history_options(s.store, s.analytics, a), PRODUCT_MANAGER),
    _s(
        export.export_history_csv,
        lambda s, a, now: export.export_history_csv(
            s.store, s.analytics, a, HistoryFilters(PERIOD), s.folder / "out.csv"
        ),
        PRODUCT_MANAGER,
    ),
]


def _services_in_core() -> set[str]:
    """Every public function of core that takes a store and an actor: a service acting for a user."""
    found = set()
    for info in pkgutil.walk_packages(core.__path__, "core."):
        if ".migrations" in info.name or info.name == "core.acting":  # acting is the check itself
            continue
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters and parameters[0] == "store" and "actor" in parameters:
                found.add(f"{module.__name__}.{name}")
    return found


def test_every_service_that_acts_for_a_user_is_in_the_authorization_table():
    listed = {service.name for service in SERVICES}
    assert len(listed) == len(SERVICES), "a service is listed twice"
    assert sorted(_services_in_core() - listed) == [], "add these services to SERVICES with who may call them"
    assert sorted(listed - _services_in_core()) == [], "these are listed but are not services any more"


def _orders_of_both_companies(scene: Scene, now: datetime) -> None:
    """One order for each company, so reads have rows to leak if they could."""
    for company_code in ("ACME01", "OTHER02"):
        buyers.place_order(
            scene.store,
            buyer_code="BUY-1",
            company_code=company_code,
            warehouse_code="JKT-1",
            lines=[buyers.OrderLine("RICE-5", 1)],
            now=now,
        )


def _with_orders(read):
    def call(scene, actor, now):
        _orders_of_both_companies(scene, now)
        return read(scene, actor, now)

    return call


def _companies_of_products(scene: Scene, rows) -> set[str]:
    """The companies owning the listed products (by product id: both world companies sell RICE-5)."""
    ids = {row.id for row in rows}
    with scene.store.reading() as session:
        return set(
            session.scalars(
                select(Company.company_code).join(Product, Product.company_id == Company.id).where(Product.id.in_(ids))
            )
        )


def _companies_of_orders(scene: Scene, rows) -> set[str]:
    numbers = [row.order_number for row in rows]
    with scene.store.reading() as session:
        return set(
            session.scalars(
                select(Company.company_code)
                .join(Order, Order.company_id == Company.id)
                .where(Order.order_number.in_(numbers))
            )
        )


def _with_notifications(read):
    """A notification for every user of both companies, so the inbox has rows to leak if it could."""

    def call(scene, actor, now):
        world = scene.world
        with scene.store.transaction() as session:
            for user in (world.pm, world.admin, world.other_pm):
                session.add(
                    Notification(
                        user_id=user.user_id,
                        company_id=user.company_id,
                        kind=NotificationKind.LOW_STOCK,
                        subject=f"test:{user.user_id}:read-by:{actor.user_id}",
                        facts="{}",
                        created_at=now,
                    )
                )
        return read(scene, actor, now)

    return call


def _companies_of_notifications(scene: Scene, rows) -> set[str]:
    ids = [row.id for row in rows]
    with scene.store.reading() as session:
        return set(
            session.scalars(
                select(Company.company_code)
                .join(Notification, Notification.company_id == Company.id)
                .where(Notification.id.in_(ids))
            )
        )


READS: list[Read] = [
    Read("catalogue.list_products", lambda s, a, now: products.list_products(s.store, a), _companies_of_products),
    Read(
        "accounts.account_summary",
        lambda s, a, now: passwords.account_summary(s.store, a, now),
        lambda _s, result: {result.company_code},
    ),
    Read(
        "orders.find_orders",
        _with_orders(lambda s, a, now: search.find_orders(s.store, a, search.OrderQuery()).rows),
        _companies_of_orders,
    ),
    Read(
        "notifications.recent",
        _with_notifications(lambda s, a, now: inbox.recent(s.store, a, now=now)),
        _companies_of_notifications,
    ),
    Read(
        "orders.orders_needing_action",
        _with_orders(lambda s, a, now: views.orders_needing_action(s.store, a, now)),
        _companies_of_orders,
    ),
]


def _actor_of_role(world: World, role: Role) -> Actor:
    return world.admin if role == Role.SYSTEM_ADMINISTRATOR else world.pm


def _by_name(items):
    return [pytest.param(item, id=item.name) for item in items]


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value.lower())
@pytest.mark.parametrize("service", _by_name(SERVICES))
def test_the_role_by_service_matrix(scene, now, service, role):
    actor = _actor_of_role(scene.world, role)
    if role in service.allowed:
        try:
            service.call(scene, actor, now)
        except AccessDenied as refused:  # pragma: no cover - the failure message says what went wrong
            pytest.fail(f"{service.name} refused an allowed {role.label}: {refused.message}")
        except DomainError:
            pass  # past authorization; the service's own rules said no
    else:
        with pytest.raises(AccessDenied, match="may"):
            service.call(scene, actor, now)


@pytest.mark.parametrize("service", _by_name(SERVICES))
def test_something_that_is_not_a_logged_in_user_is_refused(scene, now, service):
    with pytest.raises(AccessDenied, match="Only a logged-in user may"):
        service.call(scene, None, now)


def _allowed_actor(world: World, service: Service) -> Actor:
    return _actor_of_role(world, sorted(service.allowed)[0])


STANDING_CHANGES = {
    "blocked user": (
        lambda s, actor: s.execute(
            update(User).where(User.id == actor.user_id).values(status=UserStatus.BLOCKED.value)
        ),
        policy.BLOCKED_MESSAGE,
    ),
    "deleted user": (
        lambda s, actor: s.execute(
            update(User).where(User.id == actor.user_id).values(deleted_at=datetime(2026, 2, 1).astimezone())
        ),
        policy.USER_GONE,
    ),
    "company not whitelisted": (
        lambda s, actor: s.execute(update(Company).where(Company.id == actor.company_id).values(is_whitelisted=False)),
        policy.NOT_WHITELISTED_MESSAGE,
    ),
}


@pytest.mark.parametrize("change", list(STANDING_CHANGES))
@pytest.mark.parametrize("service", _by_name(SERVICES))
def test_an_actor_who_lost_their_standing_is_refused(scene, now, service, change):
    """The Actor a page holds may be minutes old: the service reloads it in its own unit of work."""
    actor = _allowed_actor(scene.world, service)
    alter, message = STANDING_CHANGES[change]
    with scene.store.transaction() as session:
        alter(session, actor)
    with pytest.raises(AccessDenied) as refused:
        service.call(scene, actor, now)
    assert refused.value.message == message


@pytest.mark.parametrize("service", _by_name(SERVICES))
def test_a_user_who_must_still_change_a_one_time_password_may_do_nothing_else(scene, now, service):
    """Refused in core, whatever the caller: the page that shows only the password form is not the
    only thing standing between such a user and the rest of the service."""
    actor = _allowed_actor(scene.world, service)
    with scene.store.transaction() as session:
        session.execute(update(User).where(User.id == actor.user_id).values(must_change_password=True))
    if service.before_password_change:
        try:
            service.call(scene, actor, now)
        except AccessDenied as refused:  # pragma: no cover - the failure message says what went wrong
            pytest.fail(f"{service.name} refused a user who is changing their password: {refused.message}")
        except DomainError:
            pass
    else:
        with pytest.raises(AccessDenied) as refused:
            service.call(scene, actor, now)
        assert refused.value.message == policy.PASSWORD_CHANGE_FIRST


@pytest.mark.parametrize("service", _by_name(SERVICES))
def test_a_forged_actor_claiming_another_company_is_refused(scene, now, service):
    actor = _allowed_actor(scene.world, service)
    forged = dataclasses.replace(
        actor, company_id=scene.world.other_pm.company_id, company_code=scene.world.other_pm.company_code
    )
    with pytest.raises(AccessDenied):
        service.call(scene, forged, now)


@pytest.mark.parametrize("read", _by_name(READS))
def test_no_read_returns_a_row_of_another_company(scene, now, read):
    world = scene.world
    for actor in (world.pm, world.admin, world.other_pm):
        try:
            result = read.call(scene, actor, now)
        except AccessDenied:
            continue  # a role that may not read this gets nothing at all
        assert result or read.name.startswith("accounts."), f"{read.name} returned nothing to check"
        companies = read.companies(scene, result)
        assert companies <= {actor.company_code}, f"{read.name} as {actor.label} returned rows of {companies}"
