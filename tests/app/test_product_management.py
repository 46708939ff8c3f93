"""Product Management through the UI (AppTest on the demo store: DEMO01, 60 products in JKT-01,
MKS-01 and JYP-01): every action and every refusal, with what the Product Manager sees, and the
store re-read after each refusal to prove nothing changed."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import func, select

from app.ui.formats import RUPIAH_COLUMN
from core import images
from core.accounts import sessions as accounts
from core.catalogue import csv_format, product_images, products
from core.clock import utc_now
from core.orders import buyer_channel as buyers
from core.orders.buyer_channel import OrderLine
from core.store.models import Company, PriceChange, Product, StockLevel, Warehouse

PAGE = "pages/product_management.py"
HEADER = ",".join(csv_format.CSV_COLUMNS)


@pytest.fixture
def pm(app_as):
    app = app_as("pm", page=PAGE)
    assert not app.at.exception, app.at.exception
    return app


def pm_actor(app):
    """The logged-in Product Manager, for arranging the store through the core."""
    return accounts.actor_for_session(app.store, app.token, utc_now())


def values(elements) -> list[str]:
    return [element.value for element in elements]


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def catalogue_state(store) -> dict:
    with store.reading() as session:
        return {
            "products": sorted(session.execute(select(Product.sku, Product.name, Product.status, Product.image_mime))),
            "levels": sorted(
                session.execute(select(StockLevel.id, StockLevel.on_hand, StockLevel.reserved, StockLevel.price))
            ),
            "prices": session.scalar(select(func.count(PriceChange.id))),
        }


def level(store, sku: str, warehouse: str) -> tuple[int, int, int]:
    with store.reading() as session:
        return session.execute(
            select(StockLevel.on_hand, StockLevel.reserved, StockLevel.price)
            .join(Product, Product.id == StockLevel.product_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .join(Company, Company.id == Product.company_id)
            .where(Company.company_code == "DEMO01", Product.sku == sku, Warehouse.code == warehouse)
        ).one()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (30, 140, 90)).save(out, format="PNG")
    return out.getvalue()


def table(at, columns: list[str]):
    """The first dataframe on the page that has all these columns."""
    return next(frame.value for frame in at.dataframe if set(columns) <= set(frame.value.columns))


# --- The list ------------------------------------------------------------------------------------


#: The page's tabs by their English labels: only the open tab is drawn, as in the browser.
TABS = {"products": "Products", "grid": "Stock & prices", "add": "Add product", "csv": "CSV import / export"}


def open_tab(at, tab: str):
    """Open `tab` as a click on it would (the page reruns and draws it)."""
    at.session_state["pm_tab"] = TABS[tab]
    return at.run()


def test_the_list_shows_every_product_per_warehouse_with_stock_and_rupiah_prices(pm):
    frame = table(pm.at, ["SKU", "Warehouse", "On hand", "Reserved", "Available", "Price"])
    assert len(frame) == 60 * 3
    assert set(frame["Warehouse"]) == {"JKT-01", "MKS-01", "JYP-01"}
    assert all(price.startswith("Rp") and "," not in price for price in frame["Price"])
    assert "60 products" in values(pm.at.caption)


def test_search_and_filters_narrow_the_list(pm):
    at = pm.at
    at.text_input(key="pm_search").input("spn-0001").run()
    assert set(table(at, ["SKU", "Price"])["SKU"]) == {"SPN-0001"}
    at.selectbox(key="pm_warehouse").select("MKS-01").run()
    assert list(table(at, ["SKU", "Price"])["Warehouse"]) == ["MKS-01"]
    at.text_input(key="pm_search").input("").run()
    at.selectbox(key="pm_status").select("Deleted").run()
    assert values(at.info) == ["No products match these filters."]


@pytest.mark.parametrize("text", ["%", "_", "'; DROP TABLE products; --", "\\", "é" * 300, "<b>x</b>"])
def test_any_search_text_is_taken_literally_and_never_breaks_the_page(pm, text):
    at = pm.at
    at.text_input(key="pm_search").input(text).run()
    assert not at.exception
    assert values(at.info) == ["No products match these filters."]
    open_tab(at, "grid")
    at.text_input(key="pm_grid_search").input(text).run()
    assert not at.exception
    assert values(at.info) == ["No products match. Add products first, or change the search."]


def test_the_low_stock_filter_shows_products_at_or_below_the_level(pm):
    at = pm.at
    at.number_input(key="pm_low_level").set_value(100).run()
    at.checkbox(key="pm_low_only").check().run()
    frame = table(at, ["SKU", "Available", "Low stock"])
    low_skus = set(frame.loc[frame["Low stock"] == "yes", "SKU"])
    assert low_skus and low_skus == set(frame["SKU"])
    assert (frame.groupby("SKU")["Available"].min() <= 100).all()


# --- Adding ----------------------------------------------------------------------------------------


def fill_add_form(at, sku: str, name: str, stock: dict[str, tuple]) -> None:
    open_tab(at, "add")
    at.text_input(key="pm_add_sku_0").input(sku)
    at.text_input(key="pm_add_name_0").input(name)
    at.text_input(key="pm_add_unit_0").input("pak")
    for code, (on_hand, price) in stock.items():
        at.text_input(key=f"pm_add_on_hand_{code}_0").input("" if on_hand is None else str(on_hand))
        at.text_input(key=f"pm_add_price_{code}_0").input("" if price is None else str(price))
    button(at, "Add product").click()
    at.run()


def test_adding_a_product_with_stock_and_price_says_so_and_lists_it(pm):
    at = pm.at
    fill_add_form(at, "kopi-ab1", "Kopi Arabika 250 g", {"JKT-01": (40, 55_000), "JYP-01": (12, 61_000)})
    assert not at.exception
    assert values(at.success) == [
        "Added KOPI-AB1 · Kopi Arabika 250 g, stocked in JKT-01 (40 at Rp55.000), JYP-01 (12 at Rp61.000)."
    ]
    open_tab(at, "products")
    at.text_input(key="pm_search").input("KOPI-AB1").run()
    frame = table(at, ["SKU", "Warehouse", "On hand", "Price"])
    assert sorted(zip(frame["Warehouse"], frame["On hand"], frame["Price"])) == [
        ("JKT-01", 40, "Rp55.000"),
        ("JYP-01", 12, "Rp61.000"),
    ]
    open_tab(at, "add")
    assert at.text_input(key="pm_add_sku_1").value == ""  # a fresh, empty form for the next one


def test_bad_entries_in_the_add_form_are_refused_naming_every_bad_cell(pm):
    at = pm.at
    before = catalogue_state(pm.store)
    fill_add_form(at, "TEH-9", "Teh", {"JKT-01": (-3, 0), "MKS-01": (5, None)})
    assert not at.exception
    assert values(at.error) == [
        "3 entries need fixing before anything is saved: TEH-9 at JKT-01: on hand cannot "
        "be negative (-3); TEH-9 at JKT-01: price must be more than Rp0 (got 0); TEH-9 at "
        "MKS-01: price is empty; enter the price per unit in whole rupiah."
    ]
    problems = table(at, ["SKU", "Warehouse", "Column", "Problem"])
    assert list(problems["Column"]) == ["on hand", "price", "price"]
    assert catalogue_state(pm.store) == before


def test_a_price_with_decimals_is_refused_by_name_never_rounded(pm):
    at = pm.at
    before = catalogue_state(pm.store)
    fill_add_form(at, "TEH-10", "Teh Melati", {"JKT-01": (5, "1000.5")})
    assert values(at.error) == [
        "1 entry needs fixing before anything is saved: TEH-10 at JKT-01: price '1000.5' is not a whole number "
        "(digits only: no dots, commas, spaces or 'Rp')."
    ]
    assert catalogue_state(pm.store) == before


def test_a_duplicate_or_malformed_sku_is_refused(pm):
    at = pm.at
    before = catalogue_state(pm.store)
    fill_add_form(at, "SPN-0001", "Again", {})
    assert values(at.error) == [
        "SKU SPN-0001 is already in your catalogue; modify that product instead, or choose another SKU."
    ]
    at.text_input(key="pm_add_sku_0").input("two words")
    button(at, "Add product").click()
    at.run()
    assert "is not valid" in at.error[0].value
    assert catalogue_state(pm.store) == before


# --- Modify, image, delete ----------------------------------------------------------------------------


def test_modifying_a_product_saves_its_details(pm):
    at = pm.at
    at.text_input(key="pm_modify_SPN-0001_name").input("Beras Premium 5 kg Pulen")
    at.selectbox(key="pm_modify_SPN-0001_status").select("INACTIVE")
    button(at, "Save details").click()
    at.run()
    assert values(at.success) == ["Saved the details of SPN-0001."]
    with pm.store.reading() as session:
        assert session.execute(select(Product.name, Product.status).where(Product.sku == "SPN-0001")).one() == (
            "Beras Premium 5 kg Pulen",
            "INACTIVE",
        )


def test_an_empty_name_is_refused_with_the_reason(pm):
    at = pm.at
    before = catalogue_state(pm.store)
    at.text_input(key="pm_modify_SPN-0001_name").input("   ")
    button(at, "Save details").click()
    at.run()
    assert values(at.error) == ["Enter the product's name."]
    assert catalogue_state(pm.store) == before


def test_a_file_that_is_not_an_image_but_named_png_is_refused_before_anything_is_saved(pm):
    at = pm.at
    before = catalogue_state(pm.store)
    at.file_uploader(key="pm_image_SPN-0001_0").upload("photo.png", b"%PDF-1.7 this is a document", "image/png")
    at.run()
    assert values(at.error) == [
        "The product image 'photo.png' is not a readable PNG, JPEG or WebP image (whatever its name says)."
    ]
    assert "Save this image" not in [b.label for b in at.button]
    assert catalogue_state(pm.store) == before


def test_an_image_is_previewed_first_and_saved_only_on_request(pm):
    at = pm.at
    at.file_uploader(key="pm_image_SPN-0001_0").upload("rice.png", png(), "image/png")
    at.run()
    assert "Preview, as it will be stored: 80×60 pixels" in captions(at)
    with pm.store.reading() as session:
        assert session.scalar(select(Product.image_mime).where(Product.sku == "SPN-0001")) is None
    button(at, "Save this image").click()
    at.run()
    assert values(at.success) == ["Saved the new image of SPN-0001."]
    with pm.store.reading() as session:
        assert session.scalar(select(Product.image_mime).where(Product.sku == "SPN-0001")) == "image/jpeg"
    assert "Remove the current image" in [b.label for b in at.button]


def captions(at) -> list[str]:
    return [caption for image in at.get("image") for caption in image.captions]


def test_the_current_image_is_removed_only_once_the_confirmation_is_ticked(pm):
    product_images.save_product_image(pm.store, pm_actor(pm), "SPN-0001", png(), "rice.png", utc_now())
    at = pm.at.run()
    assert at.checkbox(key="pm_image_remove_sure_SPN-0001").label == product_images.removing_image("SPN-0001")
    button(at, "Remove the current image").click()
    at.run()
    assert values(at.warning) == ["Tick the box above to confirm removing the image of SPN-0001; nothing has changed."]
    with pm.store.reading() as session:
        assert session.scalar(select(Product.image_mime).where(Product.sku == "SPN-0001")) == "image/jpeg"
    at.checkbox(key="pm_image_remove_sure_SPN-0001").check()
    button(at, "Remove the current image").click()
    at.run()
    assert values(at.success) == ["Removed the image of SPN-0001."]
    assert "No image yet." in values(at.caption)


def test_the_image_uploaders_state_the_limits_core_checks(pm):
    for tab, key in (("products", "pm_image_SPN-0001_0"), ("add", "pm_add_image_0")):
        uploader = open_tab(pm.at, tab).file_uploader(key=key)
        assert uploader.label.endswith(": PNG, JPEG or WebP, up to 5 MB")
        assert uploader.help == images.upload_hint(images.PRODUCT_IMAGE)
        assert uploader.proto.max_upload_size_mb == 5
        assert uploader.allowed_type == [".png", ".jpg", ".jpeg", ".webp"]


def test_deleting_a_product_on_an_open_order_is_refused_naming_the_order(pm):
    placed = buyers.place_order(
        pm.store,
        buyer_code="LVM-00001",
        company_code="DEMO01",
        warehouse_code="JKT-01",
        lines=[OrderLine("SPN-0001", 2)],
        now=utc_now(),
    )
    at = pm.at
    before = catalogue_state(pm.store)
    at.checkbox(key="pm_delete_sure_SPN-0001").check()
    button(at, "Delete product").click()
    at.run()
    assert values(at.error) == [
        f"Product SPN-0001 cannot be deleted: it is on an open order ({placed.order_number}). "
        "It can be deleted once those orders are finished."
    ]
    assert catalogue_state(pm.store) == before


def test_deleting_needs_the_tick_and_then_removes_the_product_from_the_list(pm):
    at = pm.at
    button(at, "Delete product").click()
    at.run()
    assert values(at.warning) == ["Tick “Yes, delete SPN-0001” first."]
    at.checkbox(key="pm_delete_sure_SPN-0001").check()
    button(at, "Delete product").click()
    at.run()
    assert values(at.success) == ["Deleted SPN-0001. Its orders and price history are kept."]
    assert "SPN-0001" not in set(table(at, ["SKU", "Price"])["SKU"])
    at.selectbox(key="pm_status").select("Deleted").run()
    assert set(table(at, ["SKU", "Price"])["SKU"]) == {"SPN-0001"}
    assert any("is deleted: buyers no longer see it" in info for info in values(at.info))


# --- The stock & price grid --------------------------------------------------------------------------


def edit_grid(at, edits: dict[int, dict]):
    """Type into the grid as a browser would (AppTest seeds the editor's state), then rerun."""
    at.session_state[at.session_state["pm_grid_key"]] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    return at.run()


def grid(at):
    return at.data_editor[0].value


def test_the_grid_shows_on_hand_reserved_available_and_price_with_only_on_hand_and_price_editable(pm):
    open_tab(pm.at, "grid")
    editor = pm.at.data_editor[0]
    frame = editor.value
    assert list(frame.columns) == [
        "SKU",
        "Product",
        "Warehouse",
        "On hand",
        "Reserved",
        "Available",
        "Price (Rp)",
        "Current price",
    ]
    assert len(frame) == 180
    assert (frame["Available"] == frame["On hand"] - frame["Reserved"]).all()
    config = json.loads(editor.proto.columns)
    editable = {name for name, column in config.items() if not column.get("disabled") and name != "_index"}
    assert editable == {"On hand", "Price (Rp)"}
    # The price reads as rupiah like every other amount ("Rp78.000"), and is edited as the number.
    assert config["Price (Rp)"]["type_config"]["format"] == RUPIAH_COLUMN == "Rp%'.,d"


def test_bad_cells_in_the_grid_are_listed_with_sku_warehouse_and_why_and_nothing_can_be_saved(pm):
    open_tab(pm.at, "grid")
    at = pm.at
    first, second = grid(at).iloc[0], grid(at).iloc[1]
    edit_grid(at, {0: {"On hand": -5}, 1: {"Price (Rp)": 0}})
    assert not at.exception
    assert at.error[0].value.startswith("2 entries need fixing before anything is saved:")
    problems = table(at, ["SKU", "Warehouse", "Column", "Problem"])
    assert [tuple(r) for r in problems[["SKU", "Warehouse", "Column", "Problem"]].itertuples(index=False)] == [
        (first["SKU"], first["Warehouse"], "on hand", "On hand cannot be negative (-5)"),
        (second["SKU"], second["Warehouse"], "price", "Price must be more than Rp0 (got 0)"),
    ]
    assert "Save changes" not in [b.label for b in at.button]


def test_on_hand_below_what_is_reserved_is_refused_in_the_grid(pm):
    open_tab(pm.at, "grid")
    buyers.place_order(
        pm.store,
        buyer_code="LVM-00001",
        company_code="DEMO01",
        warehouse_code="JKT-01",
        lines=[OrderLine("SPN-0001", 7)],
        now=utc_now(),
    )
    at = pm.at.run()  # the grid shows the store as it is now (no edits in progress)
    row = grid(at).index[(grid(at)["SKU"] == "SPN-0001") & (grid(at)["Warehouse"] == "JKT-01")][0]
    assert grid(at).loc[row, "Reserved"] == 7
    edit_grid(at, {int(row): {"On hand": 6}})
    assert "6 is below the 7 units reserved by open orders" in at.error[0].value


def test_edits_in_progress_can_be_discarded(pm):
    open_tab(pm.at, "grid")
    at = pm.at
    before = catalogue_state(pm.store)
    edit_grid(at, {0: {"On hand": 1}})
    assert "Save changes" in [b.label for b in at.button]
    button(at, "Discard my edits").click()
    at.run()
    assert "Save changes" not in [b.label for b in at.button]
    assert catalogue_state(pm.store) == before


def test_filling_an_empty_row_of_the_grid_stocks_the_product_in_that_warehouse(pm):
    open_tab(pm.at, "grid")
    products.add_product_with_stock(
        pm.store,
        pm_actor(pm),
        sku="AAA-1",
        name="Air Mineral 330 ml",
        warehouse_code="JKT-01",
        on_hand=10,
        price=3_000,
        now=utc_now(),
    )
    at = pm.at.run()
    assert [tuple(r) for r in grid(at).head(3)[["SKU", "Warehouse", "On hand"]].itertuples(index=False)] == [
        ("AAA-1", "JKT-01", 10),
        ("AAA-1", "JYP-01", pd.NA),
        ("AAA-1", "MKS-01", pd.NA),
    ]
    edit_grid(at, {2: {"On hand": 24, "Price (Rp)": 3_300}})
    assert table(at, ["SKU", "On hand", "Price change"]).iloc[0]["On hand"] == "— → 24"
    button(at, "Save changes").click()
    at.run()
    assert values(at.success) == [
        "Saved: 1 on-hand figure and 1 price changed; every price change is in the price history."
    ]
    assert level(pm.store, "AAA-1", "MKS-01") == (24, 0, 3_300)


def test_a_large_price_change_is_refused_without_the_confirmation_and_saved_with_it(pm):
    open_tab(pm.at, "grid")
    at = pm.at
    row = grid(at).iloc[0]
    sku, code, old = row["SKU"], row["Warehouse"], int(row["Price (Rp)"])
    before = catalogue_state(pm.store)
    edit_grid(at, {0: {"Price (Rp)": old * 2}})
    assert values(at.warning) == ["1 price change is more than 30% against the current price. Check it side by side:"]
    side_by_side = table(at, ["Current price", "New price", "Change"])
    assert list(side_by_side.iloc[0][["SKU", "Warehouse", "Change"]]) == [sku, code, "+100%"]
    assert side_by_side.iloc[0]["New price"] == f"Rp{old * 2:,}".replace(",", ".")
    button(at, "Save changes").click()
    at.run()
    assert at.error[0].value.startswith(
        f"1 price change is more than 30% against the current price and must be explicitly confirmed: {sku} at {code}"
    )
    assert at.error[0].value.endswith("Nothing was saved.")
    assert catalogue_state(pm.store) == before
    next(c for c in at.checkbox if c.label.startswith("I have checked the 1 large price change")).check()
    button(at, "Save changes").click()
    at.run()
    assert values(at.success) == [
        "Saved: 0 on-hand figures and 1 price changed; every price change is in the price history."
    ]
    assert level(pm.store, sku, code)[2] == old * 2
    with pm.store.reading() as session:
        change = session.execute(
            select(
                PriceChange.old_price, PriceChange.new_price, PriceChange.source, PriceChange.confirmed_large_change
            ).order_by(PriceChange.id.desc())
        ).first()
    assert tuple(change) == (old, old * 2, "grid", True)


def test_stock_and_a_small_price_change_save_without_confirmation_and_show_in_the_price_history(pm):
    open_tab(pm.at, "grid")
    at = pm.at
    row = grid(at).iloc[0]
    sku, code, old = row["SKU"], row["Warehouse"], int(row["Price (Rp)"])
    edit_grid(at, {0: {"On hand": 999, "Price (Rp)": old + 100}})
    assert not at.warning
    button(at, "Save changes").click()
    at.run()
    assert values(at.success) == [
        "Saved: 1 on-hand figure and 1 price changed; every price change is in the price history."
    ]
    assert level(pm.store, sku, code)[0] == 999
    assert grid(at).iloc[0]["On hand"] == 999  # the grid reloaded from the store
    open_tab(at, "products")
    history = table(at, ["When", "Old price", "New price", "Large change confirmed"])
    latest = history.iloc[0]
    assert (latest["Warehouse"], latest["Old price"], latest["From"]) == (code, f"Rp{old:,}".replace(",", "."), "grid")
    assert latest["When"].endswith({"JKT-01": "WIB", "MKS-01": "WITA", "JYP-01": "WIT"}[code])


# --- CSV ----------------------------------------------------------------------------------------------


def test_the_csv_uploader_accepts_only_csv_files_within_the_limits_core_checks(pm):
    open_tab(pm.at, "csv")
    uploader = pm.at.file_uploader(key="pm_import_file_0")
    assert uploader.allowed_type == [".csv"]
    assert uploader.label == "CSV file to import: a .csv file, up to 2 MB and 20.000 rows"
    assert uploader.proto.max_upload_size_mb * 1024 * 1024 == csv_format.MAX_IMPORT_BYTES


def upload_csv(at, data: bytes, name: str = "catalogue.csv"):
    at.file_uploader(key="pm_import_file_0").upload(name, data, "text/csv")
    return at.run()


def test_a_bad_csv_row_is_reported_with_its_line_number_and_nothing_is_imported(pm):
    open_tab(pm.at, "csv")
    at = pm.at
    before = catalogue_state(pm.store)
    data = (
        f"{HEADER}\r\nSPN-0001,Beras Premium 5 kg,sak,,ACTIVE,JKT-01,10,78000\r\n"
        "SPN-0002,Beras Premium 5 kg Hemat,sak,,ACTIVE,BDG-01,5,70000\r\n"
    ).encode()
    upload_csv(at, data)
    assert not at.exception
    assert values(at.error) == [
        "1 of 2 rows have problems, so nothing was imported: line 3: your "
        "company has no warehouse BDG-01 (your warehouses: JKT-01, JYP-01, MKS-01). Fix them "
        "and upload the file again."
    ]
    problems = table(at, ["Line", "Problem"])
    assert list(problems["Line"]) == [3]
    assert not [b for b in at.button if b.label.startswith("Import")]
    assert catalogue_state(pm.store) == before


def test_a_file_that_is_not_a_csv_is_refused_in_one_sentence(pm):
    open_tab(pm.at, "csv")
    upload_csv(pm.at, b"PK\x03\x04 workbook", "catalogue.csv")
    assert values(pm.at.error) == [
        "'catalogue.csv' is an Excel workbook renamed .csv, not a CSV file. In Excel "
        "choose Save As → 'CSV UTF-8 (comma delimited)'."
    ]


def test_a_valid_import_is_checked_first_then_applied_with_a_summary(pm):
    open_tab(pm.at, "csv")
    at = pm.at
    data = f"{HEADER}\r\nNEW-CSV-1,Gula Aren 500 g,pak,,ACTIVE,MKS-01,25,21000\r\n".encode()
    upload_csv(at, data)
    assert values(at.info) == [
        "1 row checked, all valid: 1 to create, 0 to update, 0 unchanged (1 new product, 1 price change)."
    ]
    button(at, "Import 1 row").click()
    at.run()
    assert not at.exception
    assert values(at.success) == ["Imported 1 row: 1 created, 0 updated, 0 unchanged (1 new product, 1 price change)."]
    assert level(pm.store, "NEW-CSV-1", "MKS-01") == (25, 0, 21_000)


def test_a_large_price_change_in_an_import_is_refused_without_the_confirmation_and_applied_with_it(pm):
    open_tab(pm.at, "csv")
    at = pm.at
    old = level(pm.store, "SPN-0003", "JKT-01")[2]
    data = f"{HEADER}\r\nSPN-0003,Minyak Goreng 2 L,pouch,,ACTIVE,JKT-01,50,{old // 2}\r\n".encode()
    before = catalogue_state(pm.store)
    upload_csv(at, data)
    assert values(at.warning) == ["1 price change is more than 30% against the current price. Check it side by side:"]
    assert list(table(at, ["Current price", "New price"])["Change"]) == ["-50%"]
    button(at, "Import 1 row").click()
    at.run()
    assert [s.label for s in at.status] == ["The import failed: nothing was imported."]
    assert at.status[0].proto.expanded  # the reason is in sight, not in a collapsed box
    assert "must be explicitly confirmed: SPN-0003 at JKT-01" in at.error[0].value
    assert catalogue_state(pm.store) == before
    next(c for c in at.checkbox if c.label.startswith("I have checked the large price changes")).check()
    button(at, "Import 1 row").click()
    at.run()
    assert values(at.success)[0].startswith("Imported 1 row: 0 created, 1 updated")
    assert level(pm.store, "SPN-0003", "JKT-01") == (50, 0, old // 2)


def test_the_export_is_prepared_with_progress_and_offered_for_download(pm):
    open_tab(pm.at, "csv")
    at = pm.at
    button(at, "Prepare CSV export").click()
    at.run()
    assert [(s.label, s.state) for s in at.status] == [("The export is ready: 180 rows.", "complete")]
    labels = [b.label for b in at.get("download_button")]
    assert len(labels) == 1 and labels[0].startswith("Download catalogue-DEMO01-") and labels[0].endswith("(180 rows)")
