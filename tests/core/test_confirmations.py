"""What a confirmation says before something that cannot be undone: one sentence of what will happen
(closing a warehouse, removing a product image or the logo). SQLite and PostgreSQL where it reads the store."""

from __future__ import annotations

from core.catalogue.product_images import removing_image
from core.company.profile import REMOVING_LOGO
from core.warehouses import management
from tests.builders import MONDAY_10, add_warehouse, place


def warehouse(world, code):
    return next(w for w in management.list_warehouses(world.store, world.admin, MONDAY_10) if w.code == code)


def test_closing_an_idle_warehouse_says_from_when_in_its_zone_and_that_it_can_come_back(world):
    add_warehouse(world, "MKS-1", "Asia/Makassar")
    assert warehouse(world, "MKS-1").closing_sentence(MONDAY_10) == (
        "Close MKS-1 (MKS-1) from 23 Nov 2026 11:00 WITA: no new orders reach it until it is reopened; "
        "its stock and settings are kept."
    )


def test_closing_a_warehouse_with_open_orders_says_they_must_be_finished_first(world):
    place(world)
    place(world)
    assert warehouse(world, "JKT-1").closing_sentence(MONDAY_10) == (
        "Close JKT-1 (JKT-1) from 23 Nov 2026 10:00 WIB: no new orders reach it; its 2 open orders must be "
        "finished first."
    )


def test_removing_an_image_says_it_cannot_be_brought_back():
    assert removing_image("SPN-0001") == (
        "Remove the image of SPN-0001: buyers see no picture of it until a new one is saved, and the removed "
        "image cannot be brought back."
    )
    assert REMOVING_LOGO.endswith("the removed logo cannot be brought back.")
