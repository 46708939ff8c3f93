"""The warehouse list both roles read, and what the System Administrator does to warehouses: add,
modify (name, address, time zone, delivery SLA), close and reopen.

Each service is one unit of work through `acting`; typed input is checked after the role and
before the store is touched. A refusal leaves the store unchanged.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.acting import Actor, acting, require_role
from core.domain import Role, WarehouseStatus
from core.errors import DomainError, InvalidInput
from core.i18n import N_, Message, _, _n
from core.orders.lifecycle import OPEN_STATUSES
from core.store.database import Store
from core.store.models import Order, Product, StockLevel, Warehouse
from core.warehouses.records import apply_change, described, own_warehouse, record, view_of, views_of
from core.warehouses.rules import (
    DEFAULT_PROCESSING_DAYS,
    DEFAULT_SLA_DAYS,
    NAMED_BLOCKERS,
    WarehouseUpdate,
    WarehouseView,
    check_hours,
    check_sla,
    check_time_zone,
    clean_address,
    clean_code,
    clean_name,
    clean_operating_days,
)

ADMIN = Role.SYSTEM_ADMINISTRATOR
PM = Role.PRODUCT_MANAGER


class ClosingRefused(DomainError):
    """The warehouse still has open orders or reserved stock; the message names them."""

    def __init__(self, message: str | Message, open_orders: list[str], reserved: dict[str, int]):
        super().__init__(message)
        self.open_orders = open_orders
        self.reserved = reserved


# --- Reading (both roles) ------------------------------------------------------------------------


def list_warehouses(store: Store, actor: Actor, now: datetime) -> list[WarehouseView]:
    """The company's warehouses by code, open and closed, with open orders and reserved units."""
    with acting(store, actor, ADMIN, PM, doing=N_("see the warehouse list"), now=now, write=False) as (
        session,
        _user,
        now,
    ):
        return views_of(session, actor, now)


def get_warehouse(store: Store, actor: Actor, code: str, now: datetime) -> WarehouseView:
    with acting(store, actor, ADMIN, PM, doing=N_("see a warehouse"), now=now, write=False) as (session, _user, now):
        return view_of(session, actor, own_warehouse(session, actor, code), now)


# --- Add and modify ------------------------------------------------------------------------------


def _code_taken(code: str) -> InvalidInput:
    return InvalidInput(
        _("Your company already has a warehouse with the code {code}; choose another code.", code=code), field="code"
    )


def _refuse_a_name_in_use(session: Session, actor: Actor, name: str, *, other_than: int | None = None) -> None:
    """Two warehouses of one company may not share a name: staff, reports and buyers tell them apart
    by it (the same letters in any case and spacing count as the same name)."""
    query = select(Warehouse.code).where(
        Warehouse.company_id == actor.company_id, func.lower(Warehouse.name) == name.lower()
    )
    if other_than is not None:
        query = query.where(Warehouse.id != other_than)
    holder = session.scalar(query)
    if holder is not None:
        raise InvalidInput(
            _(
                "Your warehouse {code} is already named {name}; give this one a name of its own.",
                code=holder,
                name=name,
            ),
            field="name",
        )


def add_warehouse(
    store: Store,
    actor: Actor,
    *,
    code: str,
    name: str,
    time_zone: str,
    opens_at: time,
    closes_at: time,
    operating_days,
    delivery_sla_days: int = DEFAULT_SLA_DAYS,
    address: str = "",
    now: datetime,
) -> WarehouseView:
    """A new, open warehouse with the default processing time (2 business days); it observes
    cuti bersama until the Product Manager says otherwise."""
    require_role(actor, ADMIN, doing=N_("add warehouses"))
    code, name, address = clean_code(code), clean_name(name), clean_address(address)
    time_zone = check_time_zone(time_zone)
    check_hours(opens_at, closes_at)
    days, sla = clean_operating_days(operating_days), check_sla(delivery_sla_days)
    with acting(store, actor, ADMIN, doing=N_("add warehouses"), now=now) as (session, _user, now):
        taken = session.scalar(
            select(Warehouse.id).where(Warehouse.company_id == actor.company_id, func.upper(Warehouse.code) == code)
        )
        if taken is not None:
            raise _code_taken(code)
        _refuse_a_name_in_use(session, actor, name)
        warehouse = Warehouse(
            company_id=actor.company_id,
            code=code,
            name=name,
            address=address,
            time_zone=time_zone,
            operating_days=days,
            opens_at=opens_at,
            closes_at=closes_at,
            processing_days=DEFAULT_PROCESSING_DAYS,
            delivery_sla_days=sla,
            observe_joint_leave=True,
            status=WarehouseStatus.OPEN,
            created_at=now,
            updated_at=now,
        )
        session.add(warehouse)
        try:
            session.flush()
        except IntegrityError:  # a colleague added the same code a moment ago
            raise _code_taken(code) from None
        record(session, actor, now, "warehouse.added", code, settings=described(warehouse))
        return view_of(session, actor, warehouse, now)


def modify_warehouse(
    store: Store,
    actor: Actor,
    code: str,
    *,
    name: str,
    address: str,
    time_zone: str,
    delivery_sla_days: int,
    now: datetime,
) -> WarehouseUpdate:
    """Change what the System Administrator owns: name, address, time zone and delivery SLA.
    The code stays: orders, stock and the buyer app refer to the warehouse by it."""
    require_role(actor, ADMIN, doing=N_("modify warehouses"))
    values = {
        "name": clean_name(name),
        "address": clean_address(address),
        "time_zone": check_time_zone(time_zone),
        "delivery_sla_days": check_sla(delivery_sla_days),
    }
    with acting(store, actor, ADMIN, doing=N_("modify warehouses"), now=now) as (session, _user, now):
        warehouse = own_warehouse(session, actor, code, lock=True)
        _refuse_a_name_in_use(session, actor, str(values["name"]), other_than=warehouse.id)
        return apply_change(session, actor, warehouse, values, now, "warehouse.modified")


# --- Close and reopen ----------------------------------------------------------------------------


def _named(items: list[str] | list[Message]) -> Message:
    """'KP-1, KP-2, KP-3, KP-4, KP-5 and 2 more': the first few of a list, and how many more, each
    item read in the reader's language (the commas' pattern itself is no text to translate)."""
    first = items[:NAMED_BLOCKERS]
    shown = Message(", ".join(f"{{item{n}}}" for n in range(len(first))), {f"item{n}": v for n, v in enumerate(first)})
    if len(items) <= NAMED_BLOCKERS:
        return shown
    return _n("{items} and {count} more", "{items} and {count} more", len(items) - NAMED_BLOCKERS, items=shown)


def _closing_blockers(session: Session, actor: Actor, warehouse: Warehouse) -> tuple[list[str], dict[str, int]]:
    orders = list(
        session.scalars(
            select(Order.order_number)
            .where(
                Order.company_id == actor.company_id,
                Order.warehouse_id == warehouse.id,
                Order.status.in_(OPEN_STATUSES),
            )
            .order_by(Order.placed_at, Order.id)
        )
    )
    reserved = dict(
        session.execute(
            select(Product.sku, StockLevel.reserved)
            .join(Product, Product.id == StockLevel.product_id)
            .where(StockLevel.warehouse_id == warehouse.id, StockLevel.reserved > 0)
            .order_by(Product.sku)
        ).all()
    )
    return orders, reserved


def _closing_refusal(code: str, orders: list[str], reserved: dict[str, int]) -> ClosingRefused:
    """The refusal naming what stands in the way: open orders, reserved stock or both."""
    listed = _n(
        "{count} open order ({numbers})", "{count} open orders ({numbers})", len(orders), numbers=_named(orders)
    )
    held = _named(
        [_n("{sku} ({count} unit)", "{sku} ({count} units)", units, sku=sku) for sku, units in reserved.items()]
    )
    if orders and reserved:
        said = _(
            "Warehouse {code} cannot be closed yet: it has {orders} and reserved stock of {stock}. Finish these "
            "orders (or let them end) first, then close it.",
            code=code,
            orders=listed,
            stock=held,
        )
    elif orders:
        said = _(
            "Warehouse {code} cannot be closed yet: it has {orders}. Finish these orders (or let them end) first, "
            "then close it.",
            code=code,
            orders=listed,
        )
    else:
        said = _(
            "Warehouse {code} cannot be closed yet: it has reserved stock of {stock}. Finish these orders (or let "
            "them end) first, then close it.",
            code=code,
            stock=held,
        )
    return ClosingRefused(said, orders, reserved)


def close_warehouse(store: Store, actor: Actor, code: str, now: datetime) -> WarehouseView:
    """Close a warehouse: it takes no new orders. Refused while it has open orders or reserved stock."""
    with acting(store, actor, ADMIN, doing=N_("close warehouses"), now=now) as (session, _user, now):
        # Locked so two administrators, or a close and a reopen, cannot interleave.
        warehouse = own_warehouse(session, actor, code, lock=True)
        if warehouse.status == WarehouseStatus.CLOSED:
            raise InvalidInput(_("Warehouse {code} is already closed.", code=warehouse.code), field="status")
        orders, reserved = _closing_blockers(session, actor, warehouse)
        if orders or reserved:
            raise _closing_refusal(warehouse.code, orders, reserved)
        warehouse.status, warehouse.updated_at = WarehouseStatus.CLOSED, now
        record(session, actor, now, "warehouse.closed", warehouse.code)
        return view_of(session, actor, warehouse, now)


def reopen_warehouse(store: Store, actor: Actor, code: str, now: datetime) -> WarehouseView:
    """A closed warehouse takes orders again, with the settings it had."""
    with acting(store, actor, ADMIN, doing=N_("reopen warehouses"), now=now) as (session, _user, now):
        warehouse = own_warehouse(session, actor, code, lock=True)
        if warehouse.status == WarehouseStatus.OPEN:
            raise InvalidInput(_("Warehouse {code} is already open.", code=warehouse.code), field="status")
        warehouse.status, warehouse.updated_at = WarehouseStatus.OPEN, now
        record(session, actor, now, "warehouse.reopened", warehouse.code)
        return view_of(session, actor, warehouse, now)
