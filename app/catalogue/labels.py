"""The catalogue screen's words for product statuses and filters."""

from __future__ import annotations

from core.domain import ProductStatus

STATUS_LABELS = {
    ProductStatus.ACTIVE: "Active (on sale)",
    ProductStatus.INACTIVE: "Inactive (hidden from buyers)",
    ProductStatus.DELETED: "Deleted",
}
STATUS_FILTERS = {
    "Active and inactive": None,
    "Active": ProductStatus.ACTIVE,
    "Inactive": ProductStatus.INACTIVE,
    "Deleted": ProductStatus.DELETED,
}
ALL_WAREHOUSES = "All warehouses"


def warehouse_filter(choice: str) -> str | None:
    """The warehouse code a filter's choice stands for; None for all warehouses."""
    return None if choice == ALL_WAREHOUSES else choice
