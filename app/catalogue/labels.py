"""The catalogue screen's words for product statuses, filters, sources and table columns.

Every word here is marked for the catalogue (`N_`) and stays English in the code: a filter's choice
and a status are known by it (tests and widget state too); the page shows it in the reader's
language (`gettext`, or `shown_columns` for a table's column names).
"""

from __future__ import annotations

import pandas as pd

from core.catalogue.rules import SOURCE_CSV, SOURCE_FORM, SOURCE_GRID
from core.domain import ProductStatus
from core.i18n import N_, gettext

STATUS_LABELS = {
    ProductStatus.ACTIVE: N_("Active (on sale)"),
    ProductStatus.INACTIVE: N_("Inactive (hidden from buyers)"),
    ProductStatus.DELETED: N_("Deleted"),
}
#: A status in one word, as a table shows it.
STATUS_NAMES = {
    ProductStatus.ACTIVE: N_("Active"),
    ProductStatus.INACTIVE: N_("Inactive"),
    ProductStatus.DELETED: N_("Deleted"),
}
STATUS_FILTERS = {
    N_("Active and inactive"): None,
    N_("Active"): ProductStatus.ACTIVE,
    N_("Inactive"): ProductStatus.INACTIVE,
    N_("Deleted"): ProductStatus.DELETED,
}
ALL_WAREHOUSES = N_("All warehouses")
#: Where a price change came from (core.catalogue.rules.SOURCE_*), as the price history shows it.
SOURCE_NAMES = {
    SOURCE_FORM: N_("form"),
    SOURCE_GRID: N_("grid"),
    SOURCE_CSV: N_("csv import"),
    "demo": N_("demo"),
}
#: A yes in a table's cell (an empty cell is a no).
YES = N_("yes")

#: The column names of the screen's tables: the code builds each table with these English names, and
#: the page shows them in the reader's language (`shown_columns`).
COLUMN_NAMES = (
    N_("Product"),
    N_("Unit"),
    N_("Status"),
    N_("Warehouse"),
    N_("On hand"),
    N_("Reserved"),
    N_("Available"),
    N_("Price"),
    N_("Price (Rp)"),
    N_("Low stock"),
    N_("Current price"),
    N_("New price"),
    N_("Old price"),
    N_("Change"),
    N_("Price change"),
    N_("Large change confirmed"),
    N_("When"),
    N_("By"),
    N_("From"),
    N_("Column"),
    N_("Problem"),
    N_("Line"),
)


def status_label(status: ProductStatus, code: str | None = None) -> str:
    """'Active (on sale)', in the reader's language (or `code`)."""
    return gettext(STATUS_LABELS[status], code)


def warehouse_choice(choice: str, code: str | None = None) -> str:
    """A warehouse filter's choice as it reads: a warehouse's code, or 'All warehouses' translated."""
    return gettext(choice, code) if choice == ALL_WAREHOUSES else choice


def warehouse_filter(choice: str) -> str | None:
    """The warehouse code a filter's choice stands for; None for all warehouses."""
    return None if choice == ALL_WAREHOUSES else choice


def source_name(source: str) -> str:
    """Where a price change came from ('grid'), in the reader's language."""
    return gettext(SOURCE_NAMES[source]) if source in SOURCE_NAMES else source


def yes(flag: bool) -> str:
    """'yes' in the reader's language for a true flag, an empty cell otherwise."""
    return gettext(YES) if flag else ""


def shown_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as the page shows it: its columns named in the reader's language (COLUMN_NAMES); in
    English the names the code gives them."""
    return frame.rename(columns=gettext)


def sentence_case(text: str) -> str:
    """A clause as a table's cell reads it: its first letter a capital."""
    return text[:1].upper() + text[1:]
