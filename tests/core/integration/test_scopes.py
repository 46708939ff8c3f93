"""Authorization of the API's callers, in core: every public function of core.integration that takes
a `client` is listed here with the scope that may call it, and refuses the other scope before it reads
or writes anything (the guard test makes a new one impossible to forget)."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

from core.domain import ApiScope
from core.errors import AccessDenied
from core.integration import buyer_app, buyers, courier
from core.integration.clients import ApiClientRef
from core.orders.buyer_channel import OrderLine, ShipTo
from tests.builders import MONDAY_10

ADDRESS = ShipTo("Pak Budi", None, "Jl. Industri 5", "Bekasi")
B = {"buyer_code": "BUY-1", "now": MONDAY_10}
ORDER = {**B, "order_number": "KP-00000001"}

CALLS: dict[str, tuple[ApiScope, Callable]] = {
    "buyer_app.sellers": (ApiScope.BUYER_APP, lambda s, c: buyer_app.sellers(s, c, now=MONDAY_10)),
    "buyer_app.catalogue": (
        ApiScope.BUYER_APP,
        lambda s, c: buyer_app.catalogue(s, c, company_code="ACME01", now=MONDAY_10),
    ),
    "buyer_app.place_order": (
        ApiScope.BUYER_APP,
        lambda s, c: buyer_app.place_order(
            s, c, company_code="ACME01", warehouse_code="JKT-1", lines=[OrderLine("RICE-5", 1)], **B
        ),
    ),
    "buyer_app.order": (ApiScope.BUYER_APP, lambda s, c: buyer_app.order(s, c, **ORDER)),
    "buyer_app.buyer_orders": (ApiScope.BUYER_APP, lambda s, c: buyer_app.buyer_orders(s, c, **B)),
    "buyer_app.cancel_order": (ApiScope.BUYER_APP, lambda s, c: buyer_app.cancel_order(s, c, reason="", **ORDER)),
    "buyer_app.confirm_receipt": (ApiScope.BUYER_APP, lambda s, c: buyer_app.confirm_receipt(s, c, **ORDER)),
    "buyer_app.file_complaint": (
        ApiScope.BUYER_APP,
        lambda s, c: buyer_app.file_complaint(s, c, description="x", **ORDER),
    ),
    "buyers.register_buyer": (
        ApiScope.BUYER_APP,
        lambda s, c: buyers.register_buyer(
            s, c, name="N", phone=None, address="A", city="C", **{**B, "buyer_code": "NEW-1"}
        ),
    ),
    "buyers.update_buyer": (
        ApiScope.BUYER_APP,
        lambda s, c: buyers.update_buyer(s, c, changes=buyers.BuyerChanges(city="X"), **B),
    ),
    "buyers.deactivate_buyer": (ApiScope.BUYER_APP, lambda s, c: buyers.deactivate_buyer(s, c, **B)),
    "buyers.reactivate_buyer": (ApiScope.BUYER_APP, lambda s, c: buyers.reactivate_buyer(s, c, **B)),
    "buyers.get_buyer": (ApiScope.BUYER_APP, lambda s, c: buyers.get_buyer(s, c, **B)),
    "buyers.add_address": (ApiScope.BUYER_APP, lambda s, c: buyers.add_address(s, c, label="L", ship_to=ADDRESS, **B)),
    "buyers.update_address": (
        ApiScope.BUYER_APP,
        lambda s, c: buyers.update_address(s, c, label="L", ship_to=ADDRESS, **B),
    ),
    "buyers.remove_address": (ApiScope.BUYER_APP, lambda s, c: buyers.remove_address(s, c, label="L", **B)),
    "courier.mark_delivered": (
        ApiScope.COURIER,
        lambda s, c: courier.mark_delivered(s, c, order_number="KP-00000001", now=MONDAY_10),
    ),
}


def _public_client_functions() -> set[str]:
    found = set()
    for module in (buyer_app, buyers, courier):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                if "client" in inspect.signature(function).parameters:
                    found.add(f"{module.__name__.rsplit('.', 1)[1]}.{name}")
    return found


def test_every_function_taking_a_client_is_listed_with_its_scope():
    assert _public_client_functions() == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_other_scope_is_refused(world, name):
    scope, call = CALLS[name]
    other = ApiScope.COURIER if scope == ApiScope.BUYER_APP else ApiScope.BUYER_APP
    with pytest.raises(AccessDenied):
        call(world.store, ApiClientRef(1, "wrong-one", other))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_right_scope_gets_past_authorization(world, name):
    scope, call = CALLS[name]
    try:
        call(world.store, ApiClientRef(1, "right-one", scope))
    except AccessDenied as refused:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"{name} refused its own scope: {refused}")
    except Exception:  # any other refusal is the service's own business
        pass
