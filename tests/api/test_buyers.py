"""The bank's register of buyers over HTTP: register, read, change, deactivate and reactivate a buyer,
keep their delivery addresses, and order to one of them."""

from __future__ import annotations

from tests.api.test_orders import assert_problem

BUYER = {
    "buyer_code": "TOKO-9",
    "name": "Toko Sembilan",
    "phone": "+62 812 1111 2222",
    "address": "Jl. Melati 9",
    "city": "Bogor",
}
ADDRESS = {"label": "Gudang Bekasi", "name": "Pak Budi", "phone": None, "address": "Jl. Industri 5", "city": "Bekasi"}


def test_the_buyer_app_registers_reads_and_changes_a_buyer(api):
    created = api.post("/api/v1/buyers", BUYER)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/v1/buyers/TOKO-9"
    assert created.json()["active"] is True and created.json()["addresses"] == []
    changed = api.http.patch("/api/v1/buyers/TOKO-9", json={"city": "Depok"}, headers=api.headers())
    assert changed.status_code == 200 and changed.json()["city"] == "Depok" and changed.json()["name"] == BUYER["name"]
    assert api.get("/api/v1/buyers/TOKO-9").json()["city"] == "Depok"


def test_a_second_registration_of_a_code_is_a_conflict(api):
    api.post("/api/v1/buyers", BUYER)
    assert_problem(api.post("/api/v1/buyers", BUYER), 409, "already-exists", "Buyer TOKO-9 is already registered.")


def test_bad_buyer_details_are_refused_with_the_field_named(api):
    for change, field in (
        ({"buyer_code": "no spaces"}, "buyer_code"),
        ({"phone": "call me"}, "phone"),
        ({"name": ""}, "name"),
    ):
        problem = assert_problem(api.post("/api/v1/buyers", {**BUYER, **change}), 422, "invalid-input")
        assert problem["field"] == field
    assert_problem(api.post("/api/v1/buyers", {**BUYER, "approved": True}), 422, "invalid-request")
    assert_problem(api.get("/api/v1/buyers/TOKO-9"), 404, "not-found")


def test_a_deactivated_buyer_cannot_order_until_reactivated(api):
    api.post("/api/v1/buyers", BUYER)
    assert api.post("/api/v1/buyers/TOKO-9/deactivate").json()["active"] is False
    assert_problem(api.order(buyer="TOKO-9"), 422, "buyer-not-approved")
    assert api.post("/api/v1/buyers/TOKO-9/reactivate").json()["active"] is True
    assert api.order(buyer="TOKO-9").status_code == 201


def test_an_order_to_a_labelled_address_keeps_it_even_when_the_address_changes(api):
    api.post("/api/v1/buyers", BUYER)
    added = api.post("/api/v1/buyers/TOKO-9/addresses", ADDRESS)
    assert added.status_code == 201
    order = api.order(buyer="TOKO-9", delivery_address="Gudang Bekasi").json()
    assert order["ship_to"] == {"name": "Pak Budi", "phone": None, "address": "Jl. Industri 5", "city": "Bekasi"}
    moved = {k: v for k, v in ADDRESS.items() if k != "label"} | {"city": "Cikarang"}
    assert (
        api.http.put("/api/v1/buyers/TOKO-9/addresses/Gudang Bekasi", json=moved, headers=api.headers()).status_code
        == 200
    )
    assert api.get(f"/api/v1/buyers/TOKO-9/orders/{order['number']}").json()["ship_to"]["city"] == "Bekasi"
    assert api.http.delete("/api/v1/buyers/TOKO-9/addresses/Gudang Bekasi", headers=api.headers()).status_code == 204
    assert_problem(api.order(buyer="TOKO-9", delivery_address="Gudang Bekasi"), 404, "not-found")


def test_a_courier_may_not_touch_the_register(api):
    assert_problem(api.post("/api/v1/buyers", BUYER, token=api.courier), 403, "forbidden")
    assert_problem(api.get("/api/v1/buyers/BUY-1", token=api.courier), 403, "forbidden")
