"""Typed text in the warehouse services: a NUL byte, an invisible or a text-direction character is
refused naming the field (or, in a code looked up, not found), on SQLite and PostgreSQL, never a
database error; nothing is stored."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from core.errors import InvalidInput, NotFound
from core.store.models import AuditEntry, Warehouse, WarehouseClosure
from core.warehouses import management, operations, rules
from tests.builders import wib

MONDAY_10 = wib(2026, 11, 23, 10, 0)
NEW_WAREHOUSE = dict(
    code="MKS-2",
    name="Gudang Makassar Dua",
    time_zone="Asia/Makassar",
    opens_at=time(8),
    closes_at=time(16),
    operating_days=[0, 1, 2, 3, 4],
    delivery_sla_days=4,
    address="Jl. Kima Raya 2\nMakassar",
)


def stored(world) -> tuple:
    with world.store.reading() as session:
        return (
            session.execute(select(Warehouse.code, Warehouse.name, Warehouse.address).order_by(Warehouse.id)).all(),
            session.execute(select(WarehouseClosure.day, WarehouseClosure.reason)).all(),
            session.scalars(select(AuditEntry.id)).all(),
        )


BAD_TEXT = [
    ({"code": "MKS\x002"}, "code", "The warehouse code contains a control character (U+0000)"),
    ({"code": "MKS-2\u200b"}, "code", "The warehouse code contains an invisible character (U+200B)"),
    ({"name": "Gudang\x00Dua"}, "name", "The warehouse name contains a control character (U+0000)"),
    ({"name": "Gudang \u202eauD"}, "name", "text-direction control character (U+202E)"),
    ({"name": "Gudang\u00adDua"}, "name", "invisible character (U+00AD)"),
    ({"address": "Jl. Kima\x00 Raya"}, "address", "The address contains a control character (U+0000)"),
    ({"address": "Jl. \u2067Kima"}, "address", "(U+2067)"),
    ({"time_zone": "Asia/Makassar\x00"}, "time_zone", "not an Indonesian time zone"),
]


@pytest.mark.parametrize("change, field, words", BAD_TEXT, ids=[f"{b[1]}{i}" for i, b in enumerate(BAD_TEXT)])
def test_bad_text_in_a_new_warehouse_is_refused_naming_the_field(world, change, field, words):
    before = stored(world)
    with pytest.raises(InvalidInput) as refused:
        management.add_warehouse(world.store, world.admin, **{**NEW_WAREHOUSE, **change}, now=MONDAY_10)
    assert refused.value.field == field and words in refused.value.message
    assert "\x00" not in refused.value.message
    assert stored(world) == before


@pytest.mark.parametrize("change, field, words", [b for b in BAD_TEXT if b[1] != "code"])
def test_bad_text_in_a_modified_warehouse_is_refused_naming_the_field(world, change, field, words):
    before = stored(world)
    values = {k: v for k, v in NEW_WAREHOUSE.items() if k in ("name", "address", "time_zone", "delivery_sla_days")}
    with pytest.raises(InvalidInput) as refused:
        management.modify_warehouse(world.store, world.admin, "JKT-1", **{**values, **change}, now=MONDAY_10)
    assert refused.value.field == field and words in refused.value.message
    assert stored(world) == before


def test_an_address_keeps_its_lines_and_its_limit_is_stated():
    assert rules.clean_address(" Jl. Kima Raya 2\r\n\tMakassar ") == "Jl. Kima Raya 2\n\tMakassar"
    with pytest.raises(InvalidInput, match="The address may be at most 500 characters; it has 501.") as refused:
        rules.clean_address("A" * 501)
    assert refused.value.field == "address"


@pytest.mark.parametrize(
    "reason, words",
    [
        ("stock\x00taking", "The closure reason contains a control character (U+0000)"),
        ("stock-taking\u200b", "invisible character (U+200B)"),
        ("r" * 201, "at most 200 characters; it has 201."),
    ],
)
def test_a_bad_closure_reason_is_refused_and_nothing_is_stored(world, now, reason, words):
    before = stored(world)
    with pytest.raises(InvalidInput) as refused:
        operations.add_closures(world.store, world.pm, "JKT-1", date(2026, 12, 1), None, reason, now)
    assert refused.value.field == "reason" and words in refused.value.message
    assert stored(world) == before


@pytest.mark.parametrize("code", ["JKT\x00-1", "JKT-1\x00", "JKT-1\u200b", "J" * 300])
def test_a_warehouse_code_that_cannot_exist_is_not_found(world, now, code):
    for call in (
        lambda: management.get_warehouse(world.store, world.admin, code, now),
        lambda: management.close_warehouse(world.store, world.admin, code, now),
        lambda: operations.remove_closure(world.store, world.pm, code, date(2026, 12, 1), now),
    ):
        with pytest.raises(NotFound) as refused:
            call()
        assert "\x00" not in refused.value.message and "\u200b" not in refused.value.message
        assert "was not found among your company's warehouses" in refused.value.message
