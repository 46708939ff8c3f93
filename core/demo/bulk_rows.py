"""The rows of one chunk of bulk demo orders as Arrow tables, one per store table (orders, items,
events, shipments, complaints, refunds, payouts), with the texts, triggers and effective times of
the lifecycle table (core.orders.lifecycle), ready for a bulk insert."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.demo.bulk_clock import NEVER, zone_offset_us
from core.demo.bulk_fates import Chunk, Context
from core.domain import ActorKind, ComplaintResolution, OrderStatus, PayoutStatus
from core.orders.effects import UNANSWERED_NOTE
from core.orders.lifecycle import TRANSITIONS as T
from core.orders.lifecycle import Step
from core.orders.sweep import SYSTEM_ID

PROOF_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4a30000000049454e44ae426082"
)
REJECT_REASONS = ("Stock damaged in the warehouse", "Price listed in error", "Cannot deliver to that area")
COMPLAINTS = ("Two items arrived damaged", "Wrong variant delivered", "One carton missing")
COURIERS = ("JNE", "J&T Express", "SiCepat", "AnterAja", "Pos Indonesia")


def _refund_reason(step: Step) -> str:
    reason = T[step].refund_reason
    if reason is None:
        raise ValueError(f"the lifecycle table gives {step} no refund reason")
    return reason


def _payout_trigger(step: Step) -> str:
    trigger = T[step].payout_trigger
    if trigger is None:
        raise ValueError(f"the lifecycle table gives {step} no payout trigger")
    return trigger


def _ts(values: np.ndarray, backend: str) -> pa.Array:
    mask = values >= NEVER
    array = pa.array(np.where(mask, 0, values).astype("datetime64[us]"), pa.timestamp("us"), mask=mask)
    if backend == "sqlite":
        # SQLAlchemy's SQLite storage format (text, compared as text): Arrow's %S carries the microseconds.
        return pc.strftime(array, format="%Y-%m-%d %H:%M:%S")
    return array.cast(pa.timestamp("us", tz="UTC"))


#: Writes int64 microsecond times as the store's timestamps.
Stamp = Callable[[np.ndarray], pa.Array]


def _table(columns: dict[str, object]) -> pa.Table:
    return pa.table(columns)


def _orders_table(ctx: Context, chunk: Chunk, ids: dict[str, int], ts: Stamp) -> pa.Table:
    """The orders, numbered by the local day they were placed, with their failure reasons."""
    n = chunk.n
    local_days = np.empty(n, dtype="datetime64[D]")
    for w, warehouse in enumerate(ctx.warehouses):
        mask = chunk.w_index == w
        offset = zone_offset_us(warehouse.zone)
        local_days[mask] = (chunk.placed[mask] + offset).astype("datetime64[us]").astype("datetime64[D]")
    day_text = np.char.replace(np.datetime_as_string(local_days, unit="D"), "-", "")
    numbers = [f"{ctx.company_code}-{d}-{i:08d}" for d, i in zip(day_text.tolist(), chunk.ids.tolist())]
    reasons = np.full(n, None, dtype=object)
    reasons[chunk.masks["rejected"]] = REJECT_REASONS[0]
    reasons[chunk.masks["auto_cancelled"]] = T[Step.AUTO_CANCEL].failure_reason
    reasons[chunk.masks["buyer_cancelled"] | chunk.masks["late_cancelled"]] = "Cancelled by the buyer"
    buyer_index = np.searchsorted(ctx.buyer_ids, chunk.buyer)  # each order keeps its buyer's address
    orders = _table(
        {
            "id": chunk.ids,
            "order_number": pa.array(numbers, pa.string()),
            "company_id": np.full(n, ctx.company_id, dtype=np.int64),
            "warehouse_id": np.array([w.id for w in ctx.warehouses], dtype=np.int64)[chunk.w_index],
            "buyer_id": chunk.buyer,
            "status": pa.array(chunk.status.tolist(), pa.string()),
            "total_amount": chunk.total,
            "item_count": chunk.units,
            "placed_at": ts(chunk.placed),
            "accepted_at": ts(chunk.accepted_at),
            "packed_at": ts(chunk.packed_at),
            "shipped_at": ts(chunk.shipped_at),
            "delivered_at": ts(chunk.delivered_at),
            "completed_at": ts(chunk.completed_at),
            "closed_at": ts(chunk.closed_at),
            "confirm_deadline": ts(chunk.confirm_deadline),
            "pack_deadline": ts(chunk.pack_deadline),
            "delivery_deadline": ts(chunk.delivery_deadline),
            "complaint_deadline": ts(chunk.complaint_deadline),
            "complete_deadline": ts(chunk.complete_deadline),
            "failure_kind": pa.array(chunk.failure.tolist(), pa.string()),
            "failure_reason": pa.array(reasons.tolist(), pa.string()),
            **{
                column: pa.array(values[buyer_index].tolist(), pa.string())
                for column, values in ctx.buyer_ship_to.items()
            },
            "updated_at": ts(chunk.updated_at),
        }
    )
    return orders


def _items_table(ctx: Context, chunk: Chunk, ids: dict[str, int], ts: Stamp) -> pa.Table:
    """The order lines, checked off when the order was packed."""
    line_count = len(chunk.line_order)
    never = np.full(line_count, NEVER, dtype=np.int64)
    checked = np.where(chunk.packed_at[chunk.line_order] < NEVER, chunk.packed_at[chunk.line_order], never)
    items = _table(
        {
            "id": np.arange(ids["order_items"], ids["order_items"] + line_count, dtype=np.int64),
            "order_id": chunk.ids[chunk.line_order],
            "product_id": ctx.product_ids[chunk.line_product],
            "sku": pa.array(np.array(ctx.product_skus, dtype=object)[chunk.line_product].tolist(), pa.string()),
            "product_name": pa.array(
                np.array(ctx.product_names, dtype=object)[chunk.line_product].tolist(), pa.string()
            ),
            "quantity": chunk.line_quantity.astype(np.int64),
            "unit_price": chunk.line_price,
            "line_total": chunk.line_total,
            "checked_at": ts(checked),
        }
    )
    ids["order_items"] += line_count
    return items


def _events_table(ctx: Context, chunk: Chunk, ids: dict[str, int], ts: Stamp) -> pa.Table:
    """One event per transition that happened, in the lifecycle's vocabulary."""
    n = chunk.n
    # Events: one row per transition that happened, in the lifecycle's vocabulary.
    m = chunk.masks
    user, pm = ActorKind.USER.value, ctx.user_label
    S = OrderStatus
    lag = chunk.sweep_lag
    event_specs = [
        (
            np.ones(n, bool),
            None,
            S.PENDING_CONFIRMATION,
            ActorKind.BUYER.value,
            None,
            chunk.placed,
            T[Step.PLACE].reason,
            0,
        ),
        (m["accepted"], S.PENDING_CONFIRMATION, S.PROCESSING, user, pm, chunk.accepted_at, T[Step.ACCEPT].reason, 0),
        (m["rejected"], S.PENDING_CONFIRMATION, S.REJECTED, user, pm, chunk.decided_at, REJECT_REASONS[0], 0),
        (
            m["auto_cancelled"],
            S.PENDING_CONFIRMATION,
            S.CANCELLED,
            ActorKind.SYSTEM.value,
            SYSTEM_ID,
            chunk.decided_at,
            T[Step.AUTO_CANCEL].reason,
            lag,
        ),
        (
            m["buyer_cancelled"],
            S.PENDING_CONFIRMATION,
            S.CANCELLED,
            ActorKind.BUYER.value,
            None,
            chunk.decided_at,
            "Cancelled by the buyer",
            0,
        ),
        (m["packed"], S.PROCESSING, S.READY_TO_SHIP, user, pm, chunk.packed_at, T[Step.MARK_PACKED].reason, 0),
        (
            m["late_cancelled"] & ~m["late_cancel_from_shipped"],
            S.PROCESSING,
            S.CANCELLED,
            ActorKind.BUYER.value,
            None,
            chunk.closed_at,
            "Cancelled by the buyer after the packing deadline",
            0,
        ),
        (m["shipped"], S.READY_TO_SHIP, S.SHIPPED, user, pm, chunk.shipped_at, None, 0),
        (
            m["late_cancel_from_shipped"],
            S.SHIPPED,
            S.CANCELLED,
            ActorKind.BUYER.value,
            None,
            chunk.closed_at,
            "Cancelled by the buyer after the delivery deadline",
            0,
        ),
        (
            m["delivered"],
            S.SHIPPED,
            S.DELIVERED,
            ActorKind.COURIER.value,
            "courier",
            chunk.delivered_at,
            T[Step.MARK_DELIVERED].reason,
            0,
        ),
        (m["filed"], S.DELIVERED, S.COMPLAINED, ActorKind.BUYER.value, None, chunk.filed_at, COMPLAINTS[0], 0),
        (
            m["return_answered"],
            S.COMPLAINED,
            S.RETURN_REQUESTED,
            user,
            pm,
            chunk.answered_at,
            T[Step.ANSWER_WITH_RETURN].reason,
            0,
        ),
        (
            m["refunded"] & chunk.res_auto,
            S.COMPLAINED,
            S.REFUNDED,
            ActorKind.SYSTEM.value,
            SYSTEM_ID,
            chunk.refunded_at,
            T[Step.AUTO_REFUND].reason,
            lag,
        ),
        (
            m["refunded"] & chunk.res_refund,
            S.COMPLAINED,
            S.REFUNDED,
            user,
            pm,
            chunk.refunded_at,
            T[Step.ANSWER_WITH_REFUND].reason,
            0,
        ),
        (
            m["refunded"] & chunk.res_return,
            S.RETURN_REQUESTED,
            S.REFUNDED,
            user,
            pm,
            chunk.refunded_at,
            "returned goods received, restocked",
            0,
        ),
        (
            m["completed"] & m["buyer_confirms"],
            S.DELIVERED,
            S.COMPLETED,
            ActorKind.BUYER.value,
            None,
            chunk.completed_at,
            T[Step.CONFIRM_RECEIPT].reason,
            0,
        ),
        (
            m["completed"] & ~m["buyer_confirms"],
            S.DELIVERED,
            S.COMPLETED,
            ActorKind.SYSTEM.value,
            SYSTEM_ID,
            chunk.completed_at,
            T[Step.AUTO_COMPLETE].reason,
            lag,
        ),
    ]
    parts = []
    for mask, source, target, kind, actor_id, at, reason, recorded_lag in event_specs:
        k = int(mask.sum())
        if k:
            recorded = at[mask] + (recorded_lag[mask] if isinstance(recorded_lag, np.ndarray) else 0)
            parts.append(
                (
                    k,
                    chunk.ids[mask],
                    source.value if source else None,
                    target.value,
                    kind,
                    actor_id,
                    reason,
                    at[mask],
                    recorded,
                )
            )

    def repeated(position: int) -> pa.Array:
        return pa.concat_arrays([pa.repeat(pa.scalar(p[position], pa.string()), p[0]) for p in parts])

    event_count = sum(p[0] for p in parts)
    events = _table(
        {
            "id": np.arange(ids["order_events"], ids["order_events"] + event_count, dtype=np.int64),
            "order_id": np.concatenate([p[1] for p in parts]),
            "from_status": repeated(2),
            "to_status": repeated(3),
            "actor_kind": repeated(4),
            "actor_id": repeated(5),
            "reason": repeated(6),
            "at": ts(np.concatenate([p[7] for p in parts])),
            "recorded_at": ts(np.concatenate([p[8] for p in parts])),
        }
    )
    ids["order_events"] += event_count
    return events


def _shipments_table(ctx: Context, chunk: Chunk, ids: dict[str, int], ts: Stamp) -> pa.Table:
    """One shipment with its proof photo per shipped order."""
    m = chunk.masks
    shipped = m["shipped"]
    k = int(shipped.sum())
    shipments = _table(
        {
            "id": np.arange(ids["shipments"], ids["shipments"] + k, dtype=np.int64),
            "order_id": chunk.ids[shipped],
            "courier": pa.array([COURIERS[i % len(COURIERS)] for i in chunk.ids[shipped].tolist()], pa.string()),
            "tracking_number": pa.array([f"TRK{i:010d}" for i in chunk.ids[shipped].tolist()], pa.string()),
            "proof_photo": pa.repeat(pa.scalar(PROOF_PNG, pa.binary()), k),
            "proof_mime": pa.repeat(pa.scalar("image/png", pa.string()), k),
            "shipped_by_user_id": pa.repeat(pa.scalar(ctx.user_id, pa.int64()), k),
            "shipped_at": ts(chunk.shipped_at[shipped]),
        }
    )
    ids["shipments"] += k
    return shipments


def _complaints_table(ctx: Context, chunk: Chunk, ids: dict[str, int], ts: Stamp, backend: str) -> pa.Table:
    """The complaints, answered by the seller or, at the deadline, by the system."""
    m = chunk.masks
    filed = m["filed"]
    k = int(filed.sum())
    # Answered: the seller chose refund or return (answered_at), or the system refunded at the deadline.
    seller_answered = filed & (chunk.res_refund | chunk.res_return) & (chunk.answered_at <= chunk.now_us)
    system_answered = filed & chunk.res_auto & m["refunded"]
    resolution = np.full(chunk.n, None, dtype=object)
    resolution[seller_answered & chunk.res_refund] = ComplaintResolution.REFUND.value
    resolution[seller_answered & chunk.res_return] = ComplaintResolution.RETURN.value
    resolution[system_answered] = ComplaintResolution.AUTO_REFUND.value
    answer_note = np.full(chunk.n, None, dtype=object)
    answer_note[system_answered] = UNANSWERED_NOTE
    answered_at = np.where(seller_answered | system_answered, chunk.answered_at, NEVER)
    received = filed & chunk.res_return & m["refunded"]
    complaints = _table(
        {
            "id": np.arange(ids["complaints"], ids["complaints"] + k, dtype=np.int64),
            "order_id": chunk.ids[filed],
            "description": pa.array([COMPLAINTS[i % len(COMPLAINTS)] for i in chunk.ids[filed].tolist()], pa.string()),
            "filed_at": ts(chunk.filed_at[filed]),
            "answer_deadline": ts(chunk.complaint_deadline[filed]),
            "resolution": pa.array(resolution[filed].tolist(), pa.string()),
            "answer_note": pa.array(answer_note[filed].tolist(), pa.string()),
            "answered_at": ts(answered_at[filed]),
            "answered_by_user_id": pa.array(
                [ctx.user_id if a else None for a in seller_answered[filed].tolist()], pa.int64()
            ),
            "return_received_at": ts(np.where(received, chunk.received_at, NEVER)[filed]),
            "restocked": pa.array([False] * k, pa.bool_()) if backend != "sqlite" else pa.array([0] * k, pa.int64()),
        }
    )
    ids["complaints"] += k
    return complaints


def _refunds_table(ctx: Context, chunk: Chunk, ids: dict[str, int], ts: Stamp) -> pa.Table:
    """One refund per refunded order."""
    m = chunk.masks
    refunded = m["refunded"]
    k = int(refunded.sum())
    refunds = _table(
        {
            "id": np.arange(ids["refunds"], ids["refunds"] + k, dtype=np.int64),
            "order_id": chunk.ids[refunded],
            "company_id": np.full(k, ctx.company_id, dtype=np.int64),
            "amount": chunk.total[refunded],
            "reason": pa.array(
                np.select(
                    [chunk.res_auto, chunk.res_refund],
                    [_refund_reason(Step.AUTO_REFUND), _refund_reason(Step.ANSWER_WITH_REFUND)],
                    _refund_reason(Step.RECEIVE_RETURN),
                )[refunded].tolist(),
                pa.string(),
            ),
            "created_at": ts(chunk.refunded_at[refunded]),
        }
    )
    ids["refunds"] += k
    return refunds


def _payouts_table(ctx: Context, chunk: Chunk, ids: dict[str, int], ts: Stamp) -> pa.Table:
    """One payout per completed order, paid a few minutes after it was recorded."""
    m = chunk.masks
    completed = m["completed"]
    k = int(completed.sum())
    paid = m["paid"][completed]
    payout_ids = np.arange(ids["payouts"], ids["payouts"] + k, dtype=np.int64)
    bank, account, holder = ctx.bank
    payouts = _table(
        {
            "id": payout_ids,
            "order_id": chunk.ids[completed],
            "company_id": np.full(k, ctx.company_id, dtype=np.int64),
            "amount": chunk.total[completed],
            "bank_name": pa.array([bank] * k, pa.string()),
            "account_number": pa.array([account] * k, pa.string()),
            "account_holder": pa.array([holder] * k, pa.string()),
            "status": pa.array(
                np.where(paid, PayoutStatus.PAID.value, PayoutStatus.PENDING.value).tolist(), pa.string()
            ),
            "trigger": pa.array(
                np.where(
                    m["buyer_confirms"][completed],
                    _payout_trigger(Step.CONFIRM_RECEIPT),
                    _payout_trigger(Step.AUTO_COMPLETE),
                ).tolist(),
                pa.string(),
            ),
            "created_at": ts(chunk.completed_at[completed]),
            "paid_at": ts(np.where(paid, chunk.paid_at[completed], NEVER)),
            "transfer_reference": pa.array(
                [f"TRF{i:012d}" if p else None for i, p in zip(payout_ids.tolist(), paid.tolist())], pa.string()
            ),
        }
    )
    ids["payouts"] += k
    return payouts


def order_tables(ctx: Context, chunk: Chunk, ids: dict[str, int], backend: str) -> dict[str, pa.Table]:
    """Every table's rows for one chunk; `ids` (the next id of each table) moves on past them."""

    def ts(values: np.ndarray) -> pa.Array:
        return _ts(values, backend)

    return {
        "orders": _orders_table(ctx, chunk, ids, ts),
        "order_items": _items_table(ctx, chunk, ids, ts),
        "order_events": _events_table(ctx, chunk, ids, ts),
        "shipments": _shipments_table(ctx, chunk, ids, ts),
        "complaints": _complaints_table(ctx, chunk, ids, ts, backend),
        "refunds": _refunds_table(ctx, chunk, ids, ts),
        "payouts": _payouts_table(ctx, chunk, ids, ts),
    }
