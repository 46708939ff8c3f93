"""Shared test builders: the small seller world most core tests start from, the steps that move an
order along it, the catalogue's state, and the accounts world. Tests import these from here, never
from each other.

The world: ACME01 (whitelisted) with a Product Manager and a System Administrator, a Jakarta warehouse
(Mon–Fri 08:00–17:00 WIB), two products; approved and unapproved buyers; a second company OTHER02."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time as timing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone

from PIL import Image
from sqlalchemy import func, select

from core.accounts import audit, login
from core.accounts.hashing import hash_password
from core.acting import Actor
from core.config import PROJECT_ROOT
from core.domain import OrderStatus, Role, UserStatus, WarehouseStatus
from core.orders import buyer_channel as buyers
from core.orders import seller
from core.orders.buyer_channel import OrderLine
from core.orders.lifecycle import Step
from core.store.database import Store
from core.store.models import (
    Buyer,
    Company,
    Order,
    OrderEvent,
    OrderItem,
    PriceChange,
    Product,
    StockLevel,
    User,
    Warehouse,
)

WIB = timezone(timedelta(hours=7))


@dataclass
class World:
    store: object
    pm: Actor
    admin: Actor
    other_pm: Actor
    company_code: str = "ACME01"
    warehouse_code: str = "JKT-1"
    buyer_code: str = "BUY-1"

    def stock(self, sku: str = "RICE-5") -> tuple[int, int]:
        """(on_hand, reserved) of a product in the Jakarta warehouse."""
        with self.store.reading() as session:
            level = session.scalar(
                select(StockLevel).join(Product).where(Product.sku == sku, Product.company_id == self.pm.company_id)
            )
            return level.on_hand, level.reserved


def _company(session, code, now, whitelisted=True):
    company = Company(
        company_code=code,
        name=f"{code} Tbk",
        is_whitelisted=whitelisted,
        created_at=now,
        updated_at=now,
        payout_bank_name="Bank Mandiri",
        payout_account_number="1234567890",
        payout_account_holder=f"{code} Tbk",
    )
    session.add(company)
    session.flush()
    return company


def _user(session, company, code, role, now) -> Actor:
    user = User(
        company_id=company.id,
        user_code=code,
        display_name=code,
        role=role,
        password_hash="x",
        password_changed_at=now,
        must_change_password=False,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return Actor(user.id, company.id, company.company_code, code, role, code)


def _warehouse(session, company, code, now, zone="Asia/Jakarta"):
    warehouse = Warehouse(
        company_id=company.id,
        code=code,
        name=code,
        time_zone=zone,
        operating_days="0,1,2,3,4",
        opens_at=time(8),
        closes_at=time(17),
        processing_days=2,
        delivery_sla_days=3,
        created_at=now,
        updated_at=now,
    )
    session.add(warehouse)
    session.flush()
    return warehouse


def _product(session, company, warehouse, sku, price, on_hand, now):
    product = Product(company_id=company.id, sku=sku, name=f"Product {sku}", unit="pcs", created_at=now, updated_at=now)
    session.add(product)
    session.flush()
    session.add(
        StockLevel(
            product_id=product.id, warehouse_id=warehouse.id, on_hand=on_hand, reserved=0, price=price, updated_at=now
        )
    )


def build_world(store) -> World:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    with store.transaction() as session:
        company = _company(session, "ACME01", created)
        pm = _user(session, company, "pm", Role.PRODUCT_MANAGER, created)
        admin = _user(session, company, "admin", Role.SYSTEM_ADMINISTRATOR, created)
        warehouse = _warehouse(session, company, "JKT-1", created)
        _product(session, company, warehouse, "RICE-5", 75_000, 100, created)
        _product(session, company, warehouse, "OIL-2", 36_500, 10, created)
        other = _company(session, "OTHER02", created)
        other_pm = _user(session, other, "pm", Role.PRODUCT_MANAGER, created)
        other_wh = _warehouse(session, other, "JKT-1", created)
        _product(session, other, other_wh, "RICE-5", 70_000, 50, created)
        session.add_all(
            [
                Buyer(buyer_code="BUY-1", name="Toko Makmur", created_at=created),
                Buyer(buyer_code="BUY-2", name="Warung Jaya", created_at=created),
                Buyer(buyer_code="BUY-X", name="Kios Ditolak", is_approved=False, created_at=created),
            ]
        )
    return World(store=store, pm=pm, admin=admin, other_pm=other_pm)


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


def at_once(database_url: str, count: int, action) -> list:
    """Run `action(store, index)` in `count` threads released at the same instant, each with its
    own Store (its own connections), as separate processes would; return each call's result or the
    exception it raised, in index order."""
    stores = [Store(database_url) for _ in range(count)]
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = action(stores[index], index)
        except Exception as exc:  # the caller judges which exceptions are allowed
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for store in stores:
        store.dispose()
    return outcomes


# --- moving an order along ------------------------------------------------------------------------

MONDAY_10 = wib(2026, 11, 23, 10, 0)


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


def place(world, quantity=2, sku="RICE-5", at=MONDAY_10, buyer="BUY-1"):
    return buyers.place_order(
        world.store,
        buyer_code=buyer,
        company_code="ACME01",
        warehouse_code="JKT-1",
        lines=[OrderLine(sku, quantity)],
        now=at,
    )


def status_of(world, number) -> OrderStatus:
    with world.store.reading() as session:
        return session.scalar(select(Order.status).where(Order.order_number == number))


def events_of(world, number) -> list[tuple]:
    with world.store.reading() as session:
        return session.execute(
            select(OrderEvent.from_status, OrderEvent.to_status, OrderEvent.actor_kind)
            .join(Order)
            .where(Order.order_number == number)
            .order_by(OrderEvent.id)
        ).all()


def items_of(world, number) -> set[int]:
    with world.store.reading() as session:
        return set(session.scalars(select(OrderItem.id).join(Order).where(Order.order_number == number)))


def ship(world, number, at):
    seller.mark_packed(world.store, world.pm, number, items_of(world, number), at)
    seller.ship_order(
        world.store,
        world.pm,
        number,
        courier="JNE",
        tracking_number="JNE-123456",
        photo=photo(),
        photo_name="proof.jpg",
        now=at,
    )


# --- the catalogue: its state, stock levels, another warehouse -------------------------------------


def catalogue_snapshot(store) -> dict:
    """Everything a catalogue call may touch, to prove a refusal changed nothing."""
    with store.reading() as session:
        return {
            "products": sorted(
                session.execute(
                    select(
                        Product.company_id,
                        Product.sku,
                        Product.name,
                        Product.unit,
                        Product.description,
                        Product.status,
                        Product.image_mime,
                    )
                )
            ),
            "levels": sorted(
                session.execute(
                    select(
                        StockLevel.product_id,
                        StockLevel.warehouse_id,
                        StockLevel.on_hand,
                        StockLevel.reserved,
                        StockLevel.price,
                    )
                )
            ),
            "prices": session.scalar(select(func.count(PriceChange.id))),
        }


def stock_level(world, sku="RICE-5", warehouse="JKT-1") -> tuple[int, int, int]:
    """(on hand, reserved, price) of an ACME01 product in one of its warehouses."""
    with world.store.reading() as session:
        return session.execute(
            select(StockLevel.on_hand, StockLevel.reserved, StockLevel.price)
            .join(Product, Product.id == StockLevel.product_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Product.company_id == world.pm.company_id, Product.sku == sku, Warehouse.code == warehouse)
        ).one()


def add_warehouse(world, code="MKS-1", zone="Asia/Makassar", *, open_=True) -> None:
    """Another ACME01 warehouse (08:00–17:00 in its zone), open or closed, stocking nothing yet."""
    with world.store.transaction() as session:
        session.add(
            Warehouse(
                company_id=world.pm.company_id,
                code=code,
                name=code,
                time_zone=zone,
                opens_at=time(8),
                closes_at=time(17),
                created_at=MONDAY_10,
                updated_at=MONDAY_10,
                status=WarehouseStatus.OPEN if open_ else WarehouseStatus.CLOSED,
            )
        )


# --- accounts ---------------------------------------------------------------------------------

PASSWORD = "Kebun-Kopi-2026"
OPERATOR = "rm.sari"


# The accounts world (seed): ACME01 (whitelisted) with a Product Manager and a System Administrator,
# GHOST03 (a cash-management customer, not whitelisted) with one user.


def add_company(store: Store, code: str, now: datetime, *, whitelisted: bool = True) -> int:
    with store.transaction() as session:
        company = Company(
            company_code=code, name=f"{code} Tbk", is_whitelisted=whitelisted, created_at=now, updated_at=now
        )
        session.add(company)
        session.flush()
        return company.id


def add_user(
    store: Store,
    company_code: str,
    user_code: str,
    role: Role,
    now: datetime,
    *,
    password: str = PASSWORD,
    changed_days_ago: int = 1,
    must_change: bool = False,
) -> int:
    with store.transaction() as session:
        company = login.find_company(session, company_code)
        user = User(
            company_id=company.id,
            user_code=user_code,
            display_name=user_code.title(),
            role=role,
            password_hash=hash_password(password),
            status=UserStatus.ACTIVE,
            password_changed_at=now - timedelta(days=changed_days_ago),
            must_change_password=must_change,
            created_at=now - timedelta(days=100),
        )
        session.add(user)
        session.flush()
        return user.id


def seed(store: Store, now: datetime) -> None:
    add_company(store, "ACME01", now)
    add_user(store, "ACME01", "pm", Role.PRODUCT_MANAGER, now)
    add_user(store, "ACME01", "admin", Role.SYSTEM_ADMINISTRATOR, now)
    add_company(store, "GHOST03", now, whitelisted=False)
    add_user(store, "GHOST03", "admin", Role.SYSTEM_ADMINISTRATOR, now)


def user_row(store: Store, company_code: str, user_code: str) -> User:
    with store.reading() as session:
        return login.find_user(session, login.find_company(session, company_code), user_code)


def audit_actions(store: Store, prefix: str = "") -> list[str]:
    with store.reading() as session:
        return [e.action for e in reversed(audit.entries(session, action_prefix=prefix or None))]


# --- commands, as an operator runs them -------------------------------------------------------------


def run(module: str, *args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "KOPRA_BCRYPT_ROUNDS": "4", **env}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_clear_sentence(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert words in lines[0]


def count_bcrypt_checks(monkeypatch) -> list[int]:
    """A one-item list that counts every bcrypt verification from now on (the login's work)."""
    import bcrypt

    calls = [0]
    real = bcrypt.checkpw

    def counting(password, hashed):
        calls[0] += 1
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return calls


# --- the HTTP API in this process -----------------------------------------------------------------


@contextmanager
def serve_asgi(app) -> Iterator[str]:
    """`app` under uvicorn in a thread of this process, on a free port of 127.0.0.1; yields its URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = timing.monotonic() + 10
    while not server.started and timing.monotonic() < deadline:
        timing.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def api_wiring(store: Store):
    """What the API app needs of the wiring in tests: the store (settings are the defaults)."""
    from core.bootstrap import Wiring
    from core.config import Settings

    return Wiring(settings=Settings(data_dir=None, database_url=store.database_url), store=store, analytics=None)  # type: ignore[arg-type]


# --- one order or a batch: twin warehouses for comparing the two shapes of a step ----------------------


def twin_warehouse(world) -> None:
    """JKT-2: the same calendar, products and stock as JKT-1."""
    with world.store.transaction() as session:
        first = session.scalar(
            select(Warehouse).where(Warehouse.code == "JKT-1", Warehouse.company_id == world.pm.company_id)
        )
        columns = {c.key: getattr(first, c.key) for c in Warehouse.__table__.columns if c.key != "id"}
        second = Warehouse(**{**columns, "code": "JKT-2", "name": "JKT-2"})
        session.add(second)
        session.flush()
        for level in session.scalars(select(StockLevel).where(StockLevel.warehouse_id == first.id)):
            session.add(
                StockLevel(
                    product_id=level.product_id,
                    warehouse_id=second.id,
                    on_hand=level.on_hand,
                    reserved=level.reserved,
                    price=level.price,
                    updated_at=level.updated_at,
                )
            )


def order_due_for(world, warehouse_code: str, step: Step) -> str:
    """An order brought to `step`'s source status through the services."""
    number = buyers.place_order(
        world.store,
        buyer_code="BUY-1",
        company_code="ACME01",
        warehouse_code=warehouse_code,
        lines=[buyers.OrderLine("RICE-5", 3), buyers.OrderLine("OIL-2", 1)],
        now=MONDAY_10,
    ).order_number
    if step == Step.AUTO_CANCEL:
        return number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    seller.mark_packed(world.store, world.pm, number, items_of(world, number), MONDAY_10)
    seller.ship_order(
        world.store,
        world.pm,
        number,
        courier="JNE",
        tracking_number="JNE-123456",
        photo=photo(),
        photo_name="proof.jpg",
        now=MONDAY_10,
    )
    delivered = MONDAY_10 + timedelta(hours=5)
    buyers.mark_delivered(world.store, order_number=number, now=delivered)
    if step == Step.AUTO_REFUND:
        buyers.file_complaint(
            world.store,
            buyer_code="BUY-1",
            order_number=number,
            description="Wet cartons",
            now=delivered + timedelta(hours=1),
        )
    return number
