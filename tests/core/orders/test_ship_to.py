"""The ship-to address is part of the order: placing keeps the buyer's registered name, phone, address
and city (or the delivery address the buyer app gives, checked like every typed text), a later
change of the buyer's row does not move a placed order, the demo's bulk orders keep their buyer's
address, and migration 0006 fills the orders placed before it. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from core.demo.bulk import generate_bulk
from core.demo.seed import DEMO_COMPANY_CODE, load_demo
from core.errors import InvalidInput
from core.orders import buyer_channel as buyers
from core.orders import views
from core.orders.buyer_channel import OrderLine, ShipTo
from core.orders.views import ShipToView
from core.store.database import current_revision, downgrade, head_revision, migrate
from core.store.models import Buyer, Company, Order, StockLevel, Warehouse, orders_t
from tests.builders import MONDAY_10, place

REGISTERED = dict(phone="+62 812 1111 2222", address="Jl. Pasar Baru No. 7\nRT 02/RW 05", city="Jakarta Pusat")


def register_address(world, buyer_code="BUY-1", **values) -> None:
    with world.store.transaction() as session:
        session.execute(update(Buyer).where(Buyer.buyer_code == buyer_code).values(**(values or REGISTERED)))


def place_to(world, ship_to: ShipTo | None, quantity: int = 1):
    return buyers.place_order(
        world.store,
        buyer_code="BUY-1",
        company_code="ACME01",
        warehouse_code="JKT-1",
        lines=[OrderLine("RICE-5", quantity)],
        now=MONDAY_10,
        ship_to=ship_to,
    )


def ship_to_of(world, number) -> ShipToView:
    return views.order_detail(world.store, world.pm, number).ship_to


def test_placing_keeps_the_buyers_registered_name_phone_address_and_city(world):
    register_address(world)
    number = place(world).order_number
    assert ship_to_of(world, number) == ShipToView(
        name="Toko Makmur", phone="+62 812 1111 2222", address="Jl. Pasar Baru No. 7\nRT 02/RW 05", city="Jakarta Pusat"
    )


def test_a_later_change_of_the_buyers_address_does_not_move_a_placed_order(world):
    register_address(world)
    number = place(world).order_number
    placed = ship_to_of(world, number)
    register_address(world, name="Toko Makmur Jaya", phone="+62 813 9999 0000", address="Jl. Baru 1", city="Bekasi")
    assert ship_to_of(world, number) == placed
    later = place(world).order_number
    assert ship_to_of(world, later) == ShipToView("Toko Makmur Jaya", "+62 813 9999 0000", "Jl. Baru 1", "Bekasi")


def test_a_buyer_without_a_phone_gives_an_order_without_one(world):
    number = place(world).order_number
    assert ship_to_of(world, number) == ShipToView(name="Toko Makmur", phone=None, address="", city="")


def test_a_delivery_address_the_buyer_app_gives_is_kept_as_typed_after_the_usual_checks(world):
    register_address(world)
    given = ShipTo(
        name="  Gudang   Cabang Bekasi ",
        phone=" 0812-3456-7890 ",
        address="Jl. Industri No. 3\r\nBlok C",
        city=" Bekasi ",
    )
    number = place_to(world, given).order_number
    assert ship_to_of(world, number) == ShipToView(
        name="Gudang Cabang Bekasi", phone="0812-3456-7890", address="Jl. Industri No. 3\nBlok C", city="Bekasi"
    )


def test_markup_in_a_delivery_address_is_kept_as_plain_text(world):
    given = ShipTo(
        name='<a href="https://evil.example/x">Klik</a>',
        phone="",
        address="[x](https://evil.example) **tebal**",
        city="Jakarta",
    )
    number = place_to(world, given).order_number
    assert ship_to_of(world, number) == ShipToView(
        name='<a href="https://evil.example/x">Klik</a>',
        phone=None,
        address="[x](https://evil.example) **tebal**",
        city="Jakarta",
    )


GOOD = dict(name="Toko Makmur", phone="0812 3456 7890", address="Jl. Pasar Baru No. 7", city="Jakarta")


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"name": "Toko\x00Makmur"}, "ship_to_name", "The ship-to name contains a control character (U+0000)"),
        ({"name": "Toko \u202eMakmur"}, "ship_to_name", "text-direction control character (U+202E)"),
        ({"name": "   "}, "ship_to_name", "A delivery address needs the name of who receives the goods."),
        ({"name": "n" * 201}, "ship_to_name", "The ship-to name may be at most 200 characters; it has 201."),
        ({"phone": "0812\u200b3456"}, "ship_to_phone", "The ship-to phone contains an invisible character (U+200B)"),
        ({"phone": "<script>alert(1)</script>"}, "ship_to_phone", "is not a phone number"),
        ({"phone": "12-34"}, "ship_to_phone", "is not a phone number"),
        ({"phone": "0" * 33}, "ship_to_phone", "The ship-to phone may be at most 32 characters; it has 33."),
        ({"address": "Jl. Pasar\x07 Baru"}, "ship_to_address", "The ship-to address contains a control character"),
        ({"address": "\n\n"}, "ship_to_address", "A delivery address needs the street address the goods go to."),
        ({"address": "a" * 501}, "ship_to_address", "The ship-to address may be at most 500 characters; it has 501."),
        ({"city": ""}, "ship_to_city", "A delivery address needs the city the goods go to."),
        ({"city": "Jakarta\ufeff"}, "ship_to_city", "invisible character (U+FEFF)"),
        ({"city": "c" * 101}, "ship_to_city", "The ship-to city may be at most 100 characters; it has 101."),
    ],
)
def test_a_bad_delivery_address_is_refused_naming_the_field_and_nothing_is_placed(world, change, field, message):
    with pytest.raises(InvalidInput) as refused:
        place_to(world, ShipTo(**{**GOOD, **change}))
    assert refused.value.field == field
    assert message in refused.value.message
    assert "\x00" not in refused.value.message
    with world.store.reading() as session:
        assert session.scalar(select(func.count(Order.id))) == 0
        assert session.scalar(select(func.sum(StockLevel.reserved))) == 0


def test_a_delivery_address_at_its_limits_is_kept_whole(world):
    given = ShipTo(name="n" * 200, phone="+" + "1" * 31, address="a" * 500, city="c" * 100)
    number = place_to(world, given).order_number
    assert ship_to_of(world, number) == ShipToView("n" * 200, "+" + "1" * 31, "a" * 500, "c" * 100)


@pytest.mark.slow  # generates a bulk store
def test_the_bulk_demos_orders_keep_their_buyers_address(store, now):
    load_demo(store, seed=3, now=now - timedelta(days=400), history_days=0)
    generate_bulk(store, orders=400, company_code=DEMO_COMPANY_CODE, seed=5, now=now, days=30, chunk_size=150)
    with store.reading() as session:
        rows = session.execute(
            select(
                Order.ship_to_name,
                Order.ship_to_phone,
                Order.ship_to_address,
                Order.ship_to_city,
                Buyer.name,
                Buyer.phone,
                Buyer.address,
                Buyer.city,
            ).join(Buyer, Buyer.id == Order.buyer_id)
        ).all()
    assert len(rows) == 400
    assert len({row[4] for row in rows}) > 5  # many buyers, each order with its own buyer's address
    for row in rows:
        assert tuple(row[:4]) == tuple(row[4:]) and row[0] and row[2]


# --- Migration 0006 --------------------------------------------------------------------------------


def test_migration_0006_fills_the_orders_placed_before_it_from_their_buyers(store, now):
    """Orders written at 0005 (no ship-to columns) get their buyer's registered address."""
    downgrade(store, "0005")
    try:
        with store.engine.begin() as conn:
            company = conn.execute(
                insert(Company).values(company_code="OLD01", name="Old Tbk", created_at=now, updated_at=now)
            ).inserted_primary_key[0]
            warehouse = conn.execute(
                insert(Warehouse).values(
                    company_id=company,
                    code="W1",
                    name="W1",
                    time_zone="Asia/Jakarta",
                    opens_at=MONDAY_10.time(),
                    closes_at=(MONDAY_10 + timedelta(hours=6)).time(),
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            with_phone = conn.execute(
                insert(Buyer).values(
                    buyer_code="B-1",
                    name="Toko Lama",
                    phone="+62 811 000 111",
                    address="Jl. Lama 1\nBlok A",
                    city="Medan",
                    created_at=now,
                )
            ).inserted_primary_key[0]
            without = conn.execute(
                insert(Buyer).values(buyer_code="B-2", name="Warung Tanpa Telepon", created_at=now)
            ).inserted_primary_key[0]
            for number, buyer in (("KP-OLD-1", with_phone), ("KP-OLD-2", without), ("KP-OLD-3", with_phone)):
                conn.execute(
                    insert(orders_t).values(
                        order_number=number,
                        company_id=company,
                        warehouse_id=warehouse,
                        buyer_id=buyer,
                        status="COMPLETED",
                        total_amount=150_000,
                        placed_at=now,
                        updated_at=now,
                    )
                )
        migrate(store)
        assert current_revision(store) == head_revision(store)
        with store.reading() as session:
            kept = {
                number: (name, phone, address, city)
                for number, name, phone, address, city in session.execute(
                    select(
                        Order.order_number,
                        Order.ship_to_name,
                        Order.ship_to_phone,
                        Order.ship_to_address,
                        Order.ship_to_city,
                    )
                )
            }
        assert kept == {
            "KP-OLD-1": ("Toko Lama", "+62 811 000 111", "Jl. Lama 1\nBlok A", "Medan"),
            "KP-OLD-2": ("Warung Tanpa Telepon", None, "", ""),
            "KP-OLD-3": ("Toko Lama", "+62 811 000 111", "Jl. Lama 1\nBlok A", "Medan"),
        }
    finally:
        migrate(store)  # the PostgreSQL store is shared by the session: leave it at the newest schema
