"""What each kind of notification is: who hears of it, its short title, whether it may go by email,
and the sentence a person reads, built from the facts it was written with.

A notification keeps the facts its sentence needs (JSON, written where it happened: the step's
transaction or the scheduler's warning scan), so it still says what was true then when the order
has moved on. `sentence(kind, facts, order_number)` is plain text: typed text in the facts (a buyer's
or a product's name, a closure's reason, a bank's name) is quoted as it is, never as markup; pages
show it as plain text (app/ui/plain.py). Money is rupiah ("Rp150.000"), times the warehouse's local
time with its zone ("24 Nov 2026 10:00 WIB"), by core.formats.

The facts of each kind (a fact that is missing is left out of the sentence, never guessed):

- order kinds (NEW_ORDER, CONFIRM_HALF_GONE, CONFIRM_2H_LEFT, AUTO_CANCELLED, PACK_OVERDUE,
  COMPLAINT_FILED, COMPLAINT_12H_LEFT, BUYER_CANCELLED, AUTO_REFUNDED): `amount` (int rupiah, the
  order's total), `items` (units), `buyer` (the buyer's name), `warehouse` (its code), `time_zone`
  (the warehouse's), and `deadline` (ISO-8601 UTC, "2026-11-24T03:00:00Z") for the kinds whose
  `Kind.deadline` names the order's deadline column;
- PAYOUT_PAID: `amount`, `transfer_reference`, `bank`, `account_last4`;
- LOW_STOCK: `sku`, `product` (its name), `unit`, `warehouse`, `available` (on hand - reserved),
  `level` (core.catalogue.rules.LOW_STOCK_LEVEL);
- CLOSURE_TOMORROW: `warehouse`, `warehouse_name`, `day` (ISO date, local), `reason`;
- PAYOUT_ACCOUNT_CHANGED: `bank`, `account_last4` (never the whole number), `by` (the administrator's
  name), `by_user` (their User ID), `at` (ISO-8601 UTC), `time_zone` (the company's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from core.domain import NotificationKind as K
from core.domain import Role
from core.formats import format_date, format_local, format_rupiah

PM, ADMIN = Role.PRODUCT_MANAGER, Role.SYSTEM_ADMINISTRATOR
NO_ORDER = "an order"  # what a sentence says when it does not know the order's number


@dataclass(frozen=True)
class Kind:
    kind: K
    audience: Role  # who in the company hears of it
    title: str  # a short label: "New order"
    by_email: bool = True  # whether a user may also have it sent by email
    deadline: str | None = None  # order kinds: the orders column whose time the facts keep as `deadline`


KINDS: dict[K, Kind] = {
    k.kind: k
    for k in (
        Kind(K.NEW_ORDER, PM, "New order", deadline="confirm_deadline"),
        Kind(K.CONFIRM_HALF_GONE, PM, "Half of the time to confirm is gone", deadline="confirm_deadline"),
        Kind(K.CONFIRM_2H_LEFT, PM, "2 hours left to confirm", deadline="confirm_deadline"),
        Kind(K.AUTO_CANCELLED, PM, "Cancelled by the system", deadline="confirm_deadline"),
        Kind(K.PACK_OVERDUE, PM, "Packing deadline passed", deadline="pack_deadline"),
        Kind(K.COMPLAINT_FILED, PM, "Complaint filed", deadline="complaint_deadline"),
        Kind(K.COMPLAINT_12H_LEFT, PM, "12 hours left to answer a complaint", deadline="complaint_deadline"),
        Kind(K.BUYER_CANCELLED, PM, "Cancelled by the buyer"),
        Kind(K.AUTO_REFUNDED, PM, "Refunded by the system", deadline="complaint_deadline"),
        Kind(K.PAYOUT_PAID, PM, "Payout paid"),
        Kind(K.LOW_STOCK, PM, "Low stock"),
        Kind(K.CLOSURE_TOMORROW, ADMIN, "Warehouse closed tomorrow"),
        Kind(K.PAYOUT_ACCOUNT_CHANGED, ADMIN, "Payout account changed"),
    )
}
#: The kinds about one order: their facts are the order's (amount, items, buyer, warehouse, deadline).
ORDER_KINDS = frozenset(
    {
        K.NEW_ORDER,
        K.CONFIRM_HALF_GONE,
        K.CONFIRM_2H_LEFT,
        K.AUTO_CANCELLED,
        K.PACK_OVERDUE,
        K.COMPLAINT_FILED,
        K.COMPLAINT_12H_LEFT,
        K.BUYER_CANCELLED,
        K.AUTO_REFUNDED,
    }
)


def audience(kind: K) -> Role:
    return KINDS[kind].audience


def title(kind: K) -> str:
    return KINDS[kind].title


def kinds_for(role: Role) -> list[K]:
    """The kinds a role hears of, in the table's order (what a user may choose to get by email)."""
    return [k.kind for k in KINDS.values() if k.audience == role]


# --- reading the facts ------------------------------------------------------------------------------


class _Facts:
    """The facts of one notification, each read as what it should be, or None when missing or unreadable."""

    def __init__(self, facts: Mapping[str, Any]):
        self.facts = facts if isinstance(facts, Mapping) else {}

    def text(self, key: str) -> str | None:
        value = self.facts.get(key)
        if value is None or isinstance(value, (dict, list)):
            return None
        text = str(value).strip()
        return text or None

    def number(self, key: str) -> int | None:
        value = self.facts.get(key)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return None

    def money(self, key: str = "amount") -> str | None:
        amount = self.number(key)
        return None if amount is None else format_rupiah(amount)

    def count(self, key: str) -> str | None:
        number = self.number(key)
        return None if number is None else f"{number:,}".replace(",", ".")

    def moment(self, key: str) -> datetime | None:
        raw = self.text(key)
        if raw is None:
            return None
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def local(self, key: str, zone_key: str = "time_zone") -> str | None:
        """A moment in the facts' zone with its abbreviation: "24 Nov 2026 10:00 WIB"."""
        moment = self.moment(key)
        if moment is None:
            return None
        try:
            return format_local(moment, self.text(zone_key) or "Asia/Jakarta")
        except (ValueError, KeyError):
            return format_local(moment, "Asia/Jakarta")

    def day(self, key: str) -> str | None:
        raw = self.text(key)
        try:
            return None if raw is None else format_date(date.fromisoformat(raw[:10]))
        except ValueError:
            return None


def _join(*parts: str | None, sep: str = ", ") -> str:
    return sep.join(part for part in parts if part)


def _order_bits(f: _Facts) -> str:
    """ "Rp150.000 at JKT-1" (what is known of it)."""
    money, warehouse = f.money(), f.text("warehouse")
    return _join(money, f"at {warehouse}" if warehouse else None, sep=" ")


def _about(f: _Facts, order: str) -> str:
    """ "order KP-00000012 from Toko Makmur (Rp150.000 at JKT-1)"."""
    buyer, bits = f.text("buyer"), _order_bits(f)
    return order + (f" from {buyer}" if buyer else "") + (f" ({bits})" if bits else "")


def _by(deadline: str | None) -> str:
    return f" by {deadline}" if deadline else ""


def _new_order(f: _Facts, order: str) -> str:
    buyer, bits, deadline = f.text("buyer"), _order_bits(f), f.local("deadline")
    head = (f"New {order}" if order != NO_ORDER else "A new order") + (f" from {buyer}" if buyer else "")
    head += " waits for your confirmation"
    tail = _join(bits, f"confirm by {deadline}" if deadline else None)
    return head + (f": {tail}." if tail else ".")


def _confirm_half_gone(f: _Facts, order: str) -> str:
    return f"Half of the time to confirm {_about(f, order)} is gone: accept or reject it{_by(f.local('deadline'))}."


def _confirm_2h_left(f: _Facts, order: str) -> str:
    return (
        f"2 business hours are left to confirm {_about(f, order)}: accept or reject it"
        f"{_by(f.local('deadline'))}, or the system cancels it."
    )


def _auto_cancelled(f: _Facts, order: str) -> str:
    return (
        f"The system cancelled {_about(f, order)}: nobody accepted or rejected it"
        f"{_by(f.local('deadline'))}. Its reserved stock is available again."
    )


def _pack_overdue(f: _Facts, order: str) -> str:
    deadline = f.local("deadline")
    passed = f"passed at {deadline}" if deadline else "has passed"
    return f"The packing deadline of {_about(f, order)} {passed}: pack it now; the buyer may cancel it from now on."


def _complaint_filed(f: _Facts, order: str) -> str:
    buyer, bits = f.text("buyer"), _order_bits(f)
    who = buyer or "The buyer"
    return (
        f"{who} filed a complaint about {order}" + (f" ({bits})" if bits else "") + ": answer with a refund or a "
        f"return{_by(f.local('deadline'))}, or the system refunds the buyer."
    )


def _complaint_12h_left(f: _Facts, order: str) -> str:
    return (
        f"12 hours are left to answer the complaint about {_about(f, order)}: answer it"
        f"{_by(f.local('deadline'))}, or the system refunds the buyer."
    )


def _buyer_cancelled(f: _Facts, order: str) -> str:
    buyer, bits = f.text("buyer"), _order_bits(f)
    who = f"The buyer {buyer}" if buyer else "The buyer"
    return f"{who} cancelled {order}" + (f" ({bits})" if bits else "") + "."


def _auto_refunded(f: _Facts, order: str) -> str:
    buyer, money = f.text("buyer"), f.money()
    deadline = f.local("deadline")
    to = f"the buyer {buyer}" if buyer else "the buyer"
    return (
        f"The complaint about {order} was not answered"
        + _by(deadline)
        + ", so the system refunded "
        + (f"{money} to {to}." if money else f"{to}.")
    )


def _account(f: _Facts) -> str | None:
    bank, last4 = f.text("bank"), f.text("account_last4")
    if last4:
        return _join(bank, f"account ending {last4}", sep=" ")
    return bank


def _payout_paid(f: _Facts, order: str) -> str:
    money, reference, account = f.money(), f.text("transfer_reference"), _account(f)
    head = "A payout" + (f" of {money}" if money else "") + f" for {order} was paid"
    return (
        head + (f" to {account}" if account else "") + (f" (transfer reference {reference})" if reference else "") + "."
    )


def _low_stock(f: _Facts, order: str) -> str:
    product, sku, warehouse = f.text("product"), f.text("sku"), f.text("warehouse")
    available, unit, level = f.count("available"), f.text("unit"), f.count("level")
    what = _join(product, f"({sku})" if sku and product else sku, sep=" ") or "a product"
    where = f" at {warehouse}" if warehouse else ""
    left = (
        f"only {available}{' ' + unit if unit else ''} of {what} left to sell"
        if available
        else f"{what} is running low"
    )
    if available == "0":
        left = f"{what} is sold out"
    return f"Low stock{where}: {left}" + (f", below the low-stock level of {level}." if level else ".")


def _closure_tomorrow(f: _Facts, order: str) -> str:
    warehouse, day, reason = f.text("warehouse"), f.day("day"), f.text("reason")
    name = f"Warehouse {warehouse}" if warehouse else "A warehouse"
    when = f"tomorrow, {day}" if day else "tomorrow"
    return (
        f"{name} is closed {when}" + (f" ({reason})" if reason else "") + ": that day counts no business hours, so "
        "order deadlines there move on to its next opening."
    )


def _payout_account_changed(f: _Facts, order: str) -> str:
    account, by, user, at = _account(f), f.text("by"), f.text("by_user"), f.local("at")
    who = _join(by, f"({user})" if user and by else user, sep=" ")
    return (
        "The payout account was changed"
        + (f" to {account}" if account else "")
        + (f" by {who}" if who else "")
        + (f" at {at}" if at else "")
        + ". Payouts go there from now on; if nobody in your company meant to change it, call your Relationship "
        "Manager or the call center at 14000."
    )


_SENTENCES: dict[K, Callable[[_Facts, str], str]] = {
    K.NEW_ORDER: _new_order,
    K.CONFIRM_HALF_GONE: _confirm_half_gone,
    K.CONFIRM_2H_LEFT: _confirm_2h_left,
    K.AUTO_CANCELLED: _auto_cancelled,
    K.PACK_OVERDUE: _pack_overdue,
    K.COMPLAINT_FILED: _complaint_filed,
    K.COMPLAINT_12H_LEFT: _complaint_12h_left,
    K.BUYER_CANCELLED: _buyer_cancelled,
    K.AUTO_REFUNDED: _auto_refunded,
    K.PAYOUT_PAID: _payout_paid,
    K.LOW_STOCK: _low_stock,
    K.CLOSURE_TOMORROW: _closure_tomorrow,
    K.PAYOUT_ACCOUNT_CHANGED: _payout_account_changed,
}


def sentence(kind: K | str, facts: Mapping[str, Any] | None, order_number: str | None) -> str:
    """The plain-text sentence a person reads, e.g. "New order KP-00000012 from Toko Makmur waits for
    your confirmation: Rp150.000 at JKT-1, confirm by 24 Nov 2026 10:00 WIB." `order_number`: the
    order it is about (None when it is about no order, or the order is gone: "an order")."""
    order = f"order {order_number}" if order_number else NO_ORDER
    return _SENTENCES[K(kind)](_Facts(facts or {}), order)
