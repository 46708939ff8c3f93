"""What a courier partner may do over the API: report an order delivered (with its proof reference)."""

from __future__ import annotations

from datetime import datetime

from core.domain import ApiScope, OrderStatus
from core.i18n import N_
from core.integration.clients import ApiClientRef, require_scope
from core.orders import buyer_channel
from core.store.database import Store


def mark_delivered(
    store: Store, client: ApiClientRef, *, order_number: str, now: datetime, proof_reference: str = ""
) -> str:
    """The goods reached the buyer; the order completes by itself 2 calendar days later unless the
    buyer confirms or complains first. The proof reference (a photo id in the courier's system) is kept
    on the order's timeline, as typed text. Returns the order's status now."""
    require_scope(client, ApiScope.COURIER, N_("report deliveries"))
    note = proof_reference.strip()
    buyer_channel.mark_delivered(
        store, order_number=order_number, now=now, courier_note=f"{client.name}: proof {note}" if note else client.name
    )
    return OrderStatus.DELIVERED.value
