"""The bank's register of buyers (core.integration.buyers), kept by the buyer app over the API, on a real
store: registering, changing, deactivating and reactivating a buyer and keeping their delivery
addresses; every refusal is one sentence naming the field and writes nothing; only the buyer app's
client may call; each change is audited with the client's name and never a secret or the buyer's
personal details; an order placed to a labelled address keeps a copy of it, and a deactivated buyer
orders nothing new but finishes the orders they have. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.domain import ActorKind, ApiScope, OrderStatus
from core.errors import AccessDenied, AlreadyExists, InvalidInput, NotFound
from core.integration import buyers, clients
from core.integration.buyers import AddressView, BuyerChanges
from core.integration.clients import ApiClientRef
from core.orders import buyer_channel, seller
from core.orders.buyer_channel import OrderLine, ShipTo
from core.store.models import AuditEntry, Buyer, DeliveryAddress, Order, StockLevel
from tests.builders import MONDAY_10, place, ship, status_of

LATER = MONDAY_10 + timedelta(hours=1)
NEW = dict(
    buyer_code="BUY-00123",
    name="Toko Sumber Rejeki",
    phone="+62 812 3456 7890",
    address="Jl. Kenanga No. 5\nRT 03/RW 01",
    city="Bandung",
)
GUDANG = ShipTo("Pak Budi", "0812-7777-8888", "Jl. Industri Raya 12, Blok C", "Bekasi")
TOKO = ShipTo("Bu Sari", None, "Jl. Melati 3", "Depok")


@pytest.fixture
def token(store) -> str:
    return clients.create_client(
        store, operator="ops", name="livin-merchant", scope=ApiScope.BUYER_APP, now=MONDAY_10
    ).token


@pytest.fixture
def app(store, token) -> ApiClientRef:
    """The bank's buyer app, as the API authenticates it."""
    return clients.authenticate(store, token)


COURIER = ApiClientRef(id=99, name="jne", scope=ApiScope.COURIER)


def snapshot(store) -> dict:
    """Every row a call of the register may write."""
    with store.reading() as session:
        return {
            "buyers": sorted(
                session.execute(
                    select(
                        Buyer.buyer_code,
                        Buyer.name,
                        Buyer.phone,
                        Buyer.address,
                        Buyer.city,
                        Buyer.is_approved,
                        Buyer.updated_at,
                    )
                )
            ),
            "addresses": sorted(
                session.execute(
                    select(
                        DeliveryAddress.buyer_id,
                        DeliveryAddress.label,
                        DeliveryAddress.name,
                        DeliveryAddress.phone,
                        DeliveryAddress.address,
                        DeliveryAddress.city,
                    )
                )
            ),
            "audit": session.scalar(select(func.count(AuditEntry.id))),
        }


def buyer_audit(store) -> list[AuditEntry]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action.startswith("bank.buyer.")).order_by(AuditEntry.id)
            )
        )


def ship_to_columns(store, number) -> tuple:
    with store.reading() as session:
        return session.execute(
            select(Order.ship_to_name, Order.ship_to_phone, Order.ship_to_address, Order.ship_to_city).where(
                Order.order_number == number
            )
        ).one()


def place_as(store, buyer_code="BUY-1", **where):
    return buyer_channel.place_order(
        store,
        buyer_code=buyer_code,
        company_code="ACME01",
        warehouse_code="JKT-1",
        lines=[OrderLine("RICE-5", 1)],
        now=MONDAY_10,
        **where,
    )


# --- the buyer ------------------------------------------------------------------------------------


def test_a_registered_buyer_is_read_back_active_and_may_order_at_once(world, app):
    view = buyers.register_buyer(world.store, app, now=MONDAY_10, **NEW)
    assert view == buyers.get_buyer(world.store, app, buyer_code="BUY-00123", now=LATER)
    assert (view.buyer_code, view.name, view.phone, view.address, view.city) == (
        "BUY-00123",
        "Toko Sumber Rejeki",
        "+62 812 3456 7890",
        "Jl. Kenanga No. 5\nRT 03/RW 01",
        "Bandung",
    )
    assert (view.active, view.created_at, view.updated_at, view.addresses) == (True, MONDAY_10, None, [])
    number = place_as(world.store, "BUY-00123").order_number
    assert ship_to_columns(world.store, number) == (NEW["name"], NEW["phone"], NEW["address"], NEW["city"])


def test_registering_cleans_the_text_and_a_phone_is_optional(world, app):
    view = buyers.register_buyer(
        world.store,
        app,
        buyer_code="  buy_77.b ",
        name=" Toko   Baru ",
        phone="",
        address="Jl. Mawar 1\r\nBlok B ",
        city="Surabaya",
        now=MONDAY_10,
    )
    assert (view.buyer_code, view.name, view.phone, view.address) == (
        "buy_77.b",
        "Toko Baru",
        None,
        "Jl. Mawar 1\nBlok B",
    )


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"buyer_code": "BUY 1"}, "buyer_code", "A buyer code has 1 to 32 letters, digits, '-', '_' or '.'"),
        ({"buyer_code": "BUY/1"}, "buyer_code", "'BUY/1' is not one."),
        ({"buyer_code": "B" * 33}, "buyer_code", "A buyer code has 1 to 32 letters"),
        ({"buyer_code": "BÜY-1"}, "buyer_code", "is not one."),
        ({"buyer_code": "  "}, "buyer_code", "A buyer needs the code the bank gave them, e.g. BUY-00123."),
        ({"buyer_code": "BUY\x00-1"}, "buyer_code", "The buyer code contains a control character (U+0000)"),
        ({"name": ""}, "name", "A buyer needs a name: their shop's name as the bank knows it."),
        ({"name": "n" * 201}, "name", "The buyer's name may be at most 200 characters; it has 201."),
        ({"name": "Toko \u202eMakmur"}, "name", "The buyer's name contains a text-direction control character"),
        ({"phone": "12-34"}, "phone", "The buyer's phone 12-34 is not a phone number"),
        ({"phone": "<script>"}, "phone", "is not a phone number: use digits, spaces, a leading +"),
        ({"phone": "0" * 33}, "phone", "The buyer's phone may be at most 32 characters; it has 33."),
        ({"address": "   "}, "address", "A buyer needs the street address their goods go to."),
        ({"address": "a" * 501}, "address", "The buyer's address may be at most 500 characters; it has 501."),
        ({"city": ""}, "city", "A buyer needs the city their goods go to."),
        ({"city": "c" * 101}, "city", "The buyer's city may be at most 100 characters; it has 101."),
    ],
)
def test_registering_refuses_bad_details_naming_the_field_and_writes_nothing(world, app, change, field, words):
    before = snapshot(world.store)
    with pytest.raises(InvalidInput) as refused:
        buyers.register_buyer(world.store, app, now=MONDAY_10, **(NEW | change))
    assert refused.value.field == field
    assert words in refused.value.message
    assert refused.value.message.endswith(".")
    assert snapshot(world.store) == before


@pytest.mark.parametrize("code", ["BUY-1", "buy-1", " BUY-1 "])
def test_a_code_already_registered_is_refused_whatever_its_letter_case(world, app, code):
    before = snapshot(world.store)
    with pytest.raises(AlreadyExists) as refused:
        buyers.register_buyer(world.store, app, now=MONDAY_10, **(NEW | {"buyer_code": code}))
    assert refused.value.message == "Buyer BUY-1 is already registered."
    assert snapshot(world.store) == before


def test_changing_a_buyer_sets_only_what_is_given_and_an_empty_phone_clears_it(world, app):
    buyers.register_buyer(world.store, app, now=MONDAY_10, **NEW)
    view = buyers.update_buyer(
        world.store, app, buyer_code="BUY-00123", changes=BuyerChanges(city=" Cimahi ", phone=""), now=LATER
    )
    assert (view.name, view.phone, view.address, view.city) == (NEW["name"], None, NEW["address"], "Cimahi")
    assert (view.created_at, view.updated_at) == (MONDAY_10, LATER)
    assert view == buyers.get_buyer(world.store, app, buyer_code="BUY-00123", now=LATER)
    entry = buyer_audit(world.store)[-1]
    assert (entry.action, entry.actor, entry.target) == ("bank.buyer.update", "api:livin-merchant", "BUY-00123")
    assert entry.details == '{"fields": ["city", "phone"]}'  # which fields, never what they hold


def test_a_change_to_what_is_there_already_writes_nothing(world, app):
    buyers.register_buyer(world.store, app, now=MONDAY_10, **NEW)
    before = snapshot(world.store)
    view = buyers.update_buyer(
        world.store, app, buyer_code="BUY-00123", changes=BuyerChanges(name=NEW["name"], city=None), now=LATER
    )
    assert view.updated_at is None
    assert snapshot(world.store) == before


@pytest.mark.parametrize(
    "changes, field",
    [
        (BuyerChanges(name=" "), "name"),
        (BuyerChanges(city="Bandung", phone="call me"), "phone"),
        (BuyerChanges(address="a" * 501), "address"),
        (BuyerChanges(city="\u200bBandung"), "city"),
    ],
)
def test_a_bad_change_is_refused_naming_the_field_and_writes_nothing(world, app, changes, field):
    before = snapshot(world.store)
    with pytest.raises(InvalidInput) as refused:
        buyers.update_buyer(world.store, app, buyer_code="BUY-1", changes=changes, now=LATER)
    assert refused.value.field == field
    assert snapshot(world.store) == before


def test_a_deactivated_buyer_orders_nothing_new_until_reactivated(world, app):
    view = buyers.deactivate_buyer(world.store, app, buyer_code="BUY-1", now=LATER)
    assert (view.active, view.updated_at) == (False, LATER)
    assert buyers.get_buyer(world.store, app, buyer_code="BUY-1", now=LATER).active is False
    with pytest.raises(InvalidInput, match="Buyer BUY-1 is not approved by the bank to order."):
        place_as(world.store)
    assert world.stock() == (100, 0)
    assert buyers.reactivate_buyer(world.store, app, buyer_code="BUY-1", now=LATER).active is True
    place_as(world.store)
    assert world.stock() == (100, 1)
    assert [(e.action, e.actor_kind, e.actor, e.target) for e in buyer_audit(world.store)] == [
        ("bank.buyer.deactivate", ActorKind.BANK, "api:livin-merchant", "BUY-1"),
        ("bank.buyer.reactivate", ActorKind.BANK, "api:livin-merchant", "BUY-1"),
    ]


def test_a_deactivated_buyer_still_confirms_receipt_of_an_order_placed_before(world, app):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10 + timedelta(hours=1))
    ship(world, number, MONDAY_10 + timedelta(hours=3))
    buyers.deactivate_buyer(world.store, app, buyer_code="BUY-1", now=MONDAY_10 + timedelta(hours=4))
    buyer_channel.confirm_receipt(
        world.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10 + timedelta(days=1)
    )
    assert status_of(world, number) == OrderStatus.COMPLETED


def test_every_registration_and_change_is_audited_without_a_secret_or_personal_details(world, app, token):
    buyers.register_buyer(world.store, app, now=MONDAY_10, **NEW)
    buyers.update_buyer(world.store, app, buyer_code="BUY-00123", changes=BuyerChanges(phone="021 555 1234"), now=LATER)
    buyers.deactivate_buyer(world.store, app, buyer_code="BUY-00123", now=LATER)
    buyers.reactivate_buyer(world.store, app, buyer_code="BUY-00123", now=LATER)
    buyers.add_address(world.store, app, buyer_code="BUY-00123", label="Gudang", ship_to=GUDANG, now=LATER)
    buyers.update_address(world.store, app, buyer_code="BUY-00123", label="Gudang", ship_to=TOKO, now=LATER)
    buyers.remove_address(world.store, app, buyer_code="BUY-00123", label="Gudang", now=LATER)
    entries = buyer_audit(world.store)
    assert [e.action for e in entries] == [
        "bank.buyer.register",
        "bank.buyer.update",
        "bank.buyer.deactivate",
        "bank.buyer.reactivate",
        "bank.buyer.address.add",
        "bank.buyer.address.update",
        "bank.buyer.address.remove",
    ]
    assert {(e.actor_kind, e.actor, e.target, e.company_id) for e in entries} == {
        (ActorKind.BANK, "api:livin-merchant", "BUY-00123", None)
    }
    written = " ".join(f"{e.actor} {e.target} {e.details}" for e in entries)
    secret = token.split("_", 2)[2]
    for private in (secret, token, "021 555 1234", NEW["phone"], "Kenanga", "Industri", "Melati", "Pak Budi"):
        assert private not in written


# --- who may call, and unknown buyers --------------------------------------------------------------

CALLS = {
    "register_buyer": lambda s, c, code: buyers.register_buyer(s, c, now=LATER, **(NEW | {"buyer_code": code})),
    "update_buyer": lambda s, c, code: buyers.update_buyer(
        s, c, buyer_code=code, changes=BuyerChanges(city="Bogor"), now=LATER
    ),
    "deactivate_buyer": lambda s, c, code: buyers.deactivate_buyer(s, c, buyer_code=code, now=LATER),
    "reactivate_buyer": lambda s, c, code: buyers.reactivate_buyer(s, c, buyer_code=code, now=LATER),
    "get_buyer": lambda s, c, code: buyers.get_buyer(s, c, buyer_code=code, now=LATER),
    "add_address": lambda s, c, code: buyers.add_address(
        s, c, buyer_code=code, label="Toko 2", ship_to=TOKO, now=LATER
    ),
    "update_address": lambda s, c, code: buyers.update_address(
        s, c, buyer_code=code, label="Gudang", ship_to=TOKO, now=LATER
    ),
    "remove_address": lambda s, c, code: buyers.remove_address(s, c, buyer_code=code, label="Gudang", now=LATER),
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("code", ["BUY-1", "NOPE"])
def test_a_courier_may_call_none_of_them_whatever_the_buyer(world, app, call, code):
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="Gudang", ship_to=GUDANG, now=MONDAY_10)
    before = snapshot(world.store)
    with pytest.raises(AccessDenied) as refused:
        CALLS[call](world.store, COURIER, code)
    assert refused.value.message.startswith("Only the bank's buyer app may ")
    assert refused.value.message.endswith(".")
    assert snapshot(world.store) == before


@pytest.mark.parametrize("call", [name for name in CALLS if name != "register_buyer"])
@pytest.mark.parametrize("code", ["NOPE", "", "x" * 40, "BUY-1\x00"])
def test_an_unknown_buyer_is_not_found_in_the_buyer_channels_words(world, app, call, code):
    before = snapshot(world.store)
    with pytest.raises(NotFound) as refused:
        CALLS[call](world.store, app, code)
    assert refused.value.message == buyer_channel.unknown_buyer(code)
    assert snapshot(world.store) == before


def test_the_unknown_buyer_sentence_is_the_one_the_buyer_channel_says(world):
    with pytest.raises(NotFound) as refused:
        place_as(world.store, "NOPE")
    assert refused.value.message == "Buyer NOPE is not known to the marketplace." == buyer_channel.unknown_buyer("NOPE")


# --- delivery addresses ---------------------------------------------------------------------------


def test_addresses_are_added_read_back_by_label_changed_and_removed(world, app):
    added = buyers.add_address(world.store, app, buyer_code="BUY-1", label=" Toko  Depok ", ship_to=TOKO, now=LATER)
    assert added == AddressView("Toko Depok", "Bu Sari", None, "Jl. Melati 3", "Depok")
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="gudang Bekasi", ship_to=GUDANG, now=LATER)
    view = buyers.get_buyer(world.store, app, buyer_code="BUY-1", now=LATER)
    assert [a.label for a in view.addresses] == ["gudang Bekasi", "Toko Depok"]
    changed = buyers.update_address(
        world.store,
        app,
        buyer_code="BUY-1",
        label="Toko Depok",
        ship_to=ShipTo("Bu Sari", "021 777 8888", "Jl. Melati 4", "Depok"),
        now=LATER,
    )
    assert changed == AddressView("Toko Depok", "Bu Sari", "021 777 8888", "Jl. Melati 4", "Depok")
    buyers.remove_address(world.store, app, buyer_code="BUY-1", label="gudang Bekasi", now=LATER)
    assert buyers.get_buyer(world.store, app, buyer_code="BUY-1", now=LATER).addresses == [changed]
    entries = buyer_audit(world.store)
    assert [(e.action, e.details) for e in entries] == [
        ("bank.buyer.address.add", '{"label": "Toko Depok"}'),
        ("bank.buyer.address.add", '{"label": "gudang Bekasi"}'),
        ("bank.buyer.address.update", '{"label": "Toko Depok"}'),
        ("bank.buyer.address.remove", '{"label": "gudang Bekasi"}'),
    ]


def test_a_deactivated_buyers_addresses_are_still_kept(world, app):
    buyers.deactivate_buyer(world.store, app, buyer_code="BUY-1", now=LATER)
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="Gudang", ship_to=GUDANG, now=LATER)
    assert [a.label for a in buyers.get_buyer(world.store, app, buyer_code="BUY-1", now=LATER).addresses] == ["Gudang"]


@pytest.mark.parametrize("label", ["Gudang", "GUDANG", " gudang "])
def test_a_label_the_buyer_has_already_is_refused_whatever_its_letter_case(world, app, label):
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="Gudang", ship_to=GUDANG, now=MONDAY_10)
    before = snapshot(world.store)
    with pytest.raises(AlreadyExists) as refused:
        buyers.add_address(world.store, app, buyer_code="BUY-1", label=label, ship_to=TOKO, now=LATER)
    assert refused.value.message == "Buyer BUY-1 already has a delivery address labelled Gudang."
    assert snapshot(world.store) == before


def test_another_buyer_may_use_the_same_label(world, app):
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="Gudang", ship_to=GUDANG, now=MONDAY_10)
    buyers.add_address(world.store, app, buyer_code="BUY-2", label="Gudang", ship_to=TOKO, now=MONDAY_10)
    assert buyers.get_buyer(world.store, app, buyer_code="BUY-2", now=LATER).addresses[0].name == "Bu Sari"


def test_a_buyer_keeps_at_most_20_delivery_addresses(world, app):
    for number in range(buyers.MAX_ADDRESSES):
        buyers.add_address(world.store, app, buyer_code="BUY-1", label=f"Toko {number}", ship_to=TOKO, now=LATER)
    before = snapshot(world.store)
    with pytest.raises(InvalidInput) as refused:
        buyers.add_address(world.store, app, buyer_code="BUY-1", label="One more", ship_to=TOKO, now=LATER)
    assert refused.value.message == (
        "Buyer BUY-1 has 20 delivery addresses already, the most a buyer may have; remove one first."
    )
    assert snapshot(world.store) == before
    buyers.remove_address(world.store, app, buyer_code="BUY-1", label="Toko 0", now=LATER)
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="One more", ship_to=TOKO, now=LATER)


@pytest.mark.parametrize(
    "label, ship_to, field, words",
    [
        ("", TOKO, "label", "A delivery address needs a label the buyer app shows, e.g. Gudang Bekasi."),
        ("L" * 51, TOKO, "label", "The delivery address label may be at most 50 characters; it has 51."),
        ("Toko\x07", TOKO, "label", "The delivery address label contains a control character (U+0007)"),
        ("Toko", ShipTo("", None, "Jl. Melati 3", "Depok"), "ship_to_name", "needs the name of who receives"),
        ("Toko", ShipTo("Bu Sari", "12-34", "Jl. Melati 3", "Depok"), "ship_to_phone", "is not a phone number"),
        ("Toko", ShipTo("Bu Sari", None, "a" * 501, "Depok"), "ship_to_address", "at most 500 characters"),
        ("Toko", ShipTo("Bu Sari", None, "Jl. Melati 3", " "), "ship_to_city", "needs the city the goods go to"),
    ],
)
def test_a_bad_address_is_refused_naming_the_field_and_writes_nothing(world, app, label, ship_to, field, words):
    before = snapshot(world.store)
    with pytest.raises(InvalidInput) as refused:
        buyers.add_address(world.store, app, buyer_code="BUY-1", label=label, ship_to=ship_to, now=LATER)
    assert refused.value.field == field
    assert words in refused.value.message
    assert snapshot(world.store) == before


def test_a_bad_replacement_of_an_address_is_refused_and_writes_nothing(world, app):
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="Gudang", ship_to=GUDANG, now=MONDAY_10)
    before = snapshot(world.store)
    with pytest.raises(InvalidInput) as refused:
        buyers.update_address(
            world.store,
            app,
            buyer_code="BUY-1",
            label="Gudang",
            ship_to=ShipTo("Pak Budi", "x", "Jl. A", "B"),
            now=LATER,
        )
    assert refused.value.field == "ship_to_phone"
    assert snapshot(world.store) == before


@pytest.mark.parametrize("call", ["update_address", "remove_address"])
def test_an_unknown_label_is_not_found(world, app, call):
    buyers.add_address(world.store, app, buyer_code="BUY-2", label="Gudang", ship_to=GUDANG, now=MONDAY_10)
    before = snapshot(world.store)
    with pytest.raises(NotFound) as refused:
        CALLS[call](world.store, app, "BUY-1")  # BUY-2's label is not BUY-1's
    assert refused.value.message == "Buyer BUY-1 has no delivery address labelled Gudang."
    assert snapshot(world.store) == before


# --- ordering to a labelled address ---------------------------------------------------------------


def test_an_order_to_a_labelled_address_copies_it_and_a_later_change_does_not_move_it(world, app):
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="Gudang Bekasi", ship_to=GUDANG, now=MONDAY_10)
    number = place_as(world.store, delivery_address=" Gudang  Bekasi").order_number
    assert ship_to_columns(world.store, number) == (
        "Pak Budi",
        "0812-7777-8888",
        "Jl. Industri Raya 12, Blok C",
        "Bekasi",
    )
    buyers.update_address(world.store, app, buyer_code="BUY-1", label="Gudang Bekasi", ship_to=TOKO, now=LATER)
    assert ship_to_columns(world.store, number)[0] == "Pak Budi"
    buyers.remove_address(world.store, app, buyer_code="BUY-1", label="Gudang Bekasi", now=LATER)
    assert ship_to_columns(world.store, number)[2] == "Jl. Industri Raya 12, Blok C"
    buyers.update_buyer(world.store, app, buyer_code="BUY-1", changes=BuyerChanges(name="Toko Lain"), now=LATER)
    assert ship_to_columns(world.store, number)[0] == "Pak Budi"


def test_an_order_to_an_unknown_label_is_refused_and_reserves_nothing(world, app):
    buyers.add_address(world.store, app, buyer_code="BUY-2", label="Gudang", ship_to=GUDANG, now=MONDAY_10)
    with pytest.raises(NotFound) as refused:
        place_as(world.store, delivery_address="Gudang")
    assert refused.value.message == "Buyer BUY-1 has no delivery address labelled Gudang."
    assert world.stock() == (100, 0)
    with world.store.reading() as session:
        assert session.scalar(select(func.count(Order.id))) == 0
        assert session.scalar(select(func.sum(StockLevel.reserved))) == 0


def test_an_order_names_a_label_or_a_ship_to_address_not_both(world, app):
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="Gudang", ship_to=GUDANG, now=MONDAY_10)
    with pytest.raises(InvalidInput) as refused:
        place_as(world.store, delivery_address="Gudang", ship_to=TOKO)
    assert refused.value.field == "delivery_address"
    assert refused.value.message == "Give either a delivery address label or a ship-to address, not both."
    assert world.stock() == (100, 0)


def test_the_register_reads_a_labelled_address_as_the_order_would(world, app):
    buyers.add_address(world.store, app, buyer_code="BUY-1", label="Gudang", ship_to=GUDANG, now=MONDAY_10)
    with world.store.reading() as session:
        buyer_id = session.scalar(select(Buyer.id).where(Buyer.buyer_code == "BUY-1"))
        assert buyers.address_for_order(session, buyer_id, "Gudang") == GUDANG
