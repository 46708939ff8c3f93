"""The catalogue on a real store (SQLite and PostgreSQL): listing and search, add, modify, soft
delete, product images, the stock & price grid with its per-cell checks and the price guard, and
the price history. Every refusal leaves the store unchanged (checked by reading it again)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import event, select

from core.catalogue import planning, product_images, products, rules, saving, stock
from core.catalogue.planning import StockEdit
from core.catalogue.products import NewStock
from core.catalogue.rules import ProductDetails
from core.domain import ProductStatus
from core.errors import AccessDenied, ConcurrentChange, InvalidInput, NotFound
from core.orders import buyer_channel as buyers
from core.orders import seller as orders
from core.store.models import AuditEntry, OrderItem, Product
from tests.builders import MONDAY_10, add_warehouse, catalogue_snapshot, place, stock_level


def png(size=(40, 30), color=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def grid_edit(world, sku="RICE-5", warehouse="JKT-1", *, on_hand=None, price=None) -> StockEdit:
    """The edited grid row as the page sends it: the typed values and what the grid showed."""
    row = next(r for r in stock.stock_grid(world.store, world.pm) if r.key == (sku, warehouse))
    return StockEdit(
        sku,
        warehouse,
        row.on_hand if on_hand is None else on_hand,
        row.price if price is None else price,
        seen_on_hand=row.on_hand,
        seen_price=row.price,
    )


def whole_grid(world, changes: dict | None = None) -> list[StockEdit]:
    """The whole grid as the page sends it, some cells edited: {("RICE-5", "JKT-1"): {"price": 1}}."""
    edits = []
    for row in stock.stock_grid(world.store, world.pm):
        typed = (changes or {}).get(row.key, {})
        edits.append(
            StockEdit(
                row.sku,
                row.warehouse_code,
                typed.get("on_hand", row.on_hand),
                typed.get("price", row.price),
                seen_on_hand=row.on_hand,
                seen_price=row.price,
            )
        )
    return edits


# --- Listing and search ----------------------------------------------------------------------------


def test_the_list_shows_each_product_with_on_hand_reserved_available_and_price_per_warehouse(world):
    place(world, quantity=3)
    rows = {row.sku: row for row in products.list_products(world.store, world.pm)}
    assert sorted(rows) == ["OIL-2", "RICE-5"]
    [cell] = rows["RICE-5"].stock
    assert (cell.warehouse_code, cell.on_hand, cell.reserved, cell.available, cell.price) == (
        "JKT-1",
        100,
        3,
        97,
        75_000,
    )


def test_search_finds_products_by_text_in_the_sku_or_the_name_in_any_case(world):
    products.add_product(world.store, world.pm, "TEH-25", ProductDetails(name="Teh Celup isi 25"), MONDAY_10)
    assert [r.sku for r in products.list_products(world.store, world.pm, search="rice")] == ["RICE-5"]
    assert [r.sku for r in products.list_products(world.store, world.pm, search="  CELUP ")] == ["TEH-25"]
    assert [r.sku for r in products.list_products(world.store, world.pm, search="product")] == ["OIL-2", "RICE-5"]


def test_search_treats_percent_and_underscore_as_plain_text(world):
    products.add_product(world.store, world.pm, "DISC_10", ProductDetails(name="Diskon 10% gula"), MONDAY_10)
    assert [r.sku for r in products.list_products(world.store, world.pm, search="%")] == ["DISC_10"]
    assert [r.sku for r in products.list_products(world.store, world.pm, search="_")] == ["DISC_10"]


def test_the_list_filters_by_status_warehouse_and_low_stock(world):
    add_warehouse(world)
    products.modify_product(
        world.store, world.pm, "OIL-2", ProductDetails(name="Minyak 2 L", status="INACTIVE"), MONDAY_10
    )
    products.add_product_with_stock(
        world.store,
        world.pm,
        sku="GULA-1",
        name="Gula 1 kg",
        warehouse_code="MKS-1",
        on_hand=500,
        price=17_500,
        now=MONDAY_10,
    )
    skus = lambda **filters: [r.sku for r in products.list_products(world.store, world.pm, **filters)]  # noqa: E731
    assert skus(status=ProductStatus.INACTIVE) == ["OIL-2"]
    assert skus(status=ProductStatus.ACTIVE) == ["GULA-1", "RICE-5"]
    assert skus(warehouse_code="MKS-1") == ["GULA-1"]
    assert skus(low_stock_only=True) == ["OIL-2"]  # 10 available ≤ 20
    assert skus(low_stock_only=True, low_stock_level=100) == ["OIL-2", "RICE-5"]
    [mks] = products.list_products(world.store, world.pm, warehouse_code="MKS-1")
    assert [c.warehouse_code for c in mks.stock] == ["MKS-1"]


def test_deleted_products_leave_the_default_list_but_can_still_be_listed_on_request(world):
    products.delete_product(world.store, world.pm, "OIL-2", MONDAY_10)
    assert [r.sku for r in products.list_products(world.store, world.pm)] == ["RICE-5"]
    [deleted] = products.list_products(world.store, world.pm, status=ProductStatus.DELETED)
    assert (deleted.sku, deleted.deleted_at) == ("OIL-2", MONDAY_10)


def test_another_companys_products_are_never_listed_and_are_simply_not_found(world):
    assert 70_000 not in {c.price for r in products.list_products(world.store, world.pm) for c in r.stock}
    assert [r.sku for r in products.list_products(world.store, world.other_pm)] == ["RICE-5"]
    with pytest.raises(NotFound, match="There is no product OIL-2 in your catalogue"):
        products.get_product(world.store, world.other_pm, "OIL-2")
    before = catalogue_snapshot(world.store)
    with pytest.raises(NotFound):
        products.delete_product(world.store, world.other_pm, "OIL-2", MONDAY_10)
    with pytest.raises(NotFound):
        stock.price_history(world.store, world.other_pm, "OIL-2")
    assert catalogue_snapshot(world.store) == before


def test_only_a_product_manager_may_work_on_the_catalogue(world):
    with pytest.raises(AccessDenied, match="Only a Product Manager may see the product catalogue"):
        products.list_products(world.store, world.admin)
    with pytest.raises(AccessDenied):
        products.add_product(world.store, world.admin, "NEW-1", ProductDetails(name="New"), MONDAY_10)
    with pytest.raises(AccessDenied):
        stock.apply_changes(world.store, world.admin, [], MONDAY_10)


# --- Adding ----------------------------------------------------------------------------------------


def test_adding_a_product_with_stock_and_price_records_the_first_price_in_the_history(world):
    details = ProductDetails(name="  Kopi   Bubuk 200 g ", unit="pak", description="Robusta.\nLampung.")
    row = products.add_product(
        world.store, world.pm, " kopi-200 ", details, MONDAY_10, stock=[NewStock("JKT-1", 40, 24_500)]
    )
    assert (row.sku, row.name, row.unit, row.description, row.status) == (
        "KOPI-200",
        "Kopi Bubuk 200 g",
        "pak",
        "Robusta.\nLampung.",
        ProductStatus.ACTIVE,
    )
    assert [(c.warehouse_code, c.on_hand, c.reserved, c.price) for c in row.stock] == [("JKT-1", 40, 0, 24_500)]
    [entry] = stock.price_history(world.store, world.pm, "KOPI-200")
    assert (entry.old_price, entry.new_price, entry.source, entry.changed_by, entry.changed_at) == (
        None,
        24_500,
        "form",
        "pm",
        MONDAY_10,
    )
    on_sale = {(o.sku, o.price) for o in buyers.products_on_sale(world.store, "ACME01")}
    assert ("KOPI-200", 24_500) in on_sale


@pytest.mark.parametrize("sku", ["", "   ", "BAD SKU", "-START", "SKU/1", "X" * 65, "ÜBER-1"])
def test_a_sku_must_be_letters_digits_and_dashes_and_is_refused_otherwise(world, sku):
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput) as refused:
        products.add_product(world.store, world.pm, sku, ProductDetails(name="Something"), MONDAY_10)
    assert refused.value.field == "sku"
    assert catalogue_snapshot(world.store) == before


def test_a_sku_already_in_the_catalogue_is_refused_in_any_case(world):
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput, match="SKU RICE-5 is already in your catalogue"):
        products.add_product(world.store, world.pm, "rice-5", ProductDetails(name="Rice again"), MONDAY_10)
    assert catalogue_snapshot(world.store) == before


def test_the_same_sku_may_exist_in_another_company(world):
    row = products.add_product(world.store, world.other_pm, "OIL-2", ProductDetails(name="Their oil"), MONDAY_10)
    assert row.sku == "OIL-2"
    assert products.get_product(world.store, world.pm, "OIL-2").name == "Product OIL-2"


def test_the_sku_of_a_deleted_product_stays_with_its_history(world):
    products.delete_product(world.store, world.pm, "OIL-2", MONDAY_10)
    with pytest.raises(InvalidInput, match="belonged to a product that was deleted"):
        products.add_product(world.store, world.pm, "OIL-2", ProductDetails(name="Oil reborn"), MONDAY_10)


@pytest.mark.parametrize(
    "details, field, message",
    [
        (ProductDetails(name=""), "name", "Enter the product's name"),
        (ProductDetails(name="N" * 201), "name", "201 characters long; the limit is 200"),
        (ProductDetails(name="Tab\there"), "name", None),
        (ProductDetails(name="Ok", unit="U" * 33), "unit", "limit is 32"),
        (ProductDetails(name="Ok", description="D" * 2001), "description", "limit is 2000"),
        (ProductDetails(name="Ok", status="SOLD"), "status", "Status 'SOLD' is not known"),
        (ProductDetails(name="Ok", status="DELETED"), "status", "deleted with the Delete action"),
    ],
)
def test_bad_product_details_are_refused_naming_the_field(world, details, field, message):
    before = catalogue_snapshot(world.store)
    if message is None:  # a tab becomes a space: one line, as lists show it
        assert products.add_product(world.store, world.pm, "T-1", details, MONDAY_10).name == "Tab here"
        return
    with pytest.raises(InvalidInput, match=message) as refused:
        products.add_product(world.store, world.pm, "NEW-1", details, MONDAY_10)
    assert refused.value.field == field
    assert catalogue_snapshot(world.store) == before


def test_a_bad_stock_entry_adds_nothing_and_names_every_bad_cell(world):
    before = catalogue_snapshot(world.store)
    with pytest.raises(rules.StockEntriesInvalid) as refused:
        products.add_product(
            world.store,
            world.pm,
            "NEW-1",
            ProductDetails(name="New"),
            MONDAY_10,
            stock=[NewStock("JKT-1", -5, 0), NewStock("SBY-9", 1, 1000)],
        )
    problems = {(p.warehouse_code, p.column): p.message for p in refused.value.problems}
    assert problems == {
        ("JKT-1", "on hand"): "on hand cannot be negative (-5)",
        ("JKT-1", "price"): "price must be more than Rp0 (got 0)",
        ("SBY-9", "warehouse"): "your company has no warehouse SBY-9 (your warehouses: JKT-1)",
    }
    assert "3 entries need fixing before anything is saved" in refused.value.message
    assert catalogue_snapshot(world.store) == before


def test_adding_with_an_image_stores_it_checked_and_reencoded(world):
    row = products.add_product(
        world.store,
        world.pm,
        "IMG-1",
        ProductDetails(name="With image"),
        MONDAY_10,
        image=png((3000, 1500)),
        image_name="photo.png",
    )
    assert row.has_image
    data, mime = product_images.product_image(world.store, world.pm, "IMG-1")
    assert mime == "image/jpeg"
    assert Image.open(io.BytesIO(data)).size == (1200, 600)  # scaled to the product-image limit


# --- Modifying and deleting ------------------------------------------------------------------------


def test_modifying_changes_name_unit_description_and_status_and_is_audited(world):
    row = products.modify_product(
        world.store,
        world.pm,
        "RICE-5",
        ProductDetails(name="Beras Premium 5 kg", unit="sak", description="Pulen.", status=ProductStatus.INACTIVE),
        MONDAY_10,
    )
    assert (row.name, row.unit, row.description, row.status) == (
        "Beras Premium 5 kg",
        "sak",
        "Pulen.",
        ProductStatus.INACTIVE,
    )
    assert "RICE-5" not in {o.sku for o in buyers.products_on_sale(world.store, "ACME01")}
    with world.store.reading() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "product.modified"))
        assert (entry.actor, entry.target) == ("ACME01/pm", "RICE-5")


def test_a_deleted_product_can_no_longer_be_modified(world):
    products.delete_product(world.store, world.pm, "OIL-2", MONDAY_10)
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput, match="OIL-2 is deleted and can no longer be modified"):
        products.modify_product(world.store, world.pm, "OIL-2", ProductDetails(name="Back"), MONDAY_10)
    assert catalogue_snapshot(world.store) == before


def test_deleting_is_refused_while_the_product_is_on_an_open_order_and_names_the_orders(world):
    first, second = place(world).order_number, place(world, quantity=1).order_number
    orders.accept_order(world.store, world.pm, first, MONDAY_10 + timedelta(hours=1))
    before = catalogue_snapshot(world.store)
    with pytest.raises(rules.ProductOnOpenOrders) as refused:
        products.delete_product(world.store, world.pm, "RICE-5", MONDAY_10 + timedelta(hours=2))
    assert refused.value.order_numbers == tuple(sorted([first, second]))
    assert refused.value.message == (
        f"Product RICE-5 cannot be deleted: it is on 2 open orders ({first}, {second}). "
        "It can be deleted once those orders are finished."
    )
    assert catalogue_snapshot(world.store) == before


def test_a_deleted_product_keeps_its_sales_history_and_leaves_the_buyers_app(world):
    number = place(world).order_number
    orders.reject_order(world.store, world.pm, number, "out of season", MONDAY_10 + timedelta(hours=1))
    products.delete_product(world.store, world.pm, "RICE-5", MONDAY_10 + timedelta(hours=2))
    with world.store.reading() as session:
        assert session.scalar(select(OrderItem.sku)) == "RICE-5"  # the order still names it
        assert (
            session.scalar(
                select(Product.status).where(Product.sku == "RICE-5", Product.company_id == world.pm.company_id)
            )
            == "DELETED"
        )
    assert "RICE-5" not in {o.sku for o in buyers.products_on_sale(world.store, "ACME01")}
    assert [e.new_price for e in stock.price_history(world.store, world.pm, "RICE-5")] == []  # fixture wrote none
    with pytest.raises(InvalidInput, match="already deleted"):
        products.delete_product(world.store, world.pm, "RICE-5", MONDAY_10)


# --- Product image -----------------------------------------------------------------------------------


def test_a_file_that_is_not_an_image_but_named_png_is_refused(world):
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput, match="'notes.png' is not a readable PNG, JPEG or WebP image"):
        product_images.preview_product_image(b"%PDF-1.7 definitely not a picture", "notes.png")
    with pytest.raises(InvalidInput, match="not a readable"):
        product_images.save_product_image(world.store, world.pm, "RICE-5", b"GIF89a....", "notes.png", MONDAY_10)
    assert catalogue_snapshot(world.store) == before


def test_the_preview_saves_nothing_and_saving_stores_the_checked_image(world):
    preview = product_images.preview_product_image(png(), "rice.png")
    assert (preview.mime, preview.width, preview.height) == ("image/jpeg", 40, 30)
    assert product_images.product_image(world.store, world.pm, "RICE-5") is None
    product_images.save_product_image(world.store, world.pm, "RICE-5", png(), "rice.png", MONDAY_10)
    assert product_images.product_image(world.store, world.pm, "RICE-5") == (preview.data, "image/jpeg")
    product_images.remove_product_image(world.store, world.pm, "RICE-5", MONDAY_10)
    assert product_images.product_image(world.store, world.pm, "RICE-5") is None
    with pytest.raises(InvalidInput, match="has no image to remove"):
        product_images.remove_product_image(world.store, world.pm, "RICE-5", MONDAY_10)


# --- The stock & price grid ----------------------------------------------------------------------


def test_the_grid_has_a_row_per_product_and_warehouse_and_an_empty_row_where_not_yet_stocked(world):
    add_warehouse(world, "MKS-1")
    add_warehouse(world, "OLD-1", open_=False)
    rows = [
        (r.sku, r.warehouse_code, r.on_hand, r.reserved, r.available, r.price)
        for r in stock.stock_grid(world.store, world.pm)
    ]
    assert rows == [
        ("OIL-2", "JKT-1", 10, 0, 10, 36_500),
        ("OIL-2", "MKS-1", None, 0, None, None),
        ("RICE-5", "JKT-1", 100, 0, 100, 75_000),
        ("RICE-5", "MKS-1", None, 0, None, None),
    ]
    assert [r.key for r in stock.stock_grid(world.store, world.pm, search="oil", warehouse_code="JKT-1")] == [
        ("OIL-2", "JKT-1")
    ]


def test_every_bad_cell_is_reported_with_its_sku_warehouse_and_why(world):
    place(world, quantity=5)  # RICE-5 has 5 reserved
    edits = [
        StockEdit("RICE-5", "JKT-1", 3, "75000", 100, 75_000),
        StockEdit("OIL-2", "JKT-1", -1, 0, 10, 36_500),
        StockEdit("OIL-2", "JKT-1", 10.5, "1.000", 10, 36_500),
        StockEdit("GHOST-1", "JKT-1", 1, 1, None, None),
        StockEdit("OIL-2", "SBY-9", 1, 1, None, None),
        StockEdit("RICE-5", "JKT-1", 20_000_000, 2_000_000_000, 100, 75_000),
        StockEdit("RICE-5", "JKT-1", None, 75_000, 100, 75_000),
    ]
    before = catalogue_snapshot(world.store)
    problems = [
        (p.sku, p.warehouse_code, p.column, p.message) for p in stock.check_stock_edits(world.store, world.pm, edits)
    ]
    assert problems == [
        (
            "RICE-5",
            "JKT-1",
            "on hand",
            "on hand 3 is below the 5 units reserved by open orders; on hand can never be less than what is reserved",
        ),
        ("OIL-2", "JKT-1", "on hand", "on hand cannot be negative (-1)"),
        ("OIL-2", "JKT-1", "price", "price must be more than Rp0 (got 0)"),
        ("OIL-2", "JKT-1", "on hand", "on hand must be a whole number, not 10.5"),
        (
            "OIL-2",
            "JKT-1",
            "price",
            "price '1.000' is not a whole number (digits only: no dots, commas, spaces or 'Rp')",
        ),
        ("OIL-2", "JKT-1", "row", "the same product and warehouse appear twice (also entry 2)"),
        ("GHOST-1", "JKT-1", "product", "there is no product GHOST-1 in your catalogue"),
        ("OIL-2", "SBY-9", "warehouse", "your company has no warehouse SBY-9 (your warehouses: JKT-1)"),
        ("RICE-5", "JKT-1", "on hand", "on hand 20.000.000 is more than the limit of 10.000.000"),
        ("RICE-5", "JKT-1", "price", "price Rp2.000.000.000 is above the limit of Rp1.000.000.000 per unit"),
        ("RICE-5", "JKT-1", "row", "the same product and warehouse appear twice (also entry 1)"),
        ("RICE-5", "JKT-1", "on hand", "on hand is empty; enter the units on hand (0 if none)"),
        ("RICE-5", "JKT-1", "row", "the same product and warehouse appear twice (also entry 1)"),
    ]
    with pytest.raises(rules.StockEntriesInvalid):
        stock.apply_changes(world.store, world.pm, edits, MONDAY_10)
    assert catalogue_snapshot(world.store) == before


def test_an_unchanged_grid_changes_nothing(world):
    preview = stock.preview_changes(world.store, world.pm, whole_grid(world))
    assert preview.is_empty
    assert stock.apply_changes(world.store, world.pm, whole_grid(world), MONDAY_10).is_empty


def test_stock_and_a_small_price_change_apply_without_confirmation_and_reach_the_history(world):
    edits = whole_grid(world, {("RICE-5", "JKT-1"): {"on_hand": 120, "price": 82_500}})
    preview = stock.preview_changes(world.store, world.pm, edits)
    [change] = preview.changes
    assert (
        change.old_on_hand,
        change.new_on_hand,
        change.old_price,
        change.new_price,
        change.percent,
        change.is_large,
    ) == (100, 120, 75_000, 82_500, 10.0, False)
    stock.apply_changes(world.store, world.pm, edits, MONDAY_10)
    assert stock_level(world) == (120, 0, 82_500)
    [entry] = stock.price_history(world.store, world.pm, "RICE-5")
    assert (entry.old_price, entry.new_price, entry.source, entry.confirmed_large_change, entry.changed_by) == (
        75_000,
        82_500,
        "grid",
        False,
        "pm",
    )


def test_a_large_price_change_is_refused_without_confirmation_and_nothing_is_applied(world):
    edits = [grid_edit(world, price=150_000), grid_edit(world, "OIL-2", on_hand=12)]
    preview = stock.preview_changes(world.store, world.pm, edits)
    [large] = preview.large
    assert (large.sku, large.old_price, large.new_price, large.percent) == ("RICE-5", 75_000, 150_000, 100.0)
    before = catalogue_snapshot(world.store)
    with pytest.raises(rules.LargePriceChangesUnconfirmed) as refused:
        stock.apply_changes(world.store, world.pm, edits, MONDAY_10)
    assert refused.value.message == (
        "1 price change is more than 30% against the current price and must be "
        "explicitly confirmed: RICE-5 at JKT-1 Rp75.000 → Rp150.000 (+100%). "
        "Nothing was saved."
    )
    assert catalogue_snapshot(world.store) == before  # not even the small stock change of OIL-2


def test_a_large_price_change_applies_once_confirmed_and_is_recorded_as_confirmed(world):
    edits = [grid_edit(world, price=50_000)]
    preview = stock.preview_changes(world.store, world.pm, edits)
    stock.apply_changes(world.store, world.pm, edits, MONDAY_10, confirmed_large=preview.large_keys)
    assert stock_level(world)[2] == 50_000
    [entry] = stock.price_history(world.store, world.pm, "RICE-5")
    assert (entry.old_price, entry.new_price, entry.confirmed_large_change, entry.percent) == (
        75_000,
        50_000,
        True,
        -33.3,
    )


def test_a_confirmation_covers_only_the_price_it_was_given_for(world):
    preview = stock.preview_changes(world.store, world.pm, [grid_edit(world, price=150_000)])
    before = catalogue_snapshot(world.store)
    with pytest.raises(rules.LargePriceChangesUnconfirmed, match="Rp750.000"):
        stock.apply_changes(
            world.store, world.pm, [grid_edit(world, price=750_000)], MONDAY_10, confirmed_large=preview.large_keys
        )
    assert catalogue_snapshot(world.store) == before


@pytest.mark.parametrize("new_price, large", [(97_500, False), (97_501, True), (52_500, False), (52_499, True)])
def test_more_than_30_percent_either_way_is_large_and_exactly_30_is_not(world, new_price, large):
    [change] = stock.preview_changes(world.store, world.pm, [grid_edit(world, price=new_price)]).changes
    assert change.is_large is large


@given(old=st.integers(1, 10**9), new=st.integers(1, 10**9))
def test_large_means_more_than_30_percent_of_the_current_price_exactly(old, new):
    from fractions import Fraction

    assert rules.is_large_price_change(old, new) == (abs(Fraction(new - old, old)) > Fraction(3, 10))


def test_on_hand_cannot_go_below_what_open_orders_reserve(world):
    place(world, quantity=40)
    before = catalogue_snapshot(world.store)
    with pytest.raises(rules.StockEntriesInvalid, match="on hand 39 is below the 40 units reserved"):
        stock.apply_changes(world.store, world.pm, [grid_edit(world, on_hand=39)], MONDAY_10)
    assert catalogue_snapshot(world.store) == before
    stock.apply_changes(world.store, world.pm, [grid_edit(world, on_hand=40)], MONDAY_10)
    assert stock_level(world) == (40, 40, 75_000)


def test_an_edit_of_a_number_that_moved_since_the_grid_loaded_is_refused(world):
    stale = grid_edit(world, on_hand=150)  # the grid showed 100
    stock.receive_stock(world.store, world.pm, "RICE-5", "JKT-1", 20, MONDAY_10)  # meanwhile: 120
    before = catalogue_snapshot(world.store)
    with pytest.raises(rules.StockEntriesInvalid, match="on hand changed from 100 to 120 since you loaded it"):
        stock.apply_changes(world.store, world.pm, [stale], MONDAY_10)
    assert catalogue_snapshot(world.store) == before


def test_cells_left_untouched_are_not_changes_even_if_the_store_moved(world):
    untouched = grid_edit(world)  # shows 100
    place(world, quantity=2)
    stock.receive_stock(world.store, world.pm, "RICE-5", "JKT-1", 5, MONDAY_10)
    assert stock.apply_changes(world.store, world.pm, [untouched], MONDAY_10).is_empty
    assert stock_level(world) == (105, 2, 75_000)


def test_a_reservation_that_lands_between_check_and_write_fails_the_save_cleanly(world):
    with world.store.reading() as session:
        stale = planning.load_snapshot(session, world.pm.company_id)
    changes, problems = planning.plan_stock_changes(
        stale, [grid_edit(world, on_hand=10), grid_edit(world, "OIL-2", price=37_000)]
    )
    assert not problems
    place(world, quantity=30)  # an order reserves 30 RICE-5 right after the check
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput, match="30 units are now reserved by open orders, so on hand cannot be set to 10"):
        with world.store.transaction() as session:
            saving.write_stock_changes(session, world.pm, stale, changes, MONDAY_10, source="grid")
    assert catalogue_snapshot(world.store) == before
    assert stock_level(world) == (100, 30, 75_000)


def test_a_price_changed_by_someone_else_between_check_and_write_fails_the_save_cleanly(world):
    with world.store.reading() as session:
        stale = planning.load_snapshot(session, world.pm.company_id)
    changes, _ = planning.plan_stock_changes(stale, [grid_edit(world, price=80_000)])
    stock.apply_changes(world.store, world.pm, [grid_edit(world, price=78_000)], MONDAY_10)
    with pytest.raises(ConcurrentChange, match="RICE-5 at JKT-1 changed while you were saving"):
        with world.store.transaction() as session:
            saving.write_stock_changes(session, world.pm, stale, changes, MONDAY_10, source="grid")
    assert stock_level(world)[2] == 78_000


def test_filling_an_empty_row_stocks_the_product_in_that_warehouse(world):
    add_warehouse(world, "MKS-1")
    row = next(r for r in stock.stock_grid(world.store, world.pm) if r.key == ("OIL-2", "MKS-1"))
    half = StockEdit("OIL-2", "MKS-1", 15, None, row.on_hand, row.price)
    with pytest.raises(rules.StockEntriesInvalid, match="MKS-1: price is empty"):
        stock.apply_changes(world.store, world.pm, [half], MONDAY_10)
    applied = stock.apply_changes(world.store, world.pm, [StockEdit("OIL-2", "MKS-1", 15, 39_000)], MONDAY_10)
    assert [c.is_new for c in applied.changes] == [True]
    assert stock_level(world, "OIL-2", "MKS-1") == (15, 0, 39_000)
    history = stock.price_history(world.store, world.pm, "OIL-2")
    assert [(e.warehouse_code, e.old_price, e.new_price) for e in history] == [("MKS-1", None, 39_000)]


def test_new_stock_cannot_be_placed_in_a_closed_warehouse(world):
    add_warehouse(world, "OLD-1", open_=False)
    with pytest.raises(rules.StockEntriesInvalid, match="warehouse OLD-1 is closed"):
        stock.apply_changes(world.store, world.pm, [StockEdit("OIL-2", "OLD-1", 15, 39_000)], MONDAY_10)


def test_the_grid_of_another_company_is_out_of_reach(world):
    before = catalogue_snapshot(world.store)
    with pytest.raises(rules.StockEntriesInvalid, match="there is no product OIL-2 in your catalogue"):
        stock.apply_changes(world.store, world.other_pm, [StockEdit("OIL-2", "JKT-1", 1, 1)], MONDAY_10)
    assert catalogue_snapshot(world.store) == before


# --- Price history -------------------------------------------------------------------------------


def test_the_price_history_lists_every_change_newest_first_with_who_when_and_where_from(world):
    stock.apply_changes(world.store, world.pm, [grid_edit(world, price=80_000)], MONDAY_10)
    edits = [grid_edit(world, price=200_000)]
    later = MONDAY_10 + timedelta(hours=1)
    stock.apply_changes(
        world.store,
        world.pm,
        edits,
        later,
        source="form",
        confirmed_large=stock.preview_changes(world.store, world.pm, edits).large_keys,
    )
    history = stock.price_history(world.store, world.pm, "RICE-5")
    assert [
        (h.changed_at, h.old_price, h.new_price, h.source, h.confirmed_large_change, h.time_zone) for h in history
    ] == [
        (later, 80_000, 200_000, "form", True, "Asia/Jakarta"),
        (MONDAY_10, 75_000, 80_000, "grid", False, "Asia/Jakarta"),
    ]


# --- Speed -------------------------------------------------------------------------------------------


def test_the_grid_reads_and_checks_sixty_products_in_three_warehouses_in_a_few_queries(world):
    add_warehouse(world, "MKS-1")
    add_warehouse(world, "JYP-1", "Asia/Jayapura")
    for number in range(58):
        products.add_product(
            world.store,
            world.pm,
            f"P-{number:03d}",
            ProductDetails(name=f"Product {number}"),
            MONDAY_10,
            stock=[NewStock(code, 50, 10_000) for code in ("JKT-1", "MKS-1", "JYP-1")],
        )
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(world.store.engine, "before_cursor_execute", listener)  # BEGINs aside, below
    try:
        rows = stock.stock_grid(world.store, world.pm)
        reads = len(statements)
        edits = [StockEdit(r.sku, r.warehouse_code, r.on_hand or 1, r.price or 1000, r.on_hand, r.price) for r in rows]
        stock.preview_changes(world.store, world.pm, edits)
        listed = products.list_products(world.store, world.pm)
    finally:
        event.remove(world.store.engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(rows) == 180 and len(listed) == 60
    # grid, snapshot for the check, list: each also reloads the acting user and their company
    assert reads <= 6 and len(selects) == (3 + 2) + (3 + 2) + (2 + 2)


def test_two_people_adding_the_same_sku_at_once_get_a_sentence_not_a_crash(world, monkeypatch):
    # The second add passed its check before the first one committed: the schema has the last word.
    real_load = planning.load_snapshot
    monkeypatch.setattr(
        products,
        "load_snapshot",
        lambda session, company_id: planning.CatalogueSnapshot(
            products={}, warehouses=real_load(session, company_id).warehouses, levels={}
        ),
    )
    with pytest.raises(ConcurrentChange, match="Someone added the same product or stock at the same moment"):
        products.add_product(world.store, world.pm, "RICE-5", ProductDetails(name="Twin"), MONDAY_10)
    assert products.get_product(world.store, world.pm, "RICE-5").name == "Product RICE-5"
