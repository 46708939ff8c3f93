"""Typed text in the catalogue: a NUL byte, an invisible or a text-direction character in a SKU, a
name, a unit, a description or a CSV cell is refused naming the field (or the line); a search or a
SKU looked up that cannot exist finds nothing. On SQLite and PostgreSQL, never a database error."""

from __future__ import annotations

import pytest

from core.catalogue import csv_format, csv_import, products, stock
from core.catalogue.products import NewStock
from core.catalogue.rules import ProductDetails
from core.errors import InvalidInput, NotFound
from tests.builders import MONDAY_10, catalogue_snapshot


def refused_on_add(world, sku="NEW-1", **details) -> InvalidInput:
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput) as refused:
        products.add_product(
            world.store,
            world.pm,
            sku,
            ProductDetails(**{"name": "Beras Pandan", **details}),
            MONDAY_10,
            stock=[NewStock("JKT-1", 5, 10_000)],
        )
    assert catalogue_snapshot(world.store) == before
    assert "\x00" not in refused.value.message
    return refused.value


def test_a_reversing_character_in_a_product_name_is_refused(world):
    refused = refused_on_add(world, name="Beras \u202enadnaP")
    assert refused.field == "name"
    assert refused.message == (
        "The product name contains a text-direction control character (U+202E), which can make text display "
        "reversed; remove it and try again."
    )


def test_a_zero_width_space_in_a_product_name_is_refused(world):
    refused = refused_on_add(world, name="Beras\u200bPandan")
    assert refused.field == "name"
    assert refused.message == "The product name contains an invisible character (U+200B); remove it and try again."


@pytest.mark.parametrize(
    "sku, details, field, words",
    [
        ("NEW\x001", {}, "sku", "The SKU contains a control character (U+0000)"),
        ("NEW-1\u200d", {}, "sku", "The SKU contains an invisible character (U+200D)"),
        ("NEW-1", {"name": "Beras\x00"}, "name", "The product name contains a control character (U+0000)"),
        ("NEW-1", {"unit": "kg\x00"}, "unit", "The unit contains a control character (U+0000)"),
        ("NEW-1", {"unit": "\u2066kg"}, "unit", "(U+2066)"),
        ("NEW-1", {"description": "Wangi\x00"}, "description", "The product description contains a control"),
        ("NEW-1", {"description": "Wangi\ufeff"}, "description", "invisible character (U+FEFF)"),
    ],
)
def test_bad_text_in_a_new_product_is_refused_naming_the_field(world, sku, details, field, words):
    refused = refused_on_add(world, sku=sku, **details)
    assert refused.field == field and words in refused.message


def test_bad_text_in_a_modified_product_is_refused(world):
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput, match=r"control character \(U\+0000\)") as refused:
        products.modify_product(world.store, world.pm, "RICE-5", ProductDetails(name="Beras\x00"), MONDAY_10)
    assert refused.value.field == "name"
    assert catalogue_snapshot(world.store) == before


def test_a_description_keeps_its_lines_and_tabs(world):
    row = products.add_product(
        world.store, world.pm, "NEW-1", ProductDetails(name="Beras", description="Satu\r\n\tDua\rTiga "), MONDAY_10
    )
    assert row.description == "Satu\n\tDua\nTiga"


@pytest.mark.parametrize("search", ["ric\x00e", "RICE\x00", "ri\u200bce", "x" * 5000])
def test_a_search_that_cannot_match_finds_nothing(world, search):
    assert products.list_products(world.store, world.pm, search=search) == []
    assert stock.stock_grid(world.store, world.pm, search=search) == []


def test_a_search_still_finds_what_it_did(world):
    assert [p.sku for p in products.list_products(world.store, world.pm, search="  rice\t")] == ["RICE-5"]
    assert [p.sku for p in products.list_products(world.store, world.pm, search="product  oil")] == ["OIL-2"]


@pytest.mark.parametrize("sku", ["RICE\x00-5", "RICE-5\x00", "RICE-5\u200b", "R" * 300])
def test_a_sku_that_cannot_exist_is_not_found(world, sku):
    for call in (
        lambda: products.get_product(world.store, world.pm, sku),
        lambda: products.delete_product(world.store, world.pm, sku, MONDAY_10),
        lambda: stock.price_history(world.store, world.pm, sku),
        lambda: stock.receive_stock(world.store, world.pm, sku, "JKT-1", 5, MONDAY_10),
    ):
        with pytest.raises(NotFound) as refused:
            call()
        assert "\x00" not in refused.value.message and "\u200b" not in refused.value.message


@pytest.mark.parametrize("code", ["JKT\x00-1", "JKT-1\u200b", "J" * 300])
def test_receiving_stock_in_a_warehouse_that_cannot_exist_is_not_found(world, code):
    before = catalogue_snapshot(world.store)
    with pytest.raises(NotFound) as refused:
        stock.receive_stock(world.store, world.pm, "RICE-5", code, 5, MONDAY_10)
    assert "\x00" not in refused.value.message and "\u200b" not in refused.value.message
    assert catalogue_snapshot(world.store) == before


def test_bad_characters_in_csv_cells_are_reported_by_line_and_nothing_is_imported(world):
    header = ",".join(csv_format.CSV_COLUMNS)
    lines = [
        "NEW-1,Beras\u200bPandan,pcs,,ACTIVE,JKT-1,5,10000",  # 2
        "NEW-2,Beras \u202enadnaP,pcs,,ACTIVE,JKT-1,5,10000",  # 3
        "NEW-3,Beras,k\u200bg,,ACTIVE,JKT-1,5,10000",  # 4
        'NEW-4,Beras,pcs,"Satu\r\nDua\u00ad",ACTIVE,JKT-1,5,10000',  # 5 (a quoted cell over two lines)
        "NEW\u200b-5,Beras,pcs,,ACTIVE,JKT-1,5,10000",  # 7
    ]
    data = ("\r\n".join([header, *lines]) + "\r\n").encode("utf-8")
    before = catalogue_snapshot(world.store)
    with pytest.raises(csv_import.ImportRejected) as refused:
        csv_import.import_catalogue(world.store, world.pm, data, "catalogue.csv", MONDAY_10)
    assert [(p.line, p.message) for p in refused.value.problems] == [
        (2, "The product name contains an invisible character (U+200B); remove it and try again."),
        (
            3,
            "The product name contains a text-direction control character (U+202E), which can make text display "
            "reversed; remove it and try again.",
        ),
        (4, "The unit contains an invisible character (U+200B); remove it and try again."),
        (5, "The product description contains an invisible character (U+00AD); remove it and try again."),
        (7, "The SKU contains an invisible character (U+200B); remove it and try again."),
    ]
    assert catalogue_snapshot(world.store) == before


@pytest.mark.parametrize("filename", ["cata\x00logue.csv", "catalogue\u202evsc.csv"])
def test_a_file_name_with_hidden_characters_is_refused_and_nothing_is_imported(world, filename):
    header = ",".join(csv_format.CSV_COLUMNS)
    data = (header + "\r\nNEW-1,Beras,pcs,,ACTIVE,JKT-1,5,10000\r\n").encode("utf-8")
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput) as refused:
        csv_import.import_catalogue(world.store, world.pm, data, filename, MONDAY_10)
    assert refused.value.field == "file" and "The file name contains" in refused.value.message
    assert catalogue_snapshot(world.store) == before
