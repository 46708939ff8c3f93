"""Saving planned stock and price changes inside the caller's unit of work: guarded updates of
existing stock levels, new stock levels, one price-history row per price change, and the audit
line every catalogue change leaves.

Stock edits race with orders (a buyer may reserve while the manager types). Each write is a
guarded UPDATE: it only lands if on hand / price are still what the change was planned from and
the new on hand still covers what is reserved; otherwise the save raises, the whole unit of work
rolls back, and the manager is told what moved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from core.accounts import audit
from core.acting import Actor
from core.catalogue.planning import CatalogueSnapshot, StockChange
from core.catalogue.rules import format_count
from core.errors import ConcurrentChange, InvalidInput
from core.formats import format_rupiah
from core.i18n import _
from core.store.models import PriceChange, StockLevel, stock_t


def audit_entry(session: Session, actor: Actor, now: datetime, action: str, target: str, **details) -> None:
    """One audit-log line for a catalogue action, in the caller's unit of work."""
    audit.record_by_actor(session, actor, now, action, target, **details)


def write_stock_changes(
    session: Session,
    actor: Actor,
    snapshot: CatalogueSnapshot,
    changes: Sequence[StockChange],
    now: datetime,
    *,
    source: str,
    product_ids: Mapping[str, int] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """Write planned changes with guarded statements and one price-history row per price change.
    Raises (and so rolls the whole unit of work back) if anything moved since it was planned."""
    product_ids = {**{sku: p.id for sku, p in snapshot.products.items()}, **(product_ids or {})}
    existing = [c for c in changes if not c.is_new]
    # A steady order of row locks keeps two concurrent saves from deadlocking each other.
    existing.sort(key=_level_id)
    for start in range(0, len(existing), 1000):
        _guarded_updates(session, existing[start : start + 1000], now)
        if on_progress:
            on_progress(min(1.0, (start + 1000) / len(existing)))
    new_levels = [
        dict(
            product_id=product_ids[c.sku],
            warehouse_id=snapshot.warehouses[c.warehouse_code].id,
            on_hand=c.new_on_hand,
            reserved=0,
            price=c.new_price,
            updated_at=now,
        )
        for c in changes
        if c.is_new
    ]
    if new_levels:
        session.execute(insert(StockLevel), new_levels)
    history = [
        dict(
            product_id=product_ids[c.sku],
            warehouse_id=snapshot.warehouses[c.warehouse_code].id,
            old_price=c.old_price,
            new_price=c.new_price,
            changed_by_user_id=actor.user_id,
            changed_at=now,
            confirmed_large_change=c.is_large,
            source=source,
        )
        for c in changes
        if c.price_changed
    ]
    if history:
        session.execute(insert(PriceChange), history)


def _level_id(change: StockChange) -> int:
    """The stock level a change of an existing one updates."""
    if change.level_id is None:
        raise ValueError(f"{change.sku} has no stock level at {change.warehouse_code} yet: it is a new one")
    return change.level_id


#: One guarded statement per kind of change, each run for many rows at once (executemany).
_LEVEL = stock_t.c
_GUARDED = {
    (True, False): update(stock_t)
    .where(
        _LEVEL.id == bindparam("b_id"),
        _LEVEL.on_hand == bindparam("b_old_on_hand"),
        _LEVEL.reserved <= bindparam("b_new_on_hand"),
    )
    .values(on_hand=bindparam("b_new_on_hand"), updated_at=bindparam("b_now")),
    (False, True): update(stock_t)
    .where(_LEVEL.id == bindparam("b_id"), _LEVEL.price == bindparam("b_old_price"))
    .values(price=bindparam("b_new_price"), updated_at=bindparam("b_now")),
    (True, True): update(stock_t)
    .where(
        _LEVEL.id == bindparam("b_id"),
        _LEVEL.on_hand == bindparam("b_old_on_hand"),
        _LEVEL.reserved <= bindparam("b_new_on_hand"),
        _LEVEL.price == bindparam("b_old_price"),
    )
    .values(on_hand=bindparam("b_new_on_hand"), price=bindparam("b_new_price"), updated_at=bindparam("b_now")),
}


def _guarded_updates(session: Session, changes: Sequence[StockChange], now: datetime) -> None:
    """Each row lands only if on hand / price are still what was planned from and the new on hand
    still covers what is reserved. One statement per kind of change, not one per row."""
    connection = session.connection()
    for kind, statement in _GUARDED.items():
        group = [c for c in changes if (c.on_hand_changed, c.price_changed) == kind]
        if not group:
            continue
        result = connection.execute(
            statement,
            [
                dict(
                    b_id=c.level_id,
                    b_old_on_hand=c.old_on_hand,
                    b_new_on_hand=c.new_on_hand,
                    b_old_price=c.old_price,
                    b_new_price=c.new_price,
                    b_now=now,
                )
                for c in group
            ],
        )
        if result.rowcount != len(group):
            _explain_first_moved(session, group)


def _explain_first_moved(session: Session, changes: Sequence[StockChange]) -> None:
    """Some guarded rows did not land (the whole unit of work is about to roll back): say which."""
    ids = [c.level_id for c in changes]
    current = {
        row.id: row
        for row in session.execute(
            select(StockLevel.id, StockLevel.on_hand, StockLevel.reserved, StockLevel.price).where(
                StockLevel.id.in_(ids)
            )
        )
    }
    for change in changes:
        row = current[change.level_id]
        landed = (row.on_hand == change.new_on_hand or not change.on_hand_changed) and (
            row.price == change.new_price or not change.price_changed
        )
        if not landed:
            _explain_moved(session, change)
    raise ConcurrentChange(_("Stock or prices changed while you were saving. Nothing was saved; reload and try again."))


def _explain_moved(session: Session, change: StockChange) -> None:
    now_on_hand, now_reserved, now_price = session.execute(
        select(StockLevel.on_hand, StockLevel.reserved, StockLevel.price).where(StockLevel.id == change.level_id)
    ).one()
    if change.on_hand_changed and now_reserved > change.new_on_hand and now_on_hand == change.old_on_hand:
        raise InvalidInput(
            _(
                "{sku} at {warehouse}: {reserved} units are now reserved by open orders, so on hand cannot be set "
                "to {on_hand}. Nothing was saved.",
                sku=change.sku,
                warehouse=change.warehouse_code,
                reserved=format_count(now_reserved),
                on_hand=format_count(change.new_on_hand),
            ),
            field="on_hand",
        )
    raise ConcurrentChange(
        _(
            "{sku} at {warehouse} changed while you were saving (on hand {on_hand}, reserved {reserved}, price "
            "{price}). Nothing was saved; reload and try again.",
            sku=change.sku,
            warehouse=change.warehouse_code,
            on_hand=format_count(now_on_hand),
            reserved=format_count(now_reserved),
            price=format_rupiah(now_price),
        )
    )
