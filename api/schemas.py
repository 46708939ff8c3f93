"""The JSON the API takes and gives, as typed models (they are the OpenAPI document at /api/docs).

Requests are strict: unknown fields, wrong types ("5" for 5) and missing fields are refused before
core is called. Limits on values (quantities, lengths, phone numbers) are core's rules and core's
sentences; the models only fix the shape.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LineIn(Strict):
    sku: str
    quantity: int


class AddressIn(Strict):
    name: str
    phone: str | None = None
    address: str
    city: str


class OrderIn(Strict):
    seller: str = Field(description="The seller's Company ID, e.g. ACME01")
    warehouse: str = Field(description="The warehouse code, e.g. JKT-01")
    lines: list[LineIn]
    ship_to: AddressIn | None = Field(default=None, description="Another delivery address for this order only")
    delivery_address: str | None = Field(default=None, description="The label of one of the buyer's addresses")


class CancelIn(Strict):
    reason: str = ""


class ComplaintIn(Strict):
    description: str


class Empty(Strict):
    pass


class DeliveredIn(Strict):
    proof_reference: str = Field(default="", description="The courier's own reference of the proof of delivery")


class BuyerIn(Strict):
    buyer_code: str
    name: str
    phone: str | None = None
    address: str
    city: str


class BuyerPatch(Strict):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None


class LabelledAddressIn(AddressIn):
    label: str


# --- what the API gives --------------------------------------------------------------------------


class WarehouseOut(BaseModel):
    code: str
    name: str
    time_zone: str
    is_open: bool


class SellerOut(BaseModel):
    company_code: str
    name: str
    contact_phone: str | None
    warehouses: list[WarehouseOut]


class SellersOut(BaseModel):
    items: list[SellerOut]


class OfferOut(BaseModel):
    warehouse_code: str
    sku: str
    name: str
    unit: str
    price: int = Field(description="Rupiah per unit")
    available: int


class CatalogueOut(BaseModel):
    items: list[OfferOut]
    next_cursor: str | None


class LineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


class EventOut(BaseModel):
    status: str
    by: str
    at: datetime
    reason: str | None


class OrderOut(BaseModel):
    number: str
    status: str
    seller: str
    warehouse: str
    buyer: str
    total_amount: int
    placed_at: datetime
    deadlines: dict[str, datetime]
    ship_to: dict[str, str | None]
    failure: dict[str, str | None] | None
    lines: list[LineOut]
    events: list[EventOut]


class OrderSummaryOut(BaseModel):
    number: str
    status: str
    seller: str
    warehouse: str
    total_amount: int
    placed_at: datetime


class OrdersOut(BaseModel):
    items: list[OrderSummaryOut]
    next_cursor: str | None


class AddressOut(BaseModel):
    label: str
    name: str
    phone: str | None
    address: str
    city: str


class BuyerOut(BaseModel):
    buyer_code: str
    name: str
    phone: str | None
    address: str
    city: str
    active: bool
    created_at: datetime
    updated_at: datetime | None
    addresses: list[AddressOut]


class DeliveredOut(BaseModel):
    number: str
    status: str


class ProblemOut(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    field: str | None = None
