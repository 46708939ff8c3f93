"""The `/api/v1` endpoints: each reads its input, calls one core service with the calling client, and
gives back what core returned (refusals become problem documents in api/app.py)."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from api.app import now_of, once, plain, store_of
from api.guard import caller
from api.problems import TYPES
from api.schemas import (
    AddressIn,
    AddressOut,
    BuyerIn,
    BuyerOut,
    BuyerPatch,
    CancelIn,
    CatalogueOut,
    ComplaintIn,
    DeliveredIn,
    DeliveredOut,
    Empty,
    LabelledAddressIn,
    OrderIn,
    OrderOut,
    OrdersOut,
    ProblemOut,
    SellersOut,
)
from core.integration import buyer_app, buyers, courier
from core.integration.clients import ApiClientRef
from core.orders.buyer_channel import OrderLine, ShipTo

router = APIRouter()
Client = Annotated[ApiClientRef, Depends(caller)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description="New for each new request")]
REFUSALS = {
    status: {"model": ProblemOut, "content": {"application/problem+json": {}}}
    for status in (401, 403, 404, 409, 422, 429)
}


def _ship_to(address: AddressIn | None) -> ShipTo | None:
    return None if address is None else ShipTo(address.name, address.phone, address.address, address.city)


# --- sellers and catalogue -----------------------------------------------------------------------


@router.get("/sellers", response_model=SellersOut, responses=REFUSALS, tags=["catalogue"])
def list_sellers(request: Request, client: Client):
    return {"items": plain(buyer_app.sellers(store_of(request), client, now=now_of(request)))}


@router.get("/sellers/{seller}/catalogue", response_model=CatalogueOut, responses=REFUSALS, tags=["catalogue"])
def catalogue(
    request: Request,
    client: Client,
    seller: str,
    warehouse: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query()] = buyer_app.DEFAULT_PAGE,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
):
    """A page of the seller's products on sale; `ETag` lets the app ask again cheaply (304)."""
    page = buyer_app.catalogue(
        store_of(request),
        client,
        company_code=seller,
        warehouse_code=warehouse,
        cursor=cursor,
        limit=limit,
        now=now_of(request),
    )
    body = plain(page)
    tag = '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
    if if_none_match is not None and tag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    return JSONResponse(body, headers={"ETag": tag, "Cache-Control": "private, max-age=0, must-revalidate"})


# --- buyers --------------------------------------------------------------------------------------


@router.post("/buyers", status_code=201, response_model=BuyerOut, responses=REFUSALS, tags=["buyers"])
def register_buyer(request: Request, client: Client, payload: BuyerIn, key: IdempotencyKey = None):
    def work():
        return 201, buyers.register_buyer(
            store_of(request),
            client,
            buyer_code=payload.buyer_code,
            name=payload.name,
            phone=payload.phone,
            address=payload.address,
            city=payload.city,
            now=now_of(request),
        )

    return once(request, client, key, payload, work, location=lambda body: f"/api/v1/buyers/{body['buyer_code']}")


@router.get("/buyers/{buyer}", response_model=BuyerOut, responses=REFUSALS, tags=["buyers"])
def get_buyer(request: Request, client: Client, buyer: str):
    return plain(buyers.get_buyer(store_of(request), client, buyer_code=buyer, now=now_of(request)))


@router.patch("/buyers/{buyer}", response_model=BuyerOut, responses=REFUSALS, tags=["buyers"])
def update_buyer(request: Request, client: Client, buyer: str, payload: BuyerPatch):
    changes = buyers.BuyerChanges(**payload.model_dump(exclude_unset=True))
    return plain(buyers.update_buyer(store_of(request), client, buyer_code=buyer, changes=changes, now=now_of(request)))


@router.post("/buyers/{buyer}/deactivate", response_model=BuyerOut, responses=REFUSALS, tags=["buyers"])
def deactivate_buyer(request: Request, client: Client, buyer: str, key: IdempotencyKey = None):
    work = lambda: (200, buyers.deactivate_buyer(store_of(request), client, buyer_code=buyer, now=now_of(request)))  # noqa: E731
    return once(request, client, key, None, work)


@router.post("/buyers/{buyer}/reactivate", response_model=BuyerOut, responses=REFUSALS, tags=["buyers"])
def reactivate_buyer(request: Request, client: Client, buyer: str, key: IdempotencyKey = None):
    work = lambda: (200, buyers.reactivate_buyer(store_of(request), client, buyer_code=buyer, now=now_of(request)))  # noqa: E731
    return once(request, client, key, None, work)


@router.post(
    "/buyers/{buyer}/addresses", status_code=201, response_model=AddressOut, responses=REFUSALS, tags=["buyers"]
)
def add_address(request: Request, client: Client, buyer: str, payload: LabelledAddressIn, key: IdempotencyKey = None):
    def work():
        return 201, buyers.add_address(
            store_of(request),
            client,
            buyer_code=buyer,
            label=payload.label,
            ship_to=_ship_to(payload),
            now=now_of(request),
        )

    return once(request, client, key, payload, work)


@router.put("/buyers/{buyer}/addresses/{label}", response_model=AddressOut, responses=REFUSALS, tags=["buyers"])
def update_address(request: Request, client: Client, buyer: str, label: str, payload: AddressIn):
    return plain(
        buyers.update_address(
            store_of(request), client, buyer_code=buyer, label=label, ship_to=_ship_to(payload), now=now_of(request)
        )
    )


@router.delete("/buyers/{buyer}/addresses/{label}", status_code=204, responses=REFUSALS, tags=["buyers"])
def remove_address(request: Request, client: Client, buyer: str, label: str):
    buyers.remove_address(store_of(request), client, buyer_code=buyer, label=label, now=now_of(request))
    return Response(status_code=204)


# --- a buyer's orders ----------------------------------------------------------------------------


@router.post("/buyers/{buyer}/orders", status_code=201, response_model=OrderOut, responses=REFUSALS, tags=["orders"])
def place_order(request: Request, client: Client, buyer: str, payload: OrderIn, key: IdempotencyKey = None):
    """Reserve the stock and open the order; the seller has 1 business day to confirm it."""
    store, now = store_of(request), now_of(request)

    def work():
        placed = buyer_app.place_order(
            store,
            client,
            buyer_code=buyer,
            company_code=payload.seller,
            warehouse_code=payload.warehouse,
            lines=[OrderLine(line.sku, line.quantity) for line in payload.lines],
            ship_to=_ship_to(payload.ship_to),
            delivery_address=payload.delivery_address,
            now=now,
        )
        return 201, placed

    return once(
        request, client, key, payload, work, location=lambda body: f"/api/v1/buyers/{buyer}/orders/{body['number']}"
    )


@router.get("/buyers/{buyer}/orders", response_model=OrdersOut, responses=REFUSALS, tags=["orders"])
def list_orders(
    request: Request, client: Client, buyer: str, cursor: str | None = None, limit: int = buyer_app.DEFAULT_PAGE
):
    """The buyer's orders, newest first, a page at a time (`next_cursor` asks for the next)."""
    return plain(
        buyer_app.buyer_orders(
            store_of(request), client, buyer_code=buyer, cursor=cursor, limit=limit, now=now_of(request)
        )
    )


@router.get("/buyers/{buyer}/orders/{number}", response_model=OrderOut, responses=REFUSALS, tags=["orders"])
def get_order(request: Request, client: Client, buyer: str, number: str):
    return plain(buyer_app.order(store_of(request), client, buyer_code=buyer, order_number=number, now=now_of(request)))


@router.post("/buyers/{buyer}/orders/{number}/cancel", response_model=OrderOut, responses=REFUSALS, tags=["orders"])
def cancel_order(
    request: Request, client: Client, buyer: str, number: str, payload: CancelIn, key: IdempotencyKey = None
):
    """Before the seller accepts, any time; after, only once the packing or delivery deadline passed."""
    work = lambda: (  # noqa: E731
        200,
        buyer_app.cancel_order(
            store_of(request), client, buyer_code=buyer, order_number=number, reason=payload.reason, now=now_of(request)
        ),
    )
    return once(request, client, key, payload, work)


@router.post(
    "/buyers/{buyer}/orders/{number}/confirm-receipt", response_model=OrderOut, responses=REFUSALS, tags=["orders"]
)
def confirm_receipt(
    request: Request, client: Client, buyer: str, number: str, payload: Empty, key: IdempotencyKey = None
):
    work = lambda: (  # noqa: E731
        200,
        buyer_app.confirm_receipt(
            store_of(request), client, buyer_code=buyer, order_number=number, now=now_of(request)
        ),
    )
    return once(request, client, key, payload, work)


@router.post(
    "/buyers/{buyer}/orders/{number}/complaints",
    status_code=201,
    response_model=OrderOut,
    responses=REFUSALS,
    tags=["orders"],
)
def file_complaint(
    request: Request, client: Client, buyer: str, number: str, payload: ComplaintIn, key: IdempotencyKey = None
):
    """About a shipped or delivered order; the seller has 2 calendar days to answer."""
    work = lambda: (  # noqa: E731
        201,
        buyer_app.file_complaint(
            store_of(request),
            client,
            buyer_code=buyer,
            order_number=number,
            description=payload.description,
            now=now_of(request),
        ),
    )
    return once(request, client, key, payload, work)


# --- couriers ------------------------------------------------------------------------------------


@router.post("/courier/orders/{number}/delivered", response_model=DeliveredOut, responses=REFUSALS, tags=["courier"])
def mark_delivered(request: Request, client: Client, number: str, payload: DeliveredIn, key: IdempotencyKey = None):
    """The goods reached the buyer; the order completes by itself 2 calendar days later."""

    def work():
        status = courier.mark_delivered(
            store_of(request), client, order_number=number, proof_reference=payload.proof_reference, now=now_of(request)
        )
        return 200, {"number": number, "status": status}

    return once(request, client, key, payload, work)


# --- the problem types, documented where their `type` points -------------------------------------


@router.get("/problems/{slug}", include_in_schema=False)
def problem_type(slug: str):
    kind = TYPES.get(slug)
    if kind is None:
        return JSONResponse({"detail": "No such problem type."}, status_code=404)
    return {
        "type": f"/api/v1/problems/{slug}",
        "title": kind.title,
        "status": kind.status,
        "description": kind.description,
    }
