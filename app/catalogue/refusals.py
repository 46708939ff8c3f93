"""A catalogue refusal as the person needs to see it: core's sentence, and, when many entries are
wrong, every bad cell in a table; large price changes side by side for an explicit confirmation."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from app.catalogue.labels import sentence_case, shown_columns
from app.ui.actions import show_refusal
from app.ui.formats import price_change, rupiah
from core.catalogue.planning import StockChange
from core.catalogue.rules import (
    LARGE_PRICE_CHANGE_PERCENT,
    CellProblem,
    LargePriceChangesUnconfirmed,
    StockEntriesInvalid,
)
from core.errors import DomainError
from core.i18n import _n, gettext


def show_catalogue_refusal(refusal: DomainError) -> None:
    """The sentence, and every bad cell or every unconfirmed large price change if there are any."""
    show_refusal(refusal)
    if isinstance(refusal, StockEntriesInvalid):
        show_cell_problems(refusal.problems)
    elif isinstance(refusal, LargePriceChangesUnconfirmed):
        show_large_changes(refusal.changes)


def show_cell_problems(problems: Sequence[CellProblem]) -> None:
    frame = pd.DataFrame(
        [
            {
                "SKU": p.sku,
                "Warehouse": p.warehouse_code,
                "Column": gettext(p.column),
                "Problem": sentence_case(p.message),
            }
            for p in problems
        ]
    )
    st.dataframe(shown_columns(frame), hide_index=True, width="stretch")


def large_changes_warning(count: int) -> None:
    st.warning(
        str(
            _n(
                "{count} price change is more than {percent}% against the current price. Check it side by side:",
                "{count} price changes are more than {percent}% against the current price. Check them side by side:",
                count,
                percent=LARGE_PRICE_CHANGE_PERCENT,
            )
        )
    )


def show_large_changes(changes: Sequence[StockChange]) -> None:
    """Old and new price side by side, for the explicit confirmation."""
    frame = pd.DataFrame(
        [
            {
                "SKU": c.sku,
                "Product": c.product_name,
                "Warehouse": c.warehouse_code,
                "Current price": rupiah(c.old_price),
                "New price": rupiah(c.new_price),
                "Change": price_change(c.percent),
            }
            for c in changes
        ]
    )
    st.dataframe(shown_columns(frame), hide_index=True, width="stretch")
