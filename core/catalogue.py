"""The catalogue: products, and their stock and price per warehouse."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from core.access import Actor, require_role
from core.clock import require_aware
from core.domain import Role
from core.errors import InvalidInput, NotFound
from core.models import Product, StockLevel, Warehouse
from core.store import Store

MAX_RECEIPT = 1_000_000


def receive_stock(store: Store, actor: Actor, sku: str, warehouse_code: str, quantity: int, now: datetime) -> int:
    """Goods arrived at a warehouse: on hand grows by `quantity`. Returns the new on-hand figure."""
    require_role(actor, Role.PRODUCT_MANAGER, doing="receive stock")
    now = require_aware(now)
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_RECEIPT:
        raise InvalidInput(f"A stock receipt must be a whole number from 1 to {MAX_RECEIPT:,}.", field="quantity")
    with store.transaction() as session:
        level_id = session.scalar(
            select(StockLevel.id).join(Product, Product.id == StockLevel.product_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Product.company_id == actor.company_id, Warehouse.company_id == actor.company_id,
                   Product.sku == sku, Warehouse.code == warehouse_code))
        if level_id is None:
            raise NotFound(f"Product {sku} is not stocked in warehouse {warehouse_code}.")
        return session.execute(
            update(StockLevel).where(StockLevel.id == level_id)
            .values(on_hand=StockLevel.on_hand + quantity, updated_at=now).returning(StockLevel.on_hand)).scalar_one()
