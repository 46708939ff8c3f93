"""Authorization in core, table-driven: every service that acts for a seller user is listed in
SERVICES with the roles that may call it, and every read in READS with how to find the companies
of the rows it returned. Adding a service means adding one line; the tests below then check it:

- the role × service matrix: each role outside the allowed ones is refused with AccessDenied,
  each allowed role gets past authorization (any other DomainError is the service's business);
- standing: an actor whose user is blocked or deleted, whose company lost its whitelisting, or a
  forged actor (another company's id) is refused, whatever the role;
- company isolation: no read returns a row of another company.

Uses the `world` fixture of tests/core/conftest.py (ACME01 with pm and admin, OTHER02 with pm).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import pytest
from sqlalchemy import update

from core.accounts import login
from core.accounts import passwords
from core.accounts import policy
from core.catalogue import catalogue
from core.catalogue import csv_io as catalogue_csv
from core.company import profile as company
from core.orders import seller
from core.orders import views
from core.warehouses import warehouses
from core.acting import Actor
from core.domain import ComplaintResolution, Role, UserStatus
from core.errors import AccessDenied, DomainError
from core.store.models import Company, User

ANY_ROLE = frozenset(Role)
SYSTEM_ADMINISTRATOR = frozenset({Role.SYSTEM_ADMINISTRATOR})
PRODUCT_MANAGER = frozenset({Role.PRODUCT_MANAGER})


@dataclass(frozen=True)
class Service:
    name: str
    call: Callable[[Any, Actor, datetime], Any]  # (world, actor, now) -> result; calls the service as actor
    allowed: frozenset[Role]
    #: Does the service reload the actor and refuse a blocked/deleted user or a de-whitelisted company?
    checks_standing: bool = True


@dataclass(frozen=True)
class Read:
    name: str
    call: Callable[[Any, Actor, datetime], Any]
    companies: Callable[[Any], set[int]]  # the company ids of every row in a result


def _photo() -> bytes:
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    return out.getvalue()


def _orders_of_both_companies(world, now) -> None:
    """One order for each company, so reads have rows to leak if they could."""
    from core.orders import buyer_channel as buyers
    for company_code in ("ACME01", "OTHER02"):
        buyers.place_order(world.store, buyer_code="BUY-1", company_code=company_code, warehouse_code="JKT-1",
                           lines=[buyers.OrderLine("RICE-5", 1)], now=now)


SERVICES: list[Service] = [
    Service("accounts.account_summary", lambda w, actor, now: passwords.account_summary(w.store, actor, now), ANY_ROLE),
    Service("accounts.change_password",
            lambda w, actor, now: passwords.change_password(w.store, actor, "x", "Nieuw-Wachtwoord-1",
                                                           "Nieuw-Wachtwoord-1", now), ANY_ROLE),
    Service("orders.accept_order", lambda w, a, now: seller.accept_order(w.store, a, "KP-X", now), PRODUCT_MANAGER),
    Service("orders.accept_orders", lambda w, a, now: seller.accept_orders(w.store, a, ["KP-X"], now), PRODUCT_MANAGER),
    Service("orders.reject_order", lambda w, a, now: seller.reject_order(w.store, a, "KP-X", "why", now),
            PRODUCT_MANAGER),
    Service("orders.mark_packed", lambda w, a, now: seller.mark_packed(w.store, a, "KP-X", set(), now),
            PRODUCT_MANAGER),
    Service("orders.ship_order", lambda w, a, now: seller.ship_order(
        w.store, a, "KP-X", courier="JNE", tracking_number="JNE12345", photo=_photo(), photo_name="p.png", now=now),
            PRODUCT_MANAGER),
    Service("orders.answer_complaint", lambda w, a, now: seller.answer_complaint(
        w.store, a, "KP-X", ComplaintResolution.REFUND, "", now), PRODUCT_MANAGER),
    Service("orders.receive_return", lambda w, a, now: seller.receive_return(w.store, a, "KP-X", fit_to_sell=True,
                                                                             now=now), PRODUCT_MANAGER),
    Service("orders.order_detail", lambda w, a, now: views.order_detail(w.store, a, "KP-X"), PRODUCT_MANAGER),
    Service("orders.list_orders", lambda w, a, now: views.list_orders(w.store, a, "New"), PRODUCT_MANAGER),
    Service("orders.stage_counts", lambda w, a, now: views.stage_counts(w.store, a), PRODUCT_MANAGER),
    Service("orders.orders_needing_action", lambda w, a, now: views.orders_needing_action(w.store, a, now),
            PRODUCT_MANAGER),
    Service("catalogue.receive_stock", lambda w, a, now: catalogue.receive_stock(w.store, a, "RICE-5", "JKT-1", 5, now),
            PRODUCT_MANAGER),
    Service("catalogue.list_products", lambda w, a, now: catalogue.list_products(w.store, a), PRODUCT_MANAGER),
    Service("catalogue.stock_grid", lambda w, a, now: catalogue.stock_grid(w.store, a), PRODUCT_MANAGER),
    Service("catalogue.delete_product", lambda w, a, now: catalogue.delete_product(w.store, a, "RICE-5", now),
            PRODUCT_MANAGER),
    Service("catalogue_csv.export_catalogue", lambda w, a, now: catalogue_csv.export_catalogue(w.store, a),
            PRODUCT_MANAGER),
    Service("warehouses.list_warehouses", lambda w, a, now: warehouses.list_warehouses(w.store, a, now), ANY_ROLE),
    Service("warehouses.close_warehouse", lambda w, a, now: warehouses.close_warehouse(w.store, a, "JKT-1", now),
            SYSTEM_ADMINISTRATOR),
    Service("warehouses.remove_closure", lambda w, a, now: warehouses.remove_closure(
        w.store, a, "JKT-1", now.date(), now), PRODUCT_MANAGER),
    Service("company.company_profile", lambda w, a, now: company.company_profile(w.store, a), ANY_ROLE),
    Service("company.update_profile", lambda w, a, now: company.update_profile(
        w.store, a, description="x", contact_phone="021-5091-4000", now=now), SYSTEM_ADMINISTRATOR),
]


def _company_ids_of_codes(world, codes: set[str]) -> set[int]:
    with world.store.reading() as session:
        return {login.find_company(session, code).id for code in codes}


def _with_orders(read):
    def call(world, actor, now):
        _orders_of_both_companies(world, now)
        return read(world, actor, now)
    return call


_READ_STORE: list = []


def _companies_of_skus(rows) -> set[str]:
    """The companies owning the listed products (by product id: both world companies sell RICE-5)."""
    from sqlalchemy import select

    from core.store.models import Product
    ids = {row.id for row in rows}
    with _READ_STORE[0].reading() as session:
        return set(session.scalars(select(Company.company_code).join(Product, Product.company_id == Company.id)
                                   .where(Product.id.in_(ids))))


def _companies_of_orders(rows) -> set[str]:
    from sqlalchemy import select

    from core.store.models import Order
    numbers = [row.order_number for row in rows]
    if not numbers:
        return set()
    with _READ_STORE[0].reading() as session:
        return set(session.scalars(select(Company.company_code).join(Order, Order.company_id == Company.id)
                                   .where(Order.order_number.in_(numbers))))


READS: list[Read] = [
    Read("catalogue.list_products", lambda w, a, now: catalogue.list_products(w.store, a),
         lambda rows: _companies_of_skus(rows)),
    Read("accounts.account_summary", lambda w, actor, now: passwords.account_summary(w.store, actor, now),
         lambda result: {result.company_code}),
    Read("orders.list_orders", _with_orders(lambda w, a, now: views.list_orders(w.store, a, "New")),
         _companies_of_orders),
    Read("orders.orders_needing_action", _with_orders(lambda w, a, now: views.orders_needing_action(w.store, a, now)),
         _companies_of_orders),
]





def _actor_of_role(world, role: Role) -> Actor:
    return world.admin if role == Role.SYSTEM_ADMINISTRATOR else world.pm


def _by_name(items):
    return [pytest.param(item, id=item.name) for item in items]


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value.lower())
@pytest.mark.parametrize("service", _by_name(SERVICES))
def test_the_role_by_service_matrix(world, now, service, role):
    actor = _actor_of_role(world, role)
    if role in service.allowed:
        try:
            service.call(world, actor, now)
        except AccessDenied as refused:  # pragma: no cover - the failure message says what went wrong
            pytest.fail(f"{service.name} refused an allowed {role.label}: {refused.message}")
        except DomainError:
            pass  # past authorization; the service's own rules said no
    else:
        with pytest.raises(AccessDenied, match="may"):
            service.call(world, actor, now)


@pytest.mark.parametrize("service", _by_name(SERVICES))
def test_something_that_is_not_a_logged_in_user_is_refused(world, now, service):
    with pytest.raises(AccessDenied, match="Only a logged-in user may"):
        service.call(world, None, now)


def _allowed_actor(world, service: Service) -> Actor:
    return _actor_of_role(world, sorted(service.allowed)[0])


STANDING_CHANGES = {
    "blocked user": (lambda s, actor: s.execute(update(User).where(User.id == actor.user_id)
                                                 .values(status=UserStatus.BLOCKED.value)), policy.BLOCKED_MESSAGE),
    "deleted user": (lambda s, actor: s.execute(update(User).where(User.id == actor.user_id)
                                                 .values(deleted_at=datetime(2026, 2, 1).astimezone())),
                     policy.USER_GONE),
    "company not whitelisted": (lambda s, actor: s.execute(update(Company).where(Company.id == actor.company_id)
                                                            .values(is_whitelisted=False)),
                                policy.NOT_WHITELISTED_MESSAGE),
}


@pytest.mark.parametrize("change", list(STANDING_CHANGES))
@pytest.mark.parametrize("service", _by_name([s for s in SERVICES if s.checks_standing]))
def test_an_actor_who_lost_their_standing_is_refused(world, now, service, change):
    """The Actor a page holds may be minutes old: the service reloads it in its own unit of work."""
    actor = _allowed_actor(world, service)
    alter, message = STANDING_CHANGES[change]
    with world.store.transaction() as session:
        alter(session, actor)
    with pytest.raises(AccessDenied) as refused:
        service.call(world, actor, now)
    assert refused.value.message == message


@pytest.mark.parametrize("service", _by_name([s for s in SERVICES if s.checks_standing]))
def test_a_forged_actor_claiming_another_company_is_refused(world, now, service):
    actor = _allowed_actor(world, service)
    forged = dataclasses.replace(actor, company_id=world.other_pm.company_id, company_code=world.other_pm.company_code)
    with pytest.raises(AccessDenied):
        service.call(world, forged, now)


@pytest.mark.parametrize("read", _by_name(READS))
def test_no_read_returns_a_row_of_another_company(world, now, read):
    _READ_STORE[:] = [world.store]
    for actor in (world.pm, world.admin, world.other_pm):
        try:
            result = read.call(world, actor, now)
        except AccessDenied:
            continue  # a role that may not read this gets nothing at all
        assert result or read.name.startswith("accounts."), f"{read.name} returned nothing to check"
        companies = read.companies(result)
        if companies and isinstance(next(iter(companies)), str):  # company codes → ids
            companies = _company_ids_of_codes(world, companies)
        assert companies <= {actor.company_id}, f"{read.name} as {actor.label} returned rows of {companies}"
