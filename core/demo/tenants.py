"""Many sellers in one store, as the bank runs it: copies of a seller (its warehouses with their
closures, products and stock) under new company codes, for the multi-tenant benchmark
(bench/multi_tenant.py), which then gives each copy its own orders with core.demo.bulk.

Copies are written with bulk INSERTs (a few statements per table, not an object per row); each copy
is whitelisted, has no users and no logo, and its products and stock are the template's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from core.clock import require_aware
from core.store.database import Store
from core.store.models import Company, Product, StockLevel, Warehouse, WarehouseClosure

BATCH = 2_000


def seller_code(number: int) -> str:
    """The company code of copy `number` (1-based): SELLER0001, SELLER0002, ..."""
    return f"SELLER{number:04d}"


def add_sellers(store: Store, *, template: str, count: int, now: datetime) -> list[str]:
    """`count` new whitelisted sellers like `template`; returns their company codes."""
    now = require_aware(now)
    codes = [seller_code(n) for n in range(1, count + 1)]
    with store.transaction() as session:
        company = session.scalar(select(Company).where(Company.company_code == template))
        if company is None:
            raise ValueError(f"there is no company {template}")
        warehouses = list(session.scalars(select(Warehouse).where(Warehouse.company_id == company.id)))
        products = list(session.scalars(select(Product).where(Product.company_id == company.id)))
        closures = list(
            session.scalars(
                select(WarehouseClosure).where(WarehouseClosure.warehouse_id.in_([w.id for w in warehouses]))
            )
        )
        stock = list(session.scalars(select(StockLevel).where(StockLevel.warehouse_id.in_([w.id for w in warehouses]))))
        for begin in range(0, count, BATCH):
            part = codes[begin : begin + BATCH]
            company_ids = _insert(
                session,
                Company,
                [
                    {
                        "company_code": code,
                        "name": f"{company.name} {code}",
                        "is_whitelisted": True,
                        "description": company.description,
                        "contact_phone": company.contact_phone,
                        "payout_bank_name": company.payout_bank_name,
                        "payout_account_number": company.payout_account_number,
                        "payout_account_holder": company.payout_account_holder,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for code in part
                ],
            )
            warehouse_ids = _insert(
                session,
                Warehouse,
                [_copied(w, company_id=c, created_at=now, updated_at=now) for c in company_ids for w in warehouses],
            )
            product_ids = _insert(
                session,
                Product,
                [
                    _copied(p, company_id=c, created_at=now, updated_at=now, image=None, image_mime=None)
                    for c in company_ids
                    for p in products
                ],
            )
            # Each copy's rows came back in the order given: the n-th copy's k-th warehouse / product.
            new_warehouse = {
                (n, w.id): warehouse_ids[n * len(warehouses) + k]
                for n in range(len(part))
                for k, w in enumerate(warehouses)
            }
            new_product = {
                (n, p.id): product_ids[n * len(products) + k] for n in range(len(part)) for k, p in enumerate(products)
            }
            _insert(
                session,
                WarehouseClosure,
                [
                    _copied(c, warehouse_id=new_warehouse[(n, c.warehouse_id)])
                    for n in range(len(part))
                    for c in closures
                ],
            )
            _insert(
                session,
                StockLevel,
                [
                    _copied(
                        s,
                        warehouse_id=new_warehouse[(n, s.warehouse_id)],
                        product_id=new_product[(n, s.product_id)],
                        reserved=0,
                        updated_at=now,
                    )
                    for n in range(len(part))
                    for s in stock
                ],
            )
    return codes


def _copied(row, **changes) -> dict:
    """The row's columns but its id, with `changes`."""
    values = {column.key: getattr(row, column.key) for column in row.__table__.columns if column.key != "id"}
    return values | changes


def _insert(session, model, rows: list[dict]) -> list[int]:
    """Bulk insert; the new ids in the order of `rows`."""
    if not rows:
        return []
    ids = session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows).all()
    return list(ids)
