"""What each kind of notification is: who hears of it, its short title, whether it may go by email,
and the sentence a person reads, built from the facts it was written with.

A notification keeps the facts its sentence needs (JSON, written where it happened: the step's
transaction or the scheduler's warning scan), so it still says what was true then when the order
has moved on. `sentence(kind, facts, order_number)` is plain text: typed text in the facts (a buyer's
or a product's name, a closure's reason, a bank's name) is quoted as it is, never as markup; pages
show it as plain text (app/ui/plain.py). Money is rupiah ("Rp150.000"), times the warehouse's local
time with its zone ("24 Nov 2026 10:00 WIB"), by core.formats.

A row keeps no words, only its kind and facts: the title and the sentence are said when they are read,
in the reader's language (core.i18n.using: the page's, or the email's recipient's). Each variant of a
sentence (a fact missing or not) is a whole sentence of the catalogue; the order and the buyer are
named in it as a phrase of their own ("order KP-00000012 from Toko Makmur (Rp150.000 at JKT-1)").

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
from core.i18n import N_, Message, _, gettext

PM, ADMIN = Role.PRODUCT_MANAGER, Role.SYSTEM_ADMINISTRATOR
NO_ORDER = N_("an order")  # what a sentence says when it does not know the order's number


@dataclass(frozen=True)
class Kind:
    kind: K
    audience: Role  # who in the company hears of it
    title: str  # a short label: "New order" (the English msgid: `title(kind)` reads it in the reader's language)
    by_email: bool = True  # whether a user may also have it sent by email
    deadline: str | None = None  # order kinds: the orders column whose time the facts keep as `deadline`


KINDS: dict[K, Kind] = {
    k.kind: k
    for k in (
        Kind(K.NEW_ORDER, PM, N_("New order"), deadline="confirm_deadline"),
        Kind(K.CONFIRM_HALF_GONE, PM, N_("Half of the time to confirm is gone"), deadline="confirm_deadline"),
        Kind(K.CONFIRM_2H_LEFT, PM, N_("2 hours left to confirm"), deadline="confirm_deadline"),
        Kind(K.AUTO_CANCELLED, PM, N_("Cancelled by the system"), deadline="confirm_deadline"),
        Kind(K.PACK_OVERDUE, PM, N_("Packing deadline passed"), deadline="pack_deadline"),
        Kind(K.COMPLAINT_FILED, PM, N_("Complaint filed"), deadline="complaint_deadline"),
        Kind(K.COMPLAINT_12H_LEFT, PM, N_("12 hours left to answer a complaint"), deadline="complaint_deadline"),
        Kind(K.BUYER_CANCELLED, PM, N_("Cancelled by the buyer")),
        Kind(K.AUTO_REFUNDED, PM, N_("Refunded by the system"), deadline="complaint_deadline"),
        Kind(K.PAYOUT_PAID, PM, N_("Payout paid")),
        Kind(K.LOW_STOCK, PM, N_("Low stock")),
        Kind(K.CLOSURE_TOMORROW, ADMIN, N_("Warehouse closed tomorrow")),
        Kind(K.PAYOUT_ACCOUNT_CHANGED, ADMIN, N_("Payout account changed")),
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


def title(kind: K | str) -> str:
    """The kind's short label in the reader's language (core.i18n.using)."""
    return gettext(KINDS[K(kind)].title)


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


def _order(number: str | None) -> Message:
    """ "order KP-00000012", or "an order" when its number is not known."""
    return _("order {number}", number=number) if number else Message(NO_ORDER)


def _bits(f: _Facts) -> Message | str | None:
    """ "Rp150.000 at JKT-1" (what is known of it)."""
    money, warehouse = f.money(), f.text("warehouse")
    if money and warehouse:
        return _("{amount} at {warehouse}", amount=money, warehouse=warehouse)
    if warehouse:
        return _("at {warehouse}", warehouse=warehouse)
    return money


def _about(f: _Facts, order: Message, *, buyer: bool = True) -> Message:
    """ "order KP-00000012 from Toko Makmur (Rp150.000 at JKT-1)" (`buyer=False`: without "from ...")."""
    who, bits = f.text("buyer") if buyer else None, _bits(f)
    if who and bits:
        return _("{order} from {buyer} ({details})", order=order, buyer=who, details=bits)
    if who:
        return _("{order} from {buyer}", order=order, buyer=who)
    if bits:
        return _("{order} ({details})", order=order, details=bits)
    return order


def _new_order(f: _Facts, number: str | None) -> Message:
    buyer, bits, deadline = f.text("buyer"), _bits(f), f.local("deadline")
    if number and buyer:
        order = _("New order {number} from {buyer}", number=number, buyer=buyer)
    elif number:
        order = _("New order {number}", number=number)
    elif buyer:
        order = _("A new order from {buyer}", buyer=buyer)
    else:
        order = _("A new order")
    if bits and deadline:
        return _(
            "{order} waits for your confirmation: {details}, confirm by {deadline}.",
            order=order,
            details=bits,
            deadline=deadline,
        )
    if deadline:
        return _("{order} waits for your confirmation: confirm by {deadline}.", order=order, deadline=deadline)
    if bits:
        return _("{order} waits for your confirmation: {details}.", order=order, details=bits)
    return _("{order} waits for your confirmation.", order=order)


def _confirm_half_gone(f: _Facts, number: str | None) -> Message:
    order = _order(number)
    about, deadline = _about(f, order), f.local("deadline")
    if deadline:
        return _(
            "Half of the time to confirm {order} is gone: accept or reject it by {deadline}.",
            order=about,
            deadline=deadline,
        )
    return _("Half of the time to confirm {order} is gone: accept or reject it.", order=about)


def _confirm_2h_left(f: _Facts, number: str | None) -> Message:
    order = _order(number)
    about, deadline = _about(f, order), f.local("deadline")
    if deadline:
        return _(
            "2 business hours are left to confirm {order}: accept or reject it by {deadline}, or the system "
            "cancels it.",
            order=about,
            deadline=deadline,
        )
    return _(
        "2 business hours are left to confirm {order}: accept or reject it, or the system cancels it.", order=about
    )


def _auto_cancelled(f: _Facts, number: str | None) -> Message:
    order = _order(number)
    about, deadline = _about(f, order), f.local("deadline")
    if deadline:
        return _(
            "The system cancelled {order}: nobody accepted or rejected it by {deadline}. Its reserved stock is "
            "available again.",
            order=about,
            deadline=deadline,
        )
    return _(
        "The system cancelled {order}: nobody accepted or rejected it. Its reserved stock is available again.",
        order=about,
    )


def _pack_overdue(f: _Facts, number: str | None) -> Message:
    order = _order(number)
    about, deadline = _about(f, order), f.local("deadline")
    if deadline:
        return _(
            "The packing deadline of {order} passed at {deadline}: pack it now; the buyer may cancel it from now on.",
            order=about,
            deadline=deadline,
        )
    return _(
        "The packing deadline of {order} has passed: pack it now; the buyer may cancel it from now on.", order=about
    )


def _complaint_filed(f: _Facts, number: str | None) -> Message:
    order = _order(number)
    buyer, about, deadline = f.text("buyer"), _about(f, order, buyer=False), f.local("deadline")
    if buyer and deadline:
        return _(
            "{buyer} filed a complaint about {order}: answer with a refund or a return by {deadline}, or the "
            "system refunds the buyer.",
            buyer=buyer,
            order=about,
            deadline=deadline,
        )
    if buyer:
        return _(
            "{buyer} filed a complaint about {order}: answer with a refund or a return, or the system refunds "
            "the buyer.",
            buyer=buyer,
            order=about,
        )
    if deadline:
        return _(
            "The buyer filed a complaint about {order}: answer with a refund or a return by {deadline}, or the "
            "system refunds the buyer.",
            order=about,
            deadline=deadline,
        )
    return _(
        "The buyer filed a complaint about {order}: answer with a refund or a return, or the system refunds the buyer.",
        order=about,
    )


def _complaint_12h_left(f: _Facts, number: str | None) -> Message:
    order = _order(number)
    about, deadline = _about(f, order), f.local("deadline")
    if deadline:
        return _(
            "12 hours are left to answer the complaint about {order}: answer it by {deadline}, or the system "
            "refunds the buyer.",
            order=about,
            deadline=deadline,
        )
    return _(
        "12 hours are left to answer the complaint about {order}: answer it, or the system refunds the buyer.",
        order=about,
    )


def _buyer_cancelled(f: _Facts, number: str | None) -> Message:
    order = _order(number)
    buyer, about = f.text("buyer"), _about(f, order, buyer=False)
    if buyer:
        return _("The buyer {buyer} cancelled {order}.", buyer=buyer, order=about)
    return _("The buyer cancelled {order}.", order=about)


def _auto_refunded(f: _Facts, number: str | None) -> Message:
    order = _order(number)
    buyer, money, deadline = f.text("buyer"), f.money(), f.local("deadline")
    to = _("the buyer {buyer}", buyer=buyer) if buyer else _("the buyer")
    if money and deadline:
        return _(
            "The complaint about {order} was not answered by {deadline}, so the system refunded {amount} to {buyer}.",
            order=order,
            deadline=deadline,
            amount=money,
            buyer=to,
        )
    if deadline:
        return _(
            "The complaint about {order} was not answered by {deadline}, so the system refunded {buyer}.",
            order=order,
            deadline=deadline,
            buyer=to,
        )
    if money:
        return _(
            "The complaint about {order} was not answered, so the system refunded {amount} to {buyer}.",
            order=order,
            amount=money,
            buyer=to,
        )
    return _("The complaint about {order} was not answered, so the system refunded {buyer}.", order=order, buyer=to)


def _account(f: _Facts) -> Message | str | None:
    """ "Bank Mandiri account ending 7890" (what is known of it)."""
    bank, last4 = f.text("bank"), f.text("account_last4")
    if bank and last4:
        return _("{bank} account ending {last4}", bank=bank, last4=last4)
    if last4:
        return _("account ending {last4}", last4=last4)
    return bank


def _payout_paid(f: _Facts, number: str | None) -> Message:
    order = _order(number)
    money, reference, account = f.money(), f.text("transfer_reference"), _account(f)
    payout = _("A payout of {amount}", amount=money) if money else _("A payout")
    if account and reference:
        return _(
            "{payout} for {order} was paid to {account} (transfer reference {reference}).",
            payout=payout,
            order=order,
            account=account,
            reference=reference,
        )
    if account:
        return _("{payout} for {order} was paid to {account}.", payout=payout, order=order, account=account)
    if reference:
        return _(
            "{payout} for {order} was paid (transfer reference {reference}).",
            payout=payout,
            order=order,
            reference=reference,
        )
    return _("{payout} for {order} was paid.", payout=payout, order=order)


def _low_stock(f: _Facts, number: str | None) -> Message:
    product, sku, warehouse = f.text("product"), f.text("sku"), f.text("warehouse")
    available, unit, level = f.count("available"), f.text("unit"), f.count("level")
    what: Message | str
    if product and sku:
        what = f"{product} ({sku})"
    else:
        what = product or sku or _("a product")
    if available == "0":
        left = _("{product} is sold out", product=what)
    elif available:
        quantity = f"{available} {unit}" if unit else available
        left = _("only {quantity} of {product} left to sell", quantity=quantity, product=what)
    else:
        left = _("{product} is running low", product=what)
    if warehouse and level:
        return _(
            "Low stock at {warehouse}: {situation}, below the low-stock level of {level}.",
            warehouse=warehouse,
            situation=left,
            level=level,
        )
    if warehouse:
        return _("Low stock at {warehouse}: {situation}.", warehouse=warehouse, situation=left)
    if level:
        return _("Low stock: {situation}, below the low-stock level of {level}.", situation=left, level=level)
    return _("Low stock: {situation}.", situation=left)


def _closure_tomorrow(f: _Facts, number: str | None) -> Message:
    warehouse, day, reason = f.text("warehouse"), f.day("day"), f.text("reason")
    name = _("Warehouse {warehouse}", warehouse=warehouse) if warehouse else _("A warehouse")
    if day and reason:
        return _(
            "{warehouse} is closed tomorrow, {day} ({reason}): that day counts no business hours, so order "
            "deadlines there move on to its next opening.",
            warehouse=name,
            day=day,
            reason=reason,
        )
    if day:
        return _(
            "{warehouse} is closed tomorrow, {day}: that day counts no business hours, so order deadlines there "
            "move on to its next opening.",
            warehouse=name,
            day=day,
        )
    if reason:
        return _(
            "{warehouse} is closed tomorrow ({reason}): that day counts no business hours, so order deadlines "
            "there move on to its next opening.",
            warehouse=name,
            reason=reason,
        )
    return _(
        "{warehouse} is closed tomorrow: that day counts no business hours, so order deadlines there move on to "
        "its next opening.",
        warehouse=name,
    )


def _payout_account_changed(f: _Facts, number: str | None) -> Message:
    account, by, user, at = _account(f), f.text("by"), f.text("by_user"), f.local("at")
    who = f"{by} ({user})" if by and user else by or user
    # Each fact that is known, in one sentence; the advice that follows is the same in every case.
    if account and who and at:
        changed = _("The payout account was changed to {account} by {who} at {at}.", account=account, who=who, at=at)
    elif account and who:
        changed = _("The payout account was changed to {account} by {who}.", account=account, who=who)
    elif account and at:
        changed = _("The payout account was changed to {account} at {at}.", account=account, at=at)
    elif account:
        changed = _("The payout account was changed to {account}.", account=account)
    elif who and at:
        changed = _("The payout account was changed by {who} at {at}.", who=who, at=at)
    elif who:
        changed = _("The payout account was changed by {who}.", who=who)
    elif at:
        changed = _("The payout account was changed at {at}.", at=at)
    else:
        changed = _("The payout account was changed.")
    return _(
        "{changed} Payouts go there from now on; if nobody in your company meant to change it, call your "
        "Relationship Manager or Mandiri Call 14000.",
        changed=changed,
    )


_SENTENCES: dict[K, Callable[[_Facts, str | None], Message]] = {
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


def said(kind: K | str, facts: Mapping[str, Any] | None, order_number: str | None) -> Message:
    """What a notification says, as a Message (see `sentence`). Its values (money, times) are written
    when it is built: render it in the language it was built in."""
    return _SENTENCES[K(kind)](_Facts(facts or {}), order_number or None)


def sentence(kind: K | str, facts: Mapping[str, Any] | None, order_number: str | None) -> str:
    """The plain-text sentence a person reads, in the reader's language (core.i18n.using), e.g. "New
    order KP-00000012 from Toko Makmur waits for your confirmation: Rp1.234.567 at JKT-1, confirm by 24
    Nov 2026 10:00 WIB." `order_number`: the order it is about (None when it is about no order, or the
    order is gone: "an order")."""
    return said(kind, facts, order_number).render()
