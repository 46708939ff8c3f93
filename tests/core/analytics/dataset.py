"""A small known dataset for the analytics tests, built with ORM rows straight into the store.

The lifecycle services are not used: rows are written as the lifecycle would leave them, with
the fields that the figures read spelled out (see `add_order`). Two companies, so every test can
also check that one never sees the other's rows; warehouses in WIB and WIT, so local dates differ
from UTC dates near midnight. Each company has a Product Manager, user "pm" (`CompanyRows.actor`):
the analytics services reload the acting user from the store on every call.

`contents` and `assert_same` compare two snapshots table by table (incremental sync = rebuild).

Field meanings the figures rely on:
- accepted_at set  <=> the seller accepted (even if the order later failed);
- status REJECTED (failure_kind REJECTED_BY_SELLER): the seller rejected;
- status CANCELLED + failure_kind CANCELLED_BY_SYSTEM: nobody answered by confirm_deadline;
- packed_at vs pack_deadline: on time when packed_at <= pack_deadline;
- delivered_at vs delivery_deadline: on time when delivered_at <= delivery_deadline;
- a Complaint row: the buyer complained (only after shipping);
- a Refund row: money back (REFUNDED orders); a Payout row: every COMPLETED order, PENDING or PAID.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from core.acting import Actor
from core.analytics.snapshots import AnalyticsStore
from core.domain import ComplaintResolution, FailureKind, OrderStatus, PayoutStatus, Role
from core.store.database import Store
from core.store.models import Buyer, Company, Complaint, Order, OrderItem, Payout, Product, Refund, User, Warehouse

H = timedelta(hours=1)

FATES = (
    "pending",
    "rejected",
    "auto_cancelled",
    "buyer_cancelled_pending",
    "processing",
    "processing_cancelled_late",
    "ready",
    "shipped",
    "delivered",
    "complained",
    "return_requested",
    "refunded",
    "auto_refunded",
    "completed_pending_payout",
    "completed_paid",
)


@dataclass
class CompanyRows:
    id: int
    code: str
    warehouses: list[tuple[int, str, str]]  # (id, code, time_zone)
    products: list[tuple[int, str, str, int]]  # (id, sku, name, price)
    pm_user_id: int  # the company's Product Manager, "pm": the analytics services reload them
    order_ids: list[int] = field(default_factory=list)

    def actor(self, role: Role = Role.PRODUCT_MANAGER) -> Actor:
        """The company's user "pm" acting with `role` (another role is refused before any I/O)."""
        return Actor(
            user_id=self.pm_user_id,
            company_id=self.id,
            company_code=self.code,
            user_code="pm",
            role=role,
            display_name="Test PM",
        )


@dataclass
class Dataset:
    a: CompanyRows
    b: CompanyRows
    buyers: list[int]
    now: datetime


def _company(
    session, code: str, now: datetime, zones: list[tuple[str, str]], products: list[tuple[str, str, int]]
) -> CompanyRows:
    company = Company(company_code=code, name=f"PT {code}", is_whitelisted=True, created_at=now, updated_at=now)
    session.add(company)
    session.flush()
    pm = User(
        company_id=company.id,
        user_code="pm",
        display_name="Test PM",
        role=Role.PRODUCT_MANAGER,
        password_hash="x",
        password_changed_at=now,
        must_change_password=False,
        created_at=now,
    )
    session.add(pm)
    session.flush()
    warehouses = []
    for wcode, zone in zones:
        warehouse = Warehouse(
            company_id=company.id,
            code=wcode,
            name=f"Gudang {wcode}",
            time_zone=zone,
            opens_at=time(8),
            closes_at=time(17),
            created_at=now,
            updated_at=now,
        )
        session.add(warehouse)
        session.flush()
        warehouses.append((warehouse.id, wcode, zone))
    rows = []
    for sku, name, price in products:
        product = Product(company_id=company.id, sku=sku, name=name, created_at=now, updated_at=now)
        session.add(product)
        session.flush()
        rows.append((product.id, sku, name, price))
    return CompanyRows(company.id, code, warehouses, rows, pm.id)


def add_order(
    session,
    rng: random.Random,
    company: CompanyRows,
    buyer_id: int,
    placed_at: datetime,
    fate: str,
    *,
    number: str,
    warehouse: tuple[int, str, str] | None = None,
) -> Order:
    """One order as the lifecycle would have left it in `fate`, with items, and its money rows."""
    warehouse = warehouse or rng.choice(company.warehouses)
    lines = rng.sample(company.products, k=rng.randint(1, min(3, len(company.products))))
    items = []
    for product_id, sku, name, price in lines:
        quantity = rng.randint(1, 5)
        items.append(
            OrderItem(
                product_id=product_id,
                sku=sku,
                product_name=name,
                quantity=quantity,
                unit_price=price,
                line_total=quantity * price,
            )
        )
    total = sum(item.line_total for item in items)
    order = Order(
        order_number=number,
        company_id=company.id,
        warehouse_id=warehouse[0],
        buyer_id=buyer_id,
        status=OrderStatus.PENDING_CONFIRMATION,
        total_amount=total,
        item_count=sum(item.quantity for item in items),
        placed_at=placed_at,
        confirm_deadline=placed_at + 24 * H,
        updated_at=placed_at,
        items=items,
    )
    t = placed_at

    def close(status: OrderStatus, kind: FailureKind | None, at: datetime) -> None:
        order.status, order.failure_kind, order.closed_at = status, kind, at
        if kind:
            order.failure_reason = kind.value.lower()

    if fate == "pending":
        pass
    elif fate == "rejected":
        close(OrderStatus.REJECTED, FailureKind.REJECTED_BY_SELLER, t + rng.randint(1, 20) * H)
    elif fate == "auto_cancelled":
        close(OrderStatus.CANCELLED, FailureKind.CANCELLED_BY_SYSTEM, order.confirm_deadline + timedelta(seconds=30))
    elif fate == "buyer_cancelled_pending":
        close(OrderStatus.CANCELLED, FailureKind.CANCELLED_BY_BUYER, t + rng.randint(1, 10) * H)
    else:
        order.accepted_at = t + timedelta(minutes=rng.randint(5, 23 * 60))
        order.status = OrderStatus.PROCESSING
        order.pack_deadline = order.accepted_at + 48 * H
        packed_late = rng.random() < 0.25
        packed_at = order.pack_deadline + (rng.randint(1, 20) * H if packed_late else -rng.randint(1, 40) * H)
        if fate == "processing":
            pass
        elif fate == "processing_cancelled_late":
            close(OrderStatus.CANCELLED, FailureKind.CANCELLED_BY_BUYER, order.pack_deadline + 2 * H)
        else:
            order.packed_at = max(packed_at, order.accepted_at + H)
            order.status = OrderStatus.READY_TO_SHIP
            order.delivery_deadline = order.packed_at + 72 * H
            if fate != "ready":
                order.shipped_at = order.packed_at + rng.randint(1, 6) * H
                order.status = OrderStatus.SHIPPED
                delivered_late = rng.random() < 0.2
                delivered_at = order.delivery_deadline + (
                    rng.randint(1, 30) * H if delivered_late else -rng.randint(1, 60) * H
                )
                delivered_at = max(delivered_at, order.shipped_at + H)
                if fate in ("complained", "return_requested", "refunded", "auto_refunded"):
                    if rng.random() < 0.5:  # complaints come while shipped or after delivery
                        order.delivered_at = delivered_at
                        order.complete_deadline = delivered_at + 48 * H
                    filed = (order.delivered_at or order.shipped_at) + rng.randint(1, 20) * H
                    order.status = OrderStatus.COMPLAINED
                    order.complaint_deadline = filed + 48 * H
                    complaint = Complaint(description="Barang rusak", filed_at=filed, answer_deadline=filed + 48 * H)
                    order_complaint = complaint
                    if fate == "return_requested":
                        order.status = OrderStatus.RETURN_REQUESTED
                        complaint.resolution = ComplaintResolution.RETURN
                        complaint.answered_at = filed + 5 * H
                    elif fate in ("refunded", "auto_refunded"):
                        answered = filed + (48 * H + timedelta(seconds=20) if fate == "auto_refunded" else 6 * H)
                        complaint.resolution = (
                            ComplaintResolution.AUTO_REFUND if fate == "auto_refunded" else ComplaintResolution.REFUND
                        )
                        complaint.answered_at = answered
                        close(OrderStatus.REFUNDED, None, answered)
                    session.add(order)
                    session.flush()
                    order_complaint.order_id = order.id
                    session.add(order_complaint)
                    if order.status == OrderStatus.REFUNDED:
                        session.add(
                            Refund(
                                order_id=order.id,
                                company_id=company.id,
                                amount=total,
                                reason="complaint",
                                created_at=order.closed_at,
                            )
                        )
                elif fate != "shipped":
                    order.delivered_at = delivered_at
                    order.complete_deadline = delivered_at + 48 * H
                    order.status = OrderStatus.DELIVERED
                    if fate.startswith("completed"):
                        order.completed_at = delivered_at + rng.randint(1, 48) * H
                        order.status = OrderStatus.COMPLETED
    stamps = [
        order.placed_at,
        order.accepted_at,
        order.packed_at,
        order.shipped_at,
        order.delivered_at,
        order.completed_at,
        order.closed_at,
    ]
    order.updated_at = max(s for s in stamps if s is not None)
    session.add(order)
    session.flush()
    if order.status == OrderStatus.COMPLETED:
        paid = fate == "completed_paid"
        session.add(
            Payout(
                order_id=order.id,
                company_id=company.id,
                amount=total,
                trigger="buyer_confirmed",
                status=PayoutStatus.PAID if paid else PayoutStatus.PENDING,
                created_at=order.completed_at,
                paid_at=order.completed_at + H if paid else None,
                transfer_reference=f"TRF-{order.id:08d}" if paid else None,
            )
        )
    company.order_ids.append(order.id)
    return order


def build_dataset(store: Store, now: datetime, *, seed: int = 7, orders_a: int = 160, orders_b: int = 40) -> Dataset:
    rng = random.Random(seed)
    with store.transaction() as session:
        a = _company(
            session,
            "ALPHA01",
            now,
            [("JKT-01", "Asia/Jakarta"), ("JYP-01", "Asia/Jayapura")],
            [
                ("A-001", "Beras Premium 5 kg", 78_000),
                ("A-002", "Minyak Goreng 2 L", 36_500),
                ("A-003", "Gula Pasir 1 kg", 17_500),
                ("A-004", '=HYPERLINK("x")', 9_900),
            ],
        )
        b = _company(session, "BETA02", now, [("MKS-01", "Asia/Makassar")], [("B-001", "Semen 50 kg", 1_250_000)])
        buyers = []
        for n in range(1, 7):
            buyer = Buyer(
                buyer_code=f"LVM-{n:05d}",
                name=["Toko Berkah", "Warung Jaya", "+62 Grosir", "@Kios Mulia", '-Minimarket, "Abadi"', "UD Sentosa"][
                    n - 1
                ],
                created_at=now - timedelta(days=400),
            )
            session.add(buyer)
            session.flush()
            buyers.append(buyer.id)
        number = 0
        for company, count in ((a, orders_a), (b, orders_b)):
            for _ in range(count):
                number += 1
                fate = (
                    FATES[number % len(FATES)]
                    if number % 4
                    else rng.choice(("completed_paid", "completed_pending_payout", "completed_paid"))
                )
                placed = now - timedelta(days=rng.randint(0, 70), minutes=rng.randint(0, 24 * 60))
                add_order(session, rng, company, rng.choice(buyers), placed, fate, number=f"ORD-{number:06d}")
        # Edge cases by hand: local midnight. Completed at 17:30 UTC = 00:30 WIB / 02:30 WIT next day.
        edge_day = (now - timedelta(days=3)).replace(hour=17, minute=30, second=0, microsecond=0)
        for warehouse in a.warehouses:
            number += 1
            order = add_order(
                session,
                rng,
                a,
                buyers[0],
                edge_day - 100 * H,
                "completed_paid",
                number=f"ORD-{number:06d}",
                warehouse=warehouse,
            )
            shift = edge_day - order.completed_at
            session.execute(
                update(Payout).where(Payout.order_id == order.id).values(created_at=edge_day, paid_at=edge_day + H)
            )
            order.completed_at = edge_day
            order.updated_at = max(order.updated_at + shift, edge_day)
            order.delivered_at = min(order.delivered_at, edge_day - H)
    return Dataset(a=a, b=b, buyers=buyers, now=now)


def order_ids(store: Store, company_id: int) -> list[int]:
    with store.reading() as session:
        return list(session.scalars(select(Order.id).where(Order.company_id == company_id).order_by(Order.id)))


def advance_randomly(
    store: Store, rng: random.Random, dataset: Dataset, clock: datetime, changes: int = 25, jitter_s: int = 120
) -> int:
    """Move random orders one lifecycle step (as the services would), pay random payouts and
    place new orders. Each change is stamped `clock` minus up to `jitter_s` seconds, so rows do
    not arrive in the order of their clocks. Returns how many changes were made."""
    made = 0
    with store.transaction() as s:
        orders = list(
            s.scalars(
                select(Order).where(
                    Order.status.notin_(
                        [OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.REFUNDED]
                    )
                )
            )
        )
        rng.shuffle(orders)
        for order in orders[:changes]:
            stamp = clock - timedelta(seconds=rng.randint(0, jitter_s))
            status = order.status
            if status == OrderStatus.PENDING_CONFIRMATION:
                choice = rng.random()
                if choice < 0.7:
                    order.status, order.accepted_at, order.pack_deadline = OrderStatus.PROCESSING, stamp, stamp + 48 * H
                elif choice < 0.85:
                    order.status, order.failure_kind, order.closed_at = (
                        OrderStatus.REJECTED,
                        FailureKind.REJECTED_BY_SELLER,
                        stamp,
                    )
                else:
                    order.status, order.failure_kind, order.closed_at = (
                        OrderStatus.CANCELLED,
                        FailureKind.CANCELLED_BY_SYSTEM,
                        stamp,
                    )
            elif status == OrderStatus.PROCESSING:
                order.status, order.packed_at, order.delivery_deadline = (
                    OrderStatus.READY_TO_SHIP,
                    stamp,
                    stamp + 72 * H,
                )
            elif status == OrderStatus.READY_TO_SHIP:
                order.status, order.shipped_at = OrderStatus.SHIPPED, stamp
            elif status == OrderStatus.SHIPPED:
                if rng.random() < 0.8:
                    order.status, order.delivered_at, order.complete_deadline = (
                        OrderStatus.DELIVERED,
                        stamp,
                        stamp + 48 * H,
                    )
                else:
                    order.status, order.complaint_deadline = OrderStatus.COMPLAINED, stamp + 48 * H
                    s.add(
                        Complaint(
                            order_id=order.id, description="Kurang satu", filed_at=stamp, answer_deadline=stamp + 48 * H
                        )
                    )
            elif status == OrderStatus.DELIVERED:
                order.status, order.completed_at = OrderStatus.COMPLETED, stamp
                s.add(
                    Payout(
                        order_id=order.id,
                        company_id=order.company_id,
                        amount=order.total_amount,
                        trigger="buyer_confirmed",
                        status=PayoutStatus.PENDING,
                        created_at=stamp,
                    )
                )
            elif status in (OrderStatus.COMPLAINED, OrderStatus.RETURN_REQUESTED):
                if s.scalar(select(Refund.id).where(Refund.order_id == order.id)) is None:
                    order.status, order.closed_at = OrderStatus.REFUNDED, stamp
                    s.add(
                        Refund(
                            order_id=order.id,
                            company_id=order.company_id,
                            amount=order.total_amount,
                            reason="complaint",
                            created_at=stamp,
                        )
                    )
            else:
                continue
            order.updated_at = stamp
            made += 1
        # The disbursement step pays payouts without touching their orders.
        pending = list(s.scalars(select(Payout).where(Payout.status == PayoutStatus.PENDING)))
        for payout in rng.sample(pending, k=min(len(pending), max(1, changes // 5))):
            payout.status, payout.paid_at = PayoutStatus.PAID, clock
            payout.transfer_reference = f"TRF-{payout.order_id:08d}"
            made += 1
        next_number = (s.scalar(select(Order.id).order_by(Order.id.desc()).limit(1)) or 0) + 1
        for n in range(max(1, changes // 5)):
            company = rng.choice((dataset.a, dataset.b))
            add_order(
                s,
                rng,
                company,
                rng.choice(dataset.buyers),
                clock - timedelta(seconds=rng.randint(0, jitter_s)),
                "pending",
                number=f"NEW-{next_number + n:06d}",
            )
            made += 1
    return made


def load_dataset(store: Store, now: datetime) -> Dataset:
    """The Dataset handle of a store that build_dataset filled (e.g. in another process)."""
    with store.reading() as s:

        def rows(code: str) -> CompanyRows:
            company = s.scalar(select(Company).where(Company.company_code == code))
            warehouses = [
                (w.id, w.code, w.time_zone)
                for w in s.scalars(select(Warehouse).where(Warehouse.company_id == company.id).order_by(Warehouse.id))
            ]
            products = [
                (p.id, p.sku, p.name, 10_000)
                for p in s.scalars(select(Product).where(Product.company_id == company.id).order_by(Product.id))
            ]
            pm = s.scalar(select(User.id).where(User.company_id == company.id, User.user_code == "pm"))
            return CompanyRows(company.id, code, warehouses, products, pm)

        buyers = list(s.scalars(select(Buyer.id).order_by(Buyer.id)))
        return Dataset(rows("ALPHA01"), rows("BETA02"), buyers, now)


# --------------------------------------------------------------------------- comparing snapshots

#: The snapshot's tables, each in a fixed order, as two snapshots of the same store must agree on them.
TABLES = {
    "orders": "SELECT * EXCLUDE (utc_offset_min) FROM orders ORDER BY id",
    "sales_lines": "SELECT * FROM sales_lines ORDER BY item_id",
    "warehouses": "SELECT * FROM warehouses ORDER BY id",
    "products": "SELECT * FROM products ORDER BY id",
    "buyers": "SELECT * FROM buyers ORDER BY id",
    "companies": "SELECT * FROM companies ORDER BY id",
    "open_orders": "SELECT * FROM open_orders ORDER BY id",
    "daily_completed": "SELECT * FROM daily_completed ORDER BY company_id, warehouse_id, day",
    "daily_placed": "SELECT * FROM daily_placed ORDER BY company_id, warehouse_id, day, status",
    "daily_products": "SELECT * FROM daily_products ORDER BY company_id, warehouse_id, day, product_id",
    "daily_waits": "SELECT * FROM daily_waits ORDER BY company_id, warehouse_id, day, wait_band",
}


def contents(analytics: AnalyticsStore) -> dict[str, list[tuple]]:
    """Every row of the current snapshot's tables (TABLES)."""
    with analytics.reading() as snap:
        return {name: snap.con.execute(sql).fetchall() for name, sql in TABLES.items()}


def assert_same(left: dict, right: dict) -> None:
    """Two snapshots' `contents` are equal, table by table and row by row."""
    for name in TABLES:
        assert len(left[name]) == len(right[name]), name
        for a, b in zip(left[name], right[name]):
            assert a == b, f"{name}: {a} != {b}"
