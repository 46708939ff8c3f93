"""CSV export and import of the catalogue on a real store (SQLite and PostgreSQL): the file format,
formula neutralisation, every bad row reported by line with nothing applied, the price guard in
imports, and the summary of what an import did."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from core.catalogue import csv_export, csv_format, csv_import, products, rules, stock
from core.catalogue.planning import StockEdit
from core.catalogue.rules import ProductDetails
from core.errors import AccessDenied, InvalidInput
from core.orders import buyer_channel as buyers
from core.orders.buyer_channel import OrderLine
from core.store.models import PriceChange, Product, StockLevel
from tests.builders import MONDAY_10, add_warehouse, catalogue_snapshot, stock_level, wib

HEADER = ",".join(csv_format.CSV_COLUMNS)


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode("utf-8")


def rows_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def rejected(world, data: bytes, filename: str = "catalogue.csv") -> list[tuple[int, str]]:
    """The (line, reason) pairs of a refused import; asserts the store did not change."""
    before = catalogue_snapshot(world.store)
    with pytest.raises(csv_import.ImportRejected) as refused:
        csv_import.preview_import(world.store, world.pm, data, filename)
    with pytest.raises(csv_import.ImportRejected):
        csv_import.import_catalogue(world.store, world.pm, data, filename, MONDAY_10)
    assert catalogue_snapshot(world.store) == before
    return [(p.line, p.message) for p in refused.value.problems]


# --- Export ----------------------------------------------------------------------------------------


def test_the_export_has_a_header_and_one_row_per_product_and_warehouse(world):
    add_warehouse(world, "MKS-1")
    products.add_product(world.store, world.pm, "NEW-1", ProductDetails(name="Not stocked yet"), MONDAY_10)
    stock.apply_changes(world.store, world.pm, [StockEdit("RICE-5", "MKS-1", 7, 80_000)], MONDAY_10)
    data = csv_export.export_catalogue(world.store, world.pm)
    assert data.decode("utf-8").splitlines()[0] == HEADER
    assert [(r["sku"], r["warehouse_code"], r["on_hand"], r["price"], r["status"]) for r in rows_of(data)] == [
        ("NEW-1", "", "", "", "ACTIVE"),
        ("OIL-2", "JKT-1", "10", "36500", "ACTIVE"),
        ("RICE-5", "JKT-1", "100", "75000", "ACTIVE"),
        ("RICE-5", "MKS-1", "7", "80000", "ACTIVE"),
    ]


def test_the_export_leaves_out_deleted_products_and_other_companies(world):
    products.delete_product(world.store, world.pm, "OIL-2", MONDAY_10)
    assert [r["sku"] for r in rows_of(csv_export.export_catalogue(world.store, world.pm))] == ["RICE-5"]
    assert [r["status"] for r in rows_of(csv_export.export_catalogue(world.store, world.pm, include_deleted=True))] == [
        "DELETED",
        "ACTIVE",
    ]
    assert [r["price"] for r in rows_of(csv_export.export_catalogue(world.store, world.other_pm))] == ["70000"]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil","x")', "+62 811", "-diskon", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised_and_come_back_unchanged(world, name):
    with world.store.transaction() as session:  # such a name cannot be typed in a form (control characters)
        session.query(Product).filter_by(sku="OIL-2", company_id=world.pm.company_id).update({"name": name})
    data = csv_export.export_catalogue(world.store, world.pm)
    oil = next(r for r in rows_of(data) if r["sku"] == "OIL-2")
    assert oil["name"] == "'" + name
    if name[0] not in "\t\r":  # names with control characters are refused on the way in
        preview = csv_import.preview_import(world.store, world.pm, data, "back.csv")
        assert (preview.updated_rows, preview.unchanged_rows) == (0, 2)


def test_the_export_file_name_carries_the_company_and_the_jakarta_date(world):
    filename = csv_export.export_filename(world.pm.company_code, wib(2026, 11, 26, 0, 30))
    assert filename == "catalogue-ACME01-2026-11-26.csv"


def test_only_a_product_manager_may_export_or_import(world):
    with pytest.raises(AccessDenied):
        csv_export.export_catalogue(world.store, world.admin)
    with pytest.raises(AccessDenied):
        csv_import.import_catalogue(world.store, world.admin, csv_bytes(), "x.csv", MONDAY_10)


# --- Import: what it does --------------------------------------------------------------------------


def test_an_exported_file_imported_back_changes_nothing(world):
    data = csv_export.export_catalogue(world.store, world.pm)
    before = catalogue_snapshot(world.store)
    summary = csv_import.import_catalogue(world.store, world.pm, data, "catalogue.csv", MONDAY_10)
    assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (2, 0, 0, 2)
    assert catalogue_snapshot(world.store) == before


def test_an_import_creates_products_and_stock_levels_updates_others_and_says_so(world):
    add_warehouse(world, "MKS-1")
    data = csv_bytes(
        "RICE-5,Product RICE-5,pcs,,ACTIVE,JKT-1,120,80000",  # stock and a small price change
        "RICE-5,Product RICE-5,pcs,,ACTIVE,MKS-1,30,82000",  # a new stock level
        "OIL-2,Minyak Goreng 2 L,pouch,Sawit.,INACTIVE,JKT-1,10,36500",  # details only
        'gula-1,Gula Pasir 1 kg,pak,"Putih,\nkristal.",,mks-1,500,17500',  # a new product, lower case codes
        "TEH-25,Teh Celup isi 25,,,,,,",  # a new product, stocked nowhere
    )
    preview = csv_import.preview_import(world.store, world.pm, data, "catalogue.csv")
    assert (preview.new_products, preview.updated_products) == (("GULA-1", "TEH-25"), ("OIL-2",))
    assert (preview.created_rows, preview.updated_rows, preview.unchanged_rows, preview.large) == (3, 2, 0, ())
    summary = csv_import.import_catalogue(world.store, world.pm, data, "catalogue.csv", MONDAY_10)
    assert summary.sentence() == (
        "Imported 5 rows: 3 created, 2 updated, 0 unchanged (2 new products, 3 price changes)."
    )
    assert stock_level(world) == (120, 0, 80_000)
    assert stock_level(world, "RICE-5", "MKS-1") == (30, 0, 82_000)
    assert stock_level(world, "GULA-1", "MKS-1") == (500, 0, 17_500)
    gula = products.get_product(world.store, world.pm, "GULA-1")
    assert (gula.name, gula.unit, gula.description, gula.status) == (
        "Gula Pasir 1 kg",
        "pak",
        "Putih,\nkristal.",
        "ACTIVE",
    )
    oil = products.get_product(world.store, world.pm, "OIL-2")
    assert (oil.name, oil.unit, oil.status) == ("Minyak Goreng 2 L", "pouch", "INACTIVE")
    assert products.get_product(world.store, world.pm, "TEH-25").stock == ()
    history = stock.price_history(world.store, world.pm, "RICE-5")
    assert {(h.warehouse_code, h.old_price, h.new_price, h.source) for h in history} == {
        ("JKT-1", 75_000, 80_000, "csv import"),
        ("MKS-1", None, 82_000, "csv import"),
    }


def test_empty_unit_and_status_keep_what_the_product_has(world):
    products.modify_product(
        world.store, world.pm, "OIL-2", ProductDetails(name="Product OIL-2", unit="pouch", status="INACTIVE"), MONDAY_10
    )
    summary = csv_import.import_catalogue(
        world.store, world.pm, csv_bytes("OIL-2,Product OIL-2,,,,JKT-1,10,36500"), "c.csv", MONDAY_10
    )
    assert summary.unchanged == 1
    assert (products.get_product(world.store, world.pm, "OIL-2").unit,) == ("pouch",)


def test_an_import_touches_only_the_importing_company(world):
    csv_import.import_catalogue(
        world.store, world.pm, csv_bytes("RICE-5,Product RICE-5,pcs,,ACTIVE,JKT-1,1,75000"), "c.csv", MONDAY_10
    )
    assert [c.on_hand for r in products.list_products(world.store, world.other_pm) for c in r.stock] == [50]


def test_a_semicolon_separated_file_with_a_byte_order_mark_is_read(world):
    data = "\ufeff" + HEADER.replace(",", ";") + "\r\nOIL-2;Product OIL-2;pcs;;ACTIVE;JKT-1;11;36500\r\n"
    summary = csv_import.import_catalogue(world.store, world.pm, data.encode("utf-8"), "excel.CSV", MONDAY_10)
    assert (summary.updated, stock_level(world, "OIL-2")[0]) == (1, 11)


def test_extra_columns_are_ignored_and_named_in_the_preview(world):
    data = csv_bytes("RICE-5,Product RICE-5,pcs,,ACTIVE,JKT-1,100,75000,3,97", header=HEADER + ",reserved,available")
    assert csv_import.preview_import(world.store, world.pm, data, "c.csv").ignored_columns == ("reserved", "available")


# --- Import: the price guard ------------------------------------------------------------------------


def test_large_price_changes_in_an_import_need_the_same_explicit_confirmation(world):
    data = csv_bytes(
        "RICE-5,Product RICE-5,pcs,,ACTIVE,JKT-1,100,150000", "OIL-2,Product OIL-2,pcs,,ACTIVE,JKT-1,10,36000"
    )
    preview = csv_import.preview_import(world.store, world.pm, data, "c.csv")
    assert [(c.sku, c.old_price, c.new_price, c.percent) for c in preview.large] == [("RICE-5", 75_000, 150_000, 100.0)]
    before = catalogue_snapshot(world.store)
    with pytest.raises(rules.LargePriceChangesUnconfirmed, match="RICE-5 at JKT-1 Rp75.000 → Rp150.000"):
        csv_import.import_catalogue(world.store, world.pm, data, "c.csv", MONDAY_10)
    assert catalogue_snapshot(world.store) == before
    csv_import.import_catalogue(world.store, world.pm, data, "c.csv", MONDAY_10, confirmed_large=preview.large_keys)
    assert (stock_level(world)[2], stock_level(world, "OIL-2")[2]) == (150_000, 36_000)
    with world.store.reading() as session:
        assert session.scalar(select(func.count()).where(PriceChange.confirmed_large_change.is_(True))) == 1


# --- Import: every bad row, by line ------------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_line_number_and_reason_and_nothing_is_applied(world):
    buyers.place_order(
        world.store,
        buyer_code="BUY-1",
        company_code="ACME01",
        warehouse_code="JKT-1",
        lines=[OrderLine("OIL-2", 4)],
        now=MONDAY_10,
    )
    data = csv_bytes(
        "GOOD-1,Good product,pcs,,ACTIVE,JKT-1,5,1000",  # line 2: fine, yet not imported
        "RICE-5,Product RICE-5,pcs,,ACTIVE,SBY-9,5,1000",  # 3
        "RICE-5,Product RICE-5,pcs,,ACTIVE,JKT-1,-5,75000",  # 4
        "OIL-2,Product OIL-2,pcs,,ACTIVE,JKT-1,2.5,36500",  # 5
        "OIL-2,Product OIL-2,pcs,,ACTIVE,JKT-1,3,36500",  # 6: duplicate of 5
        "NEW-2,New,pcs,,ACTIVE,JKT-1,3,0",  # 7
        "NEW-3,New,pcs,,ACTIVE,JKT-1,3,Rp5.000",  # 8
        f"NEW-4,{'N' * 201},pcs,,ACTIVE,JKT-1,3,5000",  # 9
        "BAD SKU,New,pcs,,ACTIVE,JKT-1,3,5000",  # 10
        "NEW-5,New,pcs,,ACTIVE,JKT-1,3",  # 11: a field short
        "NEW-6,New,pcs,,SOLD,JKT-1,3,5000",  # 12
        "GOOD-1,Other name,pcs,,ACTIVE,,,",  # 13: disagrees with line 2
        "NEW-7,New,pcs,,ACTIVE,,3,5000",  # 14
    )
    assert rejected(world, data) == [
        (3, "your company has no warehouse SBY-9 (your warehouses: JKT-1)"),
        (4, "on hand cannot be negative (-5)"),
        (5, "on hand '2.5' is not a whole number (digits only: no dots, commas, spaces or 'Rp')"),
        (6, "OIL-2 in JKT-1 is already on line 5; each product and warehouse may appear only once"),
        (7, "price must be more than Rp0 (got 0)"),
        (8, "price 'Rp5.000' is not a whole number (digits only: no dots, commas, spaces or 'Rp')"),
        (9, "The name is 201 characters long; the limit is 200."),
        (
            10,
            "SKU 'BAD SKU' is not valid: use up to 64 letters, digits, '-', '_' or '.', starting with a letter or "
            "digit (no spaces).",
        ),
        (11, "the row has 7 fields but the header has 8 (a missing or extra comma, or an unclosed quote?)"),
        (12, "Status 'SOLD' is not known; use ACTIVE (on sale) or INACTIVE (hidden from buyers)."),
        (13, "name differs from line 2 for the same SKU GOOD-1"),
        (14, "the warehouse_code cell is empty; name the warehouse the on hand and price are for"),
    ]


def test_on_hand_below_what_open_orders_reserve_is_a_bad_row(world):
    buyers.place_order(
        world.store,
        buyer_code="BUY-1",
        company_code="ACME01",
        warehouse_code="JKT-1",
        lines=[OrderLine("OIL-2", 4)],
        now=MONDAY_10,
    )
    assert rejected(world, csv_bytes("OIL-2,Product OIL-2,pcs,,ACTIVE,JKT-1,3,36500")) == [
        (2, "on hand 3 is below the 4 units reserved by open orders; on hand can never be less than what is reserved")
    ]


def test_deleted_products_cannot_be_imported_back_or_deleted_by_import(world):
    products.delete_product(world.store, world.pm, "OIL-2", MONDAY_10)
    assert rejected(
        world,
        csv_bytes(
            "OIL-2,Product OIL-2,pcs,,ACTIVE,JKT-1,3,36500", "RICE-5,Product RICE-5,pcs,,DELETED,JKT-1,100,75000"
        ),
    ) == [
        (2, "product OIL-2 was deleted; its SKU cannot be imported again"),
        (
            3,
            "A product is deleted with the Delete action (it checks for open orders first), not by setting its status.",
        ),
    ]


def test_line_numbers_count_the_lines_of_the_file_even_with_multi_line_cells(world):
    data = csv_bytes(
        'RICE-5,Product RICE-5,pcs,"one\ntwo\nthree",ACTIVE,JKT-1,100,75000',
        "",
        "OIL-2,Product OIL-2,pcs,,ACTIVE,JKT-1,-1,36500",
    )
    assert rejected(world, data) == [(6, "on hand cannot be negative (-1)")]


# --- Import: files that cannot be read ----------------------------------------------------------------


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (csv_bytes("x"), "catalogue.xlsx", "'catalogue.xlsx' is not a CSV file"),
        (b"PK\x03\x04 zipped workbook", "catalogue.csv", "is an Excel workbook renamed .csv"),
        (
            HEADER.encode() + "\r\nOIL-2,Café,pcs,,ACTIVE,JKT-1,1,1\r\n".encode("latin-1"),
            "c.csv",
            "is not UTF-8 text (the first unreadable character is on line 2)",
        ),
        (b"", "c.csv", "'c.csv' is empty"),
        (
            b"sku,name,unit,price\r\nA,B,C,1\r\n",
            "c.csv",
            "is missing the columns description, status, warehouse_code, on_hand",
        ),
        (csv_bytes(header=HEADER + ",sku"), "c.csv", "names the column sku more than once"),
        (csv_bytes(), "c.csv", "has a header but no rows to import"),
        (b"\r\n\r\n", "c.csv", "has no header line"),
        (
            b"x" * (csv_format.MAX_IMPORT_BYTES + 1),
            "c.csv",
            "is 2,097,153 bytes; the limit is 2.0 MB (2,097,152 bytes)",  # not "2.0 MB; the limit is 2 MB"
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_in_one_sentence(world, data, filename, message):
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput) as refused:
        csv_import.import_catalogue(world.store, world.pm, data, filename, MONDAY_10)
    assert message in refused.value.message
    assert not isinstance(refused.value, csv_import.ImportRejected)
    assert catalogue_snapshot(world.store) == before


def test_a_file_with_too_many_rows_is_refused(world, monkeypatch):
    monkeypatch.setattr(csv_format, "MAX_IMPORT_ROWS", 3)
    data = csv_bytes(*[f"N-{n},New {n},pcs,,ACTIVE,JKT-1,1,1000" for n in range(4)])
    with pytest.raises(InvalidInput, match="has more than 3 rows; the limit is 3"):
        csv_import.preview_import(world.store, world.pm, data, "c.csv")


def test_the_uploader_states_the_limits_an_import_checks():
    assert str(csv_format.IMPORT_LIMITS) == "a .csv file, up to 2 MB and 20.000 rows"
    assert csv_format.MAX_IMPORT_MEGABYTES * 1024 * 1024 == csv_format.MAX_IMPORT_BYTES


def test_an_import_reports_progress_from_start_to_end(world):
    seen = []
    data = csv_bytes("RICE-5,Product RICE-5,pcs,,ACTIVE,JKT-1,101,75000", "OIL-2,Product OIL-2,pcs,,ACTIVE,JKT-1,9,1")
    confirmed = csv_import.preview_import(world.store, world.pm, data, "c.csv").large_keys
    csv_import.import_catalogue(
        world.store,
        world.pm,
        data,
        "c.csv",
        MONDAY_10,
        confirmed_large=confirmed,
        on_progress=lambda fraction, text: seen.append((fraction, text)),
    )
    assert seen[0] == (0.0, "Reading the file…") and seen[-1] == (1.0, "Imported.")
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert all(0.0 <= f <= 1.0 for f, _ in seen) and "Saving stock and prices…" in {t for _, t in seen}


@pytest.mark.slow  # 20,000 rows
def test_a_full_size_import_of_twenty_thousand_rows_creates_everything_in_one_go(world):
    add_warehouse(world, "MKS-1")
    lines = [
        f"BULK-{n:05d},Bulk product {n},pcs,,ACTIVE,{wh},{n % 50},{1000 + n}"
        for n in range(10_000)
        for wh in ("JKT-1", "MKS-1")
    ]
    summary = csv_import.import_catalogue(world.store, world.pm, csv_bytes(*lines), "bulk.csv", MONDAY_10)
    assert (summary.rows, summary.created, summary.new_products) == (20_000, 20_000, 10_000)
    with world.store.reading() as session:
        assert session.scalar(select(func.count(StockLevel.id))) == 20_000 + 3
