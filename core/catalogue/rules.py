"""The catalogue's rules in one place: its limits, the price guard's arithmetic, the errors the
pages show, and the checking and cleaning of what a person types (SKU, details, numbers).

No store access here: every function takes plain values, so the add form, the grid and the CSV
import check the same input the same way.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.domain import ProductStatus, Role
from core.errors import DomainError, InvalidInput, NotFound
from core.formats import format_price_change, format_rupiah
from core.i18n import N_, Message, _, _n
from core.text import clean_text, lookup_text, shown

if TYPE_CHECKING:
    from core.catalogue.planning import StockChange

#: The one role that works on the catalogue.
PM = Role.PRODUCT_MANAGER

MAX_RECEIPT = 1_000_000
#: SKUs are stored in capitals: "spn-0001" and "SPN-0001" are the same product to a warehouse.
SKU_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9._-]*")
MAX_SKU = 64
MAX_NAME = 200
MAX_UNIT = 32
MAX_DESCRIPTION = 2000
#: A search matches text in a SKU or a name, so it is never longer than a name.
MAX_SEARCH = MAX_NAME
DEFAULT_UNIT = "pcs"
#: Upper bounds that catch a slipped finger (an extra 000) rather than any real business limit.
MAX_ON_HAND = 10_000_000
MAX_PRICE = 1_000_000_000
#: A price change of more than this, against the current price, needs an explicit confirmation.
LARGE_PRICE_CHANGE_PERCENT = 30
#: "Low stock": this many units or fewer available in a warehouse.
LOW_STOCK_LEVEL = 20
#: Where a price change came from, as the price history shows it.
SOURCE_FORM, SOURCE_GRID, SOURCE_CSV = "form", "grid", "csv import"
#: Statuses a Product Manager may set; DELETED is reached only through delete_product.
SETTABLE_STATUSES = (ProductStatus.ACTIVE, ProductStatus.INACTIVE)
#: What a person reads when two saves created the same product or stock level at once and the other won.
ADDED_AT_THE_SAME_MOMENT = N_(
    "Someone added the same product or stock at the same moment; nothing was saved. Reload and try again."
)
#: The columns a CellProblem names (its `column`), in the reader's words where it is shown.
COLUMNS = (N_("on hand"), N_("price"), N_("product"), N_("warehouse"), N_("row"))


# --- Numbers as people read them, and the price guard ------------------------------------------


def format_count(number: int) -> str:
    """Quantities as Indonesian readers group them: 12.500."""
    return f"{number:,}".replace(",", ".")


def is_large_price_change(old_price: int | None, new_price: int) -> bool:
    """More than 30% up or down; a first price (no old price) is never 'large'. Integer maths:
    exactly 30% is not large, whatever floating point would say."""
    if old_price is None or old_price <= 0:
        return False
    return abs(new_price - old_price) * 100 > LARGE_PRICE_CHANGE_PERCENT * old_price


def percent_change(old_price: int | None, new_price: int) -> float | None:
    if old_price is None or old_price <= 0:
        return None
    return round((new_price - old_price) * 100 / old_price, 1)


def format_percent(percent: float | None) -> str:
    """'+12.5%', '+100%' ('+12,5%' in Indonesian); a first price is 'new' (core.formats)."""
    return format_price_change(percent)


# --- Errors the pages show ---------------------------------------------------------------------


@dataclass(frozen=True)
class Listing(Message):
    """Several texts read one after another ("a; b; and 3 more"), as one value of a sentence: each
    part in the reader's language when the sentence is read (a part that is a whole sentence without
    its full stop: the sentence around them ends them)."""

    parts: tuple[Message, ...] = ()
    separator: str = "; "

    def render(self, code: str | None = None) -> str:
        return self.separator.join(part.render(code).removesuffix(".") for part in self.parts)


def listing(said: Sequence[Message], most: int) -> Listing:
    """The first `most` of `said`, and "and N more" for the rest."""
    parts = list(said[:most])
    if len(said) > most:
        parts.append(_("and {count} more", count=len(said) - most))
    return Listing("", parts=tuple(parts))


@dataclass(frozen=True)
class CellProblem:
    """One bad cell of the stock & price grid (or one bad stock entry of a form)."""

    sku: str
    warehouse_code: str
    column: str  # "on hand", "price", "product", "warehouse" or "row" (COLUMNS)
    said: Message  # what is wrong, a whole clause naming the column: "on hand cannot be negative (-3)"

    @property
    def message(self) -> str:
        """What is wrong, in the reader's language."""
        return self.said.render()

    def where(self) -> Message:
        """'RICE-5 at JKT-1: on hand cannot be negative (-3)', for a sentence that lists problems."""
        return _(
            "{sku} at {warehouse}: {problem}",
            sku=self.sku or _("(no SKU)"),
            warehouse=self.warehouse_code or _("(no warehouse)"),
            problem=self.said,
        )

    def __str__(self) -> str:
        return self.where().render()


class StockEntriesInvalid(InvalidInput):
    """Some cells are bad; `problems` names every one of them. Nothing was saved."""

    def __init__(self, problems: Sequence[CellProblem]):
        self.problems = tuple(problems)
        super().__init__(
            _n(
                "{count} entry needs fixing before anything is saved: {problems}.",
                "{count} entries need fixing before anything is saved: {problems}.",
                len(self.problems),
                problems=listing([p.where() for p in self.problems], 5),
            ),
            field="stock",
        )


class LargePriceChangesUnconfirmed(DomainError):
    """Price changes of more than 30% that the manager has not explicitly confirmed. Nothing was saved."""

    def __init__(self, changes: Sequence[StockChange]):
        self.changes = tuple(changes)
        super().__init__(
            _n(
                "{count} price change is more than {percent}% against the current price and must be explicitly "
                "confirmed: {changes}. Nothing was saved.",
                "{count} price changes are more than {percent}% against the current price and must be explicitly "
                "confirmed: {changes}. Nothing was saved.",
                len(self.changes),
                percent=LARGE_PRICE_CHANGE_PERCENT,
                changes=listing([c.price_summary() for c in self.changes], 5),
            )
        )


class ProductOnOpenOrders(DomainError):
    """The product cannot be deleted while orders that need it are still open."""

    def __init__(self, sku: str, order_numbers: Sequence[str]):
        self.order_numbers = tuple(order_numbers)
        shown = ", ".join(self.order_numbers[:10])
        count = len(self.order_numbers)
        if count > 10:
            said = _(
                "Product {sku} cannot be deleted: it is on {count} open orders ({orders} and {more} more). "
                "It can be deleted once those orders are finished.",
                sku=sku,
                count=count,
                orders=shown,
                more=count - 10,
            )
        else:
            said = _n(
                "Product {sku} cannot be deleted: it is on an open order ({orders}). "
                "It can be deleted once those orders are finished.",
                "Product {sku} cannot be deleted: it is on {count} open orders ({orders}). "
                "It can be deleted once those orders are finished.",
                count,
                sku=sku,
                orders=shown,
            )
        super().__init__(said)


# --- Checking what people type -----------------------------------------------------------------


@dataclass(frozen=True)
class ProductDetails:
    """What a person types about a product (everything except SKU, stock and price)."""

    name: str
    unit: str = DEFAULT_UNIT
    description: str = ""
    status: ProductStatus | str = ProductStatus.ACTIVE


@dataclass(frozen=True)
class CleanDetails(ProductDetails):
    """The details as they will be stored (`clean_details`): checked, the status a ProductStatus."""

    status: ProductStatus = ProductStatus.ACTIVE


def normalise_sku(raw: object) -> str:
    sku = clean_text(raw, what=N_("SKU"), field="sku", max_length=None).upper()
    if not sku:
        raise InvalidInput(_("Enter a SKU (the product's code, e.g. BRS-5KG)."), field="sku")
    if len(sku) > MAX_SKU or not SKU_PATTERN.fullmatch(sku):
        raise InvalidInput(
            _(
                "SKU {sku} is not valid: use up to {limit} letters, digits, '-', '_' or '.', starting with a "
                "letter or digit (no spaces).",
                sku=repr(shown(sku, limit=MAX_SKU + 1)),
                limit=MAX_SKU,
            ),
            field="sku",
        )
    return sku


def no_such_product(sku: str) -> NotFound:
    """The refusal for a product the company does not have (or that cannot exist)."""
    return NotFound(_("There is no product {sku} in your catalogue.", sku=sku))


def lookup_sku(raw: object) -> str:
    """For lookups: a malformed SKU cannot exist, so it is simply not found."""
    try:
        return normalise_sku(raw)
    except InvalidInput:
        raise no_such_product(repr(shown(raw, limit=MAX_SKU))) from None


def lookup_search(raw: object) -> str | None:
    """A search as it is matched: lower case, single spaces ('' for no search); None for text no
    SKU or name can contain, which finds nothing."""
    term = lookup_text(raw, max_length=MAX_SEARCH, collapse_spaces=True)
    return None if term is None else term.lower()


#: The catalogue's over-the-limit sentences, by field (core.text fills in the numbers).
TOO_LONG = {
    "name": N_("The name is {length} characters long; the limit is {limit}."),
    "unit": N_("The unit is {length} characters long; the limit is {limit}."),
    "description": N_("The description is {length} characters long; the limit is {limit}."),
}


def _clean_line(value: object, what: str, limit: int, *, field_name: str, required: str | None = None) -> str:
    """One line, single spaces: how it shows in lists."""
    return clean_text(
        value,
        what=what,
        field=field_name,
        max_length=limit,
        collapse_spaces=True,
        required=required,
        too_long=TOO_LONG[field_name],
    )


def clean_details(details: ProductDetails) -> CleanDetails:
    """The details as they will be stored, or InvalidInput naming the field that is wrong."""
    name = _clean_line(
        details.name, N_("product name"), MAX_NAME, field_name="name", required=N_("Enter the product's name.")
    )
    unit = _clean_line(details.unit, N_("unit"), MAX_UNIT, field_name="unit") or DEFAULT_UNIT
    description = clean_text(
        details.description,
        what=N_("product description"),
        field="description",
        max_length=MAX_DESCRIPTION,
        multiline=True,
        too_long=TOO_LONG["description"],
    )
    return CleanDetails(name=name, unit=unit, description=description, status=settable_status(details.status))


def settable_status(raw: object) -> ProductStatus:
    text = str(raw.value if isinstance(raw, ProductStatus) else raw or "").strip().upper()
    if text == ProductStatus.DELETED:
        raise InvalidInput(
            _(
                "A product is deleted with the Delete action (it checks for open orders first), not by setting its "
                "status."
            ),
            field="status",
        )
    if text not in {s.value for s in SETTABLE_STATUSES}:
        raise InvalidInput(
            _(
                "Status {status} is not known; use ACTIVE (on sale) or INACTIVE (hidden from buyers).",
                status=repr(text),
            ),
            field="status",
        )
    return ProductStatus(text)


class NotAWholeNumber(ValueError):
    """A cell that cannot be read as a whole number; `said` says why, naming the column."""

    def __init__(self, said: Message):
        super().__init__(said.render("en"))
        self.said = said


def read_whole_number(value: object, what: str) -> int | None:
    """A cell's value as an int; None for an empty cell. Raises NotAWholeNumber (a ValueError) saying
    why not; `what` is the column (COLUMNS), named in the reader's words."""
    column = Message(what)
    if value is None:
        return None
    if isinstance(value, bool):
        raise NotAWholeNumber(_("{column} must be a whole number", column=column))
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number) or not number.is_integer():
            raise NotAWholeNumber(_("{column} must be a whole number, not {value}", column=column, value=f"{number:g}"))
        return int(number)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(r"[+-]?\d{1,15}", text):
            return int(text)
        if re.fullmatch(r"[+-]?\d{16,}", text):
            raise NotAWholeNumber(_("{column} {value}… is far too large", column=column, value=text[:20]))
        raise NotAWholeNumber(
            _(
                "{column} {value} is not a whole number (digits only: no dots, commas, spaces or 'Rp')",
                column=column,
                value=repr(text[:30]),
            )
        )
    raise NotAWholeNumber(_("{column} must be a whole number", column=column))


def on_hand_problem(on_hand: int, reserved: int) -> Message | None:
    if on_hand < 0:
        return _("on hand cannot be negative ({value})", value=on_hand)
    if on_hand > MAX_ON_HAND:
        return _(
            "on hand {value} is more than the limit of {limit}",
            value=format_count(on_hand),
            limit=format_count(MAX_ON_HAND),
        )
    if on_hand < reserved:
        return _(
            "on hand {value} is below the {reserved} units reserved by open orders; on hand can never be less "
            "than what is reserved",
            value=format_count(on_hand),
            reserved=format_count(reserved),
        )
    return None


def price_problem(price: int) -> Message | None:
    if price <= 0:
        return _("price must be more than Rp0 (got {value})", value=price)
    if price > MAX_PRICE:
        return _(
            "price {value} is above the limit of {limit} per unit",
            value=format_rupiah(price),
            limit=format_rupiah(MAX_PRICE),
        )
    return None
