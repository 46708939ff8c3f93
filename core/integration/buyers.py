"""The bank's register of approved buyers, kept by the buyer app over the API.

The bank approves retail merchants; its buyer app (Livin' Merchant) registers each one here under the
code the bank gave it, keeps its name, phone, address and city up to date, deactivates it when the
bank withdraws its approval (and reactivates it), and keeps its other delivery addresses: at most
20, each under a label the app shows ("Gudang Bekasi"). Only an API client registered for the
buyer app's scope may call these; a courier's may not.

A buyer's registered details are where an order goes when the app names no other address, so they
obey the same limits as an order's ship-to. An order copies the address it goes to: a later change
here does not move it. A deactivated buyer places no new order (core.orders.buyer_channel refuses
them); the orders they have run their course.

Each change is one transaction and one audit entry naming the client (`api:<name>`) and the buyer's
code; the entry says which fields changed, never what they hold (a buyer's phone and address are
personal data, and the audit log is read by more people than the store).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.accounts import audit
from core.clock import require_aware
from core.domain import ActorKind, ApiScope
from core.errors import AlreadyExists, InvalidInput
from core.i18n import N_, _
from core.integration.clients import ApiClientRef, require_scope
from core.orders.buyer_channel import (
    MAX_ADDRESS_LABEL,
    MAX_CODE,
    MAX_SHIP_TO_ADDRESS,
    MAX_SHIP_TO_CITY,
    MAX_SHIP_TO_NAME,
    ShipTo,
    checked_phone,
    checked_ship_to,
    find_buyer,
    find_delivery_address,
)

# The lookup place_order uses lives with it in the buyer channel (the orders do not import the API's
# modules); it is named here too, as this register's reading of a delivery address.
from core.orders.buyer_channel import address_for_order as address_for_order
from core.store.database import Store
from core.store.models import Buyer, DeliveryAddress
from core.text import clean_text, shown

#: A buyer code as the bank gives it: letters, digits, dashes, underscores and dots.
BUYER_CODE = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_CODE}}}")
#: The most delivery addresses a buyer may keep besides their registered one.
MAX_ADDRESSES = 20


@dataclass(frozen=True)
class AddressView:
    label: str
    name: str
    phone: str | None
    address: str
    city: str


@dataclass(frozen=True)
class BuyerView:
    buyer_code: str
    name: str
    phone: str | None
    address: str
    city: str
    active: bool
    created_at: datetime
    updated_at: datetime | None
    addresses: list[AddressView]


@dataclass(frozen=True)
class BuyerChanges:
    """What to change of a buyer's registered details: None leaves a field as it is; phone "" clears it."""

    name: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None


# --- the checks -----------------------------------------------------------------------------------


def _require_buyer_app(client: ApiClientRef, doing: str) -> None:
    require_scope(client, ApiScope.BUYER_APP, doing)


def _code(buyer_code: str) -> str:
    code = clean_text(
        buyer_code,
        what=N_("buyer code"),
        field="buyer_code",
        max_length=None,
        required=N_("A buyer needs the code the bank gave them, e.g. BUY-00123."),
    )
    if BUYER_CODE.fullmatch(code) is None:
        raise InvalidInput(
            _(
                "A buyer code has 1 to {most} letters, digits, '-', '_' or '.', e.g. BUY-00123; {typed} is not one.",
                most=MAX_CODE,
                typed=repr(shown(buyer_code)),
            ),
            field="buyer_code",
        )
    return code


def _name(value: str) -> str:
    return clean_text(
        value,
        what=N_("buyer's name"),
        field="name",
        max_length=MAX_SHIP_TO_NAME,
        collapse_spaces=True,
        required=N_("A buyer needs a name: their shop's name as the bank knows it."),
    )


def _phone(value: str | None) -> str | None:
    return checked_phone(value, what=N_("buyer's phone"), field="phone")


def _address(value: str) -> str:
    return clean_text(
        value,
        what=N_("buyer's address"),
        field="address",
        max_length=MAX_SHIP_TO_ADDRESS,
        multiline=True,
        required=N_("A buyer needs the street address their goods go to."),
    )


def _city(value: str) -> str:
    return clean_text(
        value,
        what=N_("buyer's city"),
        field="city",
        max_length=MAX_SHIP_TO_CITY,
        collapse_spaces=True,
        required=N_("A buyer needs the city their goods go to."),
    )


_CHECKS: dict[str, Callable[[Any], Any]] = {"name": _name, "phone": _phone, "address": _address, "city": _city}


def _label(value: str) -> str:
    return clean_text(
        value,
        what=N_("delivery address label"),
        field="label",
        max_length=MAX_ADDRESS_LABEL,
        collapse_spaces=True,
        required=N_("A delivery address needs a label the buyer app shows, e.g. Gudang Bekasi."),
    )


# --- reading back ---------------------------------------------------------------------------------


def _address_view(row: DeliveryAddress) -> AddressView:
    return AddressView(row.label, row.name, row.phone, row.address, row.city)


def _view(session: Session, buyer: Buyer) -> BuyerView:
    rows = session.scalars(select(DeliveryAddress).where(DeliveryAddress.buyer_id == buyer.id)).all()
    # Sorted here, not by the database: SQLite and PostgreSQL collate text differently.
    addresses = sorted((_address_view(row) for row in rows), key=lambda a: (a.label.casefold(), a.label))
    return BuyerView(
        buyer.buyer_code,
        buyer.name,
        buyer.phone,
        buyer.address,
        buyer.city,
        buyer.is_approved,
        buyer.created_at,
        buyer.updated_at,
        addresses,
    )


def _audit(session: Session, client: ApiClientRef, now: datetime, action: str, buyer: Buyer, **details: Any) -> None:
    audit.record(
        session,
        at=now,
        actor_kind=ActorKind.BANK,
        actor=f"api:{client.name}",
        company_id=None,
        action=f"bank.buyer.{action}",
        target=buyer.buyer_code,
        details=details or None,
    )


def _already_registered(code: str) -> AlreadyExists:
    return AlreadyExists(_("Buyer {buyer} is already registered.", buyer=code))


# --- the buyer ------------------------------------------------------------------------------------


def register_buyer(
    store: Store,
    client: ApiClientRef,
    *,
    buyer_code: str,
    name: str,
    phone: str | None,
    address: str,
    city: str,
    now: datetime,
) -> BuyerView:
    """Add a buyer the bank has approved; they may order at once. A code that differs from a
    registered one only in letter case is the same code (refused: nobody could tell them apart)."""
    _require_buyer_app(client, N_("register buyers"))
    now = require_aware(now)
    code = _code(buyer_code)
    details = {"name": _name(name), "phone": _phone(phone), "address": _address(address), "city": _city(city)}
    with store.transaction() as session:
        taken = session.scalar(select(Buyer.buyer_code).where(func.upper(Buyer.buyer_code) == code.upper()))
        if taken is not None:
            raise _already_registered(taken)
        buyer = Buyer(buyer_code=code, is_approved=True, created_at=now, updated_at=None, **details)
        session.add(buyer)
        try:
            session.flush()
        except IntegrityError:  # registered by another request a moment ago
            raise _already_registered(code) from None
        _audit(session, client, now, "register", buyer)
        return _view(session, buyer)


def update_buyer(
    store: Store, client: ApiClientRef, *, buyer_code: str, changes: BuyerChanges, now: datetime
) -> BuyerView:
    """Change the buyer's registered details (active or not); what is the same already is not a change."""
    _require_buyer_app(client, N_("change buyers' details"))
    now = require_aware(now)
    wanted = {field: _CHECKS[field](value) for field, value in asdict(changes).items() if value is not None}
    with store.transaction() as session:
        buyer = find_buyer(session, buyer_code, lock=True)
        changed = sorted(field for field, value in wanted.items() if getattr(buyer, field) != value)
        if changed:
            for field in changed:
                setattr(buyer, field, wanted[field])
            buyer.updated_at = now
            _audit(session, client, now, "update", buyer, fields=changed)
        return _view(session, buyer)


def deactivate_buyer(store: Store, client: ApiClientRef, *, buyer_code: str, now: datetime) -> BuyerView:
    """The bank withdrew its approval: the buyer places no new order; their orders run their course."""
    return _set_active(store, client, buyer_code, now, active=False)


def reactivate_buyer(store: Store, client: ApiClientRef, *, buyer_code: str, now: datetime) -> BuyerView:
    """The bank approves the buyer again: they may order again."""
    return _set_active(store, client, buyer_code, now, active=True)


def _set_active(store: Store, client: ApiClientRef, buyer_code: str, now: datetime, *, active: bool) -> BuyerView:
    _require_buyer_app(client, N_("reactivate buyers") if active else N_("deactivate buyers"))
    now = require_aware(now)
    with store.transaction() as session:
        buyer = find_buyer(session, buyer_code, lock=True)
        if buyer.is_approved != active:
            buyer.is_approved, buyer.updated_at = active, now
        _audit(session, client, now, "reactivate" if active else "deactivate", buyer)
        return _view(session, buyer)


def get_buyer(store: Store, client: ApiClientRef, *, buyer_code: str, now: datetime) -> BuyerView:
    """The buyer as registered, active or not, with their delivery addresses by label."""
    _require_buyer_app(client, N_("read buyers"))
    require_aware(now)
    with store.reading() as session:
        return _view(session, find_buyer(session, buyer_code))


# --- the buyer's delivery addresses ---------------------------------------------------------------


def add_address(
    store: Store, client: ApiClientRef, *, buyer_code: str, label: str, ship_to: ShipTo, now: datetime
) -> AddressView:
    """Another place the buyer receives goods; an order names it by its label."""
    _require_buyer_app(client, N_("keep buyers' delivery addresses"))
    now = require_aware(now)
    label, where = _label(label), checked_ship_to(ship_to)
    with store.transaction() as session:
        buyer = find_buyer(session, buyer_code, lock=True)  # the lock makes the count and the label check exact
        labels = session.scalars(select(DeliveryAddress.label).where(DeliveryAddress.buyer_id == buyer.id)).all()
        same = next((taken for taken in labels if taken.casefold() == label.casefold()), None)
        if same is not None:
            raise AlreadyExists(
                _(
                    "Buyer {buyer} already has a delivery address labelled {label}.",
                    buyer=buyer.buyer_code,
                    label=same,
                )
            )
        if len(labels) >= MAX_ADDRESSES:
            raise InvalidInput(
                _(
                    "Buyer {buyer} has {most} delivery addresses already, the most a buyer may have; remove one first.",
                    buyer=buyer.buyer_code,
                    most=MAX_ADDRESSES,
                ),
                field="label",
            )
        row = DeliveryAddress(
            buyer_id=buyer.id,
            label=label,
            name=where.name,
            phone=where.phone,
            address=where.address,
            city=where.city,
            created_at=now,
        )
        session.add(row)
        session.flush()
        _audit(session, client, now, "address.add", buyer, label=label)
        return _address_view(row)


def update_address(
    store: Store, client: ApiClientRef, *, buyer_code: str, label: str, ship_to: ShipTo, now: datetime
) -> AddressView:
    """Replace the name, phone, address and city of the buyer's address under this label; orders
    already placed to it keep the address they copied."""
    _require_buyer_app(client, N_("keep buyers' delivery addresses"))
    now = require_aware(now)
    where = checked_ship_to(ship_to)
    with store.transaction() as session:
        buyer = find_buyer(session, buyer_code, lock=True)
        row = find_delivery_address(session, buyer, label)
        row.name, row.phone, row.address, row.city = where.name, where.phone, where.address, where.city
        _audit(session, client, now, "address.update", buyer, label=row.label)
        return _address_view(row)


def remove_address(store: Store, client: ApiClientRef, *, buyer_code: str, label: str, now: datetime) -> None:
    """The buyer no longer receives goods there; orders already placed to it keep their copy."""
    _require_buyer_app(client, N_("keep buyers' delivery addresses"))
    now = require_aware(now)
    with store.transaction() as session:
        buyer = find_buyer(session, buyer_code, lock=True)
        row = find_delivery_address(session, buyer, label)
        session.delete(row)
        _audit(session, client, now, "address.remove", buyer, label=row.label)
