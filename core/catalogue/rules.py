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
from core.formats import format_rupiah
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
ADDED_AT_THE_SAME_MOMENT = (
    "Someone added the same product or stock at the same moment; nothing was saved. Reload and try again."
)


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
    if percent is None:
        return "new"
    return f"{percent:+.1f}%".replace(".0%", "%")


# --- Errors the pages show ---------------------------------------------------------------------


@dataclass(frozen=True)
class CellProblem:
    """One bad cell of the stock & price grid (or one bad stock entry of a form)."""

    sku: str
    warehouse_code: str
    column: str  # "on hand", "price", "product", "warehouse" or "row"
    message: str

    def __str__(self) -> str:
        return f"{self.sku or '(no SKU)'} at {self.warehouse_code or '(no warehouse)'}, {self.column}: {self.message}"


class StockEntriesInvalid(InvalidInput):
    """Some cells are bad; `problems` names every one of them. Nothing was saved."""

    def __init__(self, problems: Sequence[CellProblem]):
        self.problems = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f"; and {len(self.problems) - 5} more" if len(self.problems) > 5 else ""
        count = "1 entry needs" if len(self.problems) == 1 else f"{len(self.problems)} entries need"
        super().__init__(f"{count} fixing before anything is saved: {shown}{more}.", field="stock")


class LargePriceChangesUnconfirmed(DomainError):
    """Price changes of more than 30% that the manager has not explicitly confirmed. Nothing was saved."""

    def __init__(self, changes: Sequence[StockChange]):
        self.changes = tuple(changes)
        listed = "; ".join(c.price_summary() for c in self.changes[:5])
        more = f"; and {len(self.changes) - 5} more" if len(self.changes) > 5 else ""
        count = "1 price change is" if len(self.changes) == 1 else f"{len(self.changes)} price changes are"
        super().__init__(
            f"{count} more than {LARGE_PRICE_CHANGE_PERCENT}% against the current price and must be explicitly "
            f"confirmed: {listed}{more}. Nothing was saved."
        )


class ProductOnOpenOrders(DomainError):
    """The product cannot be deleted while orders that need it are still open."""

    def __init__(self, sku: str, order_numbers: Sequence[str]):
        self.order_numbers = tuple(order_numbers)
        shown = ", ".join(self.order_numbers[:10])
        more = f" and {len(self.order_numbers) - 10} more" if len(self.order_numbers) > 10 else ""
        orders = "an open order" if len(self.order_numbers) == 1 else f"{len(self.order_numbers)} open orders"
        super().__init__(
            f"Product {sku} cannot be deleted: it is on {orders} ({shown}{more}). "
            "It can be deleted once those orders are finished."
        )


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
    sku = clean_text(raw, what="SKU", field="sku", max_length=None).upper()
    if not sku:
        raise InvalidInput("Enter a SKU (the product's code, e.g. BRS-5KG).", field="sku")
    if len(sku) > MAX_SKU or not SKU_PATTERN.fullmatch(sku):
        raise InvalidInput(
            f"SKU {shown(sku, limit=MAX_SKU + 1)!r} is not valid: use up to {MAX_SKU} letters, digits, '-', '_' "
            "or '.', starting with a letter or digit (no spaces).",
            field="sku",
        )
    return sku


def lookup_sku(raw: object) -> str:
    """For lookups: a malformed SKU cannot exist, so it is simply not found."""
    try:
        return normalise_sku(raw)
    except InvalidInput:
        raise NotFound(f"There is no product {shown(raw, limit=MAX_SKU)!r} in your catalogue.") from None


def lookup_search(raw: object) -> str | None:
    """A search as it is matched: lower case, single spaces ('' for no search); None for text no
    SKU or name can contain, which finds nothing."""
    term = lookup_text(raw, max_length=MAX_SEARCH, collapse_spaces=True)
    return None if term is None else term.lower()


def _too_long(name: str) -> str:
    """The catalogue's over-the-limit sentence (core.text fills in the numbers)."""
    return f"The {name} is {{length}} characters long; the limit is {{limit}}."


def _clean_line(value: object, what: str, limit: int, *, field_name: str, required: str | None = None) -> str:
    """One line, single spaces: how it shows in lists."""
    return clean_text(
        value,
        what=what,
        field=field_name,
        max_length=limit,
        collapse_spaces=True,
        required=required,
        too_long=_too_long(field_name),
    )


def clean_details(details: ProductDetails) -> CleanDetails:
    """The details as they will be stored, or InvalidInput naming the field that is wrong."""
    name = _clean_line(details.name, "product name", MAX_NAME, field_name="name", required="Enter the product's name.")
    unit = _clean_line(details.unit, "unit", MAX_UNIT, field_name="unit") or DEFAULT_UNIT
    description = clean_text(
        details.description,
        what="product description",
        field="description",
        max_length=MAX_DESCRIPTION,
        multiline=True,
        too_long=_too_long("description"),
    )
    return CleanDetails(name=name, unit=unit, description=description, status=settable_status(details.status))


def settable_status(raw: object) -> ProductStatus:
    text = str(raw.value if isinstance(raw, ProductStatus) else raw or "").strip().upper()
    if text == ProductStatus.DELETED:
        raise InvalidInput(
            "A product is deleted with the Delete action (it checks for open orders first), not by setting its status.",
            field="status",
        )
    if text not in {s.value for s in SETTABLE_STATUSES}:
        raise InvalidInput(
            f"Status {text!r} is not known; use ACTIVE (on sale) or INACTIVE (hidden from buyers).", field="status"
        )
    return ProductStatus(text)


def read_whole_number(value: object, what: str) -> int | None:
    """A cell's value as an int; None for an empty cell. Raises ValueError saying why not."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number) or not number.is_integer():
            raise ValueError(f"{what} must be a whole number, not {number:g}")
        return int(number)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(r"[+-]?\d{1,15}", text):
            return int(text)
        if re.fullmatch(r"[+-]?\d{16,}", text):
            raise ValueError(f"{what} {text[:20]}… is far too large")
        raise ValueError(f"{what} {text[:30]!r} is not a whole number (digits only: no dots, commas, spaces or 'Rp')")
    raise ValueError(f"{what} must be a whole number")


def on_hand_problem(on_hand: int, reserved: int) -> str | None:
    if on_hand < 0:
        return f"cannot be negative ({on_hand})"
    if on_hand > MAX_ON_HAND:
        return f"{format_count(on_hand)} is more than the limit of {format_count(MAX_ON_HAND)}"
    if on_hand < reserved:
        return (
            f"{format_count(on_hand)} is below the {format_count(reserved)} units reserved by open orders; "
            "on hand can never be less than what is reserved"
        )
    return None


def price_problem(price: int) -> str | None:
    if price <= 0:
        return f"must be more than Rp0 (got {price})"
    if price > MAX_PRICE:
        return f"{format_rupiah(price)} is above the limit of {format_rupiah(MAX_PRICE)} per unit"
    return None
