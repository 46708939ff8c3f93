"""The store's tables as SQLAlchemy 2 typed models: the whole domain.

Money is integer rupiah (`BigInteger`), never float. Every timestamp is stored in UTC through
`UtcDateTime`, which refuses naive datetimes on the way in and returns aware ones on the way out.
Uniqueness the business depends on (one payout per order, one refund per order, SKU per company,
warehouse code per company) is enforced by the schema, not only by code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.domain import (
    ActorKind,
    ApiScope,
    ComplaintResolution,
    DeliveryStatus,
    FailureKind,
    MailStatus,
    NotificationKind,
    OrderStatus,
    PayoutStatus,
    ProductStatus,
    Role,
    UserStatus,
    WarehouseStatus,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _text_enum(enum_cls) -> String:
    return String(max(len(m.value) for m in enum_cls) + 8)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), int: Integer()}


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_code: Mapped[str] = mapped_column(String(32), unique=True)  # the login's "Company ID"
    name: Mapped[str] = mapped_column(String(200))
    is_whitelisted: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_mime: Mapped[str | None] = mapped_column(String(32))
    payout_bank_name: Mapped[str | None] = mapped_column(String(100))
    payout_account_number: Mapped[str | None] = mapped_column(String(34))
    payout_account_holder: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    users: Mapped[list[User]] = relationship(back_populates="company")
    warehouses: Mapped[list[Warehouse]] = relationship(back_populates="company")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("company_id", "user_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    user_code: Mapped[str] = mapped_column(String(64))  # the login's "User ID"
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_text_enum(Role))
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[UserStatus] = mapped_column(_text_enum(UserStatus), default=UserStatus.ACTIVE)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    password_changed_at: Mapped[datetime]
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    # The language they chose ("id", "en"; core.i18n.LANGUAGES); None until they choose: the default.
    language: Mapped[str | None] = mapped_column(String(8))

    company: Mapped[Company] = relationship(back_populates="users")


class PasswordHistory(Base):
    """Earlier password hashes, so a new password cannot repeat one of the last few."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class LoginSession(Base):
    """A server-side login session; the browser's cookie holds only an opaque id whose hash is here."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))
    #: The HttpOnly cookie's own token (its hash), given by the server for a one-time ticket.
    cookie_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_expires_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Wrong logins from one client address in the current window, and until when it must wait."""

    __tablename__ = "login_throttle"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    window_started_at: Mapped[datetime]
    next_allowed_at: Mapped[datetime | None]


class UnknownLogin(Base):
    """Wrong logins for a typed Company ID + User ID pair that names nobody, by the pair's SHA-256
    (the typed IDs themselves are never kept: people type passwords into the wrong field)."""

    __tablename__ = "unknown_logins"

    pair_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    last_at: Mapped[datetime]


class ApiClient(Base):
    """An integrating system (the buyer app, a courier) and its bearer token: the key id finds it, only
    a SHA-256 of the token's secret is kept (core.integration.clients)."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(48), unique=True)
    scope: Mapped[ApiScope] = mapped_column(_text_enum(ApiScope))
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class IdempotencyKey(Base):
    """A POST the API answered, by the client's Idempotency-Key: a retry with the same key and body gets
    this answer again; written in the same transaction as what the request did (api/idempotency.py)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    status_code: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class OutboxEvent(Base):
    """Something that happened, written in the same transaction as the step that made it happen (the
    transactional outbox): webhooks (and notifications) are sent from here, never from the step."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    step: Mapped[str | None] = mapped_column(String(32))
    actor_kind: Mapped[ActorKind | None] = mapped_column(_text_enum(ActorKind))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class WebhookEndpoint(Base):
    """Where an API client wants to hear of events, and the secret its deliveries are signed with (kept
    as given: signing needs it). `fanned_out_to` is the last outbox event turned into deliveries."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(64))
    topics: Mapped[str] = mapped_column(String(500), default="*")
    fanned_out_to: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event for one endpoint: sent at least once, in order per order; leased while being sent so
    two workers never send it at the same time, and sent again if the sender died."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_order", "endpoint_id", "order_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    order_id: Mapped[int | None]
    status: Mapped[DeliveryStatus] = mapped_column(_text_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Notification(Base):
    """One thing one user is told of, in the portal (always) and by email (by preference). Written in
    the transaction of what caused it, or by the scheduler's warning scan; (user, kind, subject) is
    unique, so a second scheduler, a restart or a catch-up never tells anyone twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "subject"),
        Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
        Index("ix_notifications_order_kind", "order_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    kind: Mapped[NotificationKind] = mapped_column(_text_enum(NotificationKind))
    #: What it is about, unique per user and kind: "event:<outbox id>", "order:<id>", "stock:<id>:<date>" ...
    subject: Mapped[str] = mapped_column(String(80))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    #: The facts its sentence needs (amount, transfer reference, SKU, warehouse, deadline), as JSON.
    facts: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class NotificationMail(Base):
    """A notification's email: one per notification at most (exactly once per user and channel), sent
    alone or in the user's digest at `due_at`, tried again with back-off when the mail server refuses."""

    __tablename__ = "notification_mails"
    __table_args__ = (Index("ix_notification_mails_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[MailStatus] = mapped_column(_text_enum(MailStatus), default=MailStatus.PENDING)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class NotificationPreference(Base):
    """A user's choices: the verified address, which kinds also go by email, immediate or a daily digest
    at their warehouses' opening time. In the portal every kind is always shown."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    email_verified_at: Mapped[datetime | None]
    pending_email: Mapped[str | None] = mapped_column(String(254))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None]
    code_attempts: Mapped[int] = mapped_column(default=0)
    email_kinds: Mapped[str] = mapped_column(String(500), default="")  # comma-separated NotificationKind values
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class Heartbeat(Base):
    """When a process (the scheduler) last finished its work: the readiness check reads it."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    beat_at: Mapped[datetime]
    detail: Mapped[str | None] = mapped_column(Text)


class Warehouse(Base):
    __tablename__ = "warehouses"
    __table_args__ = (
        UniqueConstraint("company_id", "code"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
        CheckConstraint("processing_days > 0", name="processing_days_positive"),
        CheckConstraint("delivery_sla_days > 0", name="sla_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(40))  # Asia/Jakarta, Asia/Makassar, Asia/Jayapura
    operating_days: Mapped[str] = mapped_column(String(20), default="0,1,2,3,4")  # ISO weekdays, 0=Monday
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)
    processing_days: Mapped[int] = mapped_column(default=2)  # business days to pack
    delivery_sla_days: Mapped[int] = mapped_column(default=3)  # calendar days from packing
    observe_joint_leave: Mapped[bool] = mapped_column(Boolean, default=True)  # cuti bersama
    status: Mapped[WarehouseStatus] = mapped_column(_text_enum(WarehouseStatus), default=WarehouseStatus.OPEN)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    company: Mapped[Company] = relationship(back_populates="warehouses")
    closures: Mapped[list[WarehouseClosure]] = relationship(order_by="WarehouseClosure.day")


class WarehouseClosure(Base):
    """An extra non-working local date of one warehouse (stock-taking, renovation, local holiday)."""

    __tablename__ = "warehouse_closures"
    __table_args__ = (UniqueConstraint("warehouse_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("company_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(32), default="pcs")
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    image_mime: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[ProductStatus] = mapped_column(_text_enum(ProductStatus), default=ProductStatus.ACTIVE)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    stock_levels: Mapped[list[StockLevel]] = relationship(back_populates="product")


class StockLevel(Base):
    """Stock and price of one product in one warehouse. available = on_hand - reserved."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("product_id", "warehouse_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        # The last line of defence against oversell: a reservation can never exceed what is there.
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    price: Mapped[int] = mapped_column(BigInteger)  # rupiah
    updated_at: Mapped[datetime]

    product: Mapped[Product] = relationship(back_populates="stock_levels")
    warehouse: Mapped[Warehouse] = relationship()


class PriceChange(Base):
    __tablename__ = "price_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    old_price: Mapped[int | None] = mapped_column(BigInteger)  # None when the price was first set
    new_price: Mapped[int] = mapped_column(BigInteger)
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime]
    confirmed_large_change: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(32), default="form")  # form, grid, csv import, demo


class Buyer(Base):
    """A retail merchant approved by the bank; orders through the buyer app (outside this project)."""

    __tablename__ = "buyers"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    is_approved: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class DeliveryAddress(Base):
    """A buyer's other place to receive goods, by a label the buyer app shows ("Gudang Bekasi"); an order
    placed to it copies it (a later change does not move an order)."""

    __tablename__ = "delivery_addresses"
    __table_args__ = (UniqueConstraint("buyer_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"))
    label: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(Text)
    city: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total_amount > 0", name="total_positive"),
        # The scheduler's sweeps look up due orders by status and the deadline that matters for it.
        Index("ix_orders_status_confirm_deadline", "status", "confirm_deadline"),
        Index("ix_orders_status_complaint_deadline", "status", "complaint_deadline"),
        Index("ix_orders_status_complete_deadline", "status", "complete_deadline"),
        # A company's orders by stage, and each warehouse's open orders counted from the index alone.
        Index("ix_orders_company_status_warehouse", "company_id", "status", "warehouse_id"),
        Index("ix_orders_company_placed_at", "company_id", "placed_at"),
        # Sales Management's "Total, largest first" (core.orders.search).
        Index("ix_orders_company_total_amount", "company_id", "total_amount"),
        # A buyer's orders (the buyer app), and with one seller in a stage (Sales Management's search).
        Index("ix_orders_buyer_company_status", "buyer_id", "company_id", "status"),
        # The analytics sync reads orders changed since its watermark.
        Index("ix_orders_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[str] = mapped_column(String(32), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"))
    status: Mapped[OrderStatus] = mapped_column(_text_enum(OrderStatus))
    total_amount: Mapped[int] = mapped_column(BigInteger)  # rupiah, the sum of the lines
    item_count: Mapped[int] = mapped_column(default=0)  # units over all lines
    placed_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    packed_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # rejected, cancelled or refunded
    # Deadlines are computed once, when the order enters the state they belong to.
    confirm_deadline: Mapped[datetime | None]
    pack_deadline: Mapped[datetime | None]
    delivery_deadline: Mapped[datetime | None]
    complaint_deadline: Mapped[datetime | None]
    complete_deadline: Mapped[datetime | None]  # automatic completion 2 calendar days after delivery
    #: When the seller is warned that half of the time to confirm is gone, and that 2 business hours
    #: are left: instants in the warehouse's business time, fixed when the order is placed.
    confirm_half_at: Mapped[datetime | None]
    confirm_last_at: Mapped[datetime | None]
    failure_kind: Mapped[FailureKind | None] = mapped_column(_text_enum(FailureKind))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # Where the goods go: snapshotted when the order is placed (the buyer's registered name, phone,
    # address and city, or the delivery address the buyer app gave), so a later change of the
    # buyer's address does not move a placed order.
    ship_to_name: Mapped[str | None] = mapped_column(String(200))
    ship_to_phone: Mapped[str | None] = mapped_column(String(32))
    ship_to_address: Mapped[str | None] = mapped_column(Text)
    ship_to_city: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]

    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.id")
    events: Mapped[list[OrderEvent]] = relationship(order_by="OrderEvent.id")
    warehouse: Mapped[Warehouse] = relationship()
    buyer: Mapped[Buyer] = relationship()


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))  # snapshot at order time
    product_name: Mapped[str] = mapped_column(String(200))  # snapshot at order time
    quantity: Mapped[int]
    unit_price: Mapped[int] = mapped_column(BigInteger)  # snapshot at order time, rupiah
    line_total: Mapped[int] = mapped_column(BigInteger)
    checked_at: Mapped[datetime | None]  # ticked off while packing

    order: Mapped[Order] = relationship(back_populates="items")


def _recorded_with_the_step(context) -> datetime:
    """A step recorded as it happens was recorded when it took effect."""
    return context.get_current_parameters()["at"]


class OrderEvent(Base):
    """Append-only: every transition of an order, with who did it, when it took effect and why.
    An automatic step takes effect at its deadline; `recorded_at` says when the sweep wrote it."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    from_status: Mapped[OrderStatus | None] = mapped_column(_text_enum(OrderStatus))
    to_status: Mapped[OrderStatus] = mapped_column(_text_enum(OrderStatus))
    actor_kind: Mapped[ActorKind] = mapped_column(_text_enum(ActorKind))
    actor_id: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=_recorded_with_the_step)


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    courier: Mapped[str] = mapped_column(String(100))
    tracking_number: Mapped[str] = mapped_column(String(100))
    proof_photo: Mapped[bytes] = mapped_column(LargeBinary)
    proof_mime: Mapped[str] = mapped_column(String(32))
    shipped_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shipped_at: Mapped[datetime]


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    description: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime]
    answer_deadline: Mapped[datetime]
    resolution: Mapped[ComplaintResolution | None] = mapped_column(_text_enum(ComplaintResolution))
    answer_note: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_received_at: Mapped[datetime | None]
    restocked: Mapped[bool] = mapped_column(Boolean, default=False)


class Refund(Base):
    """Money back to the buyer: at most one per order, enforced by the schema."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Payout(Base):
    """Money to the seller's account: at most one per order, enforced by the schema."""

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_payouts_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    bank_name: Mapped[str | None] = mapped_column(String(100))
    account_number: Mapped[str | None] = mapped_column(String(34))
    account_holder: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[PayoutStatus] = mapped_column(_text_enum(PayoutStatus), default=PayoutStatus.PENDING)
    trigger: Mapped[str] = mapped_column(String(32))  # buyer confirmed, or automatic after delivery
    created_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    transfer_reference: Mapped[str | None] = mapped_column(String(64), unique=True)


class AuditEntry(Base):
    """Who did what and when: logins, password changes, profile changes, back-office actions.

    Never holds a secret (no passwords, no session tokens).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[ActorKind] = mapped_column(_text_enum(ActorKind))
    actor: Mapped[str | None] = mapped_column(String(200))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str | None] = mapped_column(Text)  # JSON


# --- The tables, for Core statements -------------------------------------------------------------
# A declarative model types its `__table__` as any FromClause; these are the Tables it really is, for
# set-based statements (`update(orders_t)`, `orders_t.c[column]`) that need a Table.

orders_t: Table = cast(Table, Order.__table__)
events_t: Table = cast(Table, OrderEvent.__table__)
items_t: Table = cast(Table, OrderItem.__table__)
stock_t: Table = cast(Table, StockLevel.__table__)
payouts_t: Table = cast(Table, Payout.__table__)
refunds_t: Table = cast(Table, Refund.__table__)
complaints_t: Table = cast(Table, Complaint.__table__)
companies_t: Table = cast(Table, Company.__table__)
outbox_t: Table = cast(Table, OutboxEvent.__table__)
notifications_t: Table = cast(Table, Notification.__table__)
mails_t: Table = cast(Table, NotificationMail.__table__)
products_t: Table = cast(Table, Product.__table__)
warehouses_t: Table = cast(Table, Warehouse.__table__)
closures_t: Table = cast(Table, WarehouseClosure.__table__)
buyers_t: Table = cast(Table, Buyer.__table__)
idempotency_t: Table = cast(Table, IdempotencyKey.__table__)
api_clients_t: Table = cast(Table, ApiClient.__table__)
preferences_t: Table = cast(Table, NotificationPreference.__table__)
