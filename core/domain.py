"""The business's vocabulary: roles, statuses and kinds, as plain Python enums.

Everything else (tables, rules, pages) speaks in these names. Values are stored as text.
"""

from __future__ import annotations

from enum import StrEnum

from core.i18n import N_


class Role(StrEnum):
    SYSTEM_ADMINISTRATOR = "SYSTEM_ADMINISTRATOR"
    PRODUCT_MANAGER = "PRODUCT_MANAGER"

    @property
    def label(self) -> str:
        """The role's name, in English: the catalogue's msgid (Kopra keeps these names in Indonesian too)."""
        names = {"SYSTEM_ADMINISTRATOR": N_("System Administrator"), "PRODUCT_MANAGER": N_("Product Manager")}
        return names[self.value]


class UserStatus(StrEnum):
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"


class WarehouseStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class ProductStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"  # hidden from buyers, kept in the catalogue
    DELETED = "DELETED"  # gone from the catalogue; its sales history stays


class OrderStatus(StrEnum):
    PENDING_CONFIRMATION = "PENDING_CONFIRMATION"
    PROCESSING = "PROCESSING"
    READY_TO_SHIP = "READY_TO_SHIP"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    COMPLAINED = "COMPLAINED"
    RETURN_REQUESTED = "RETURN_REQUESTED"  # seller chose "return": goods on their way back
    REFUNDED = "REFUNDED"

    @property
    def label(self) -> str:
        """The status's name, in English: the catalogue's msgid (docs/glossary.md "Order statuses");
        translated where it is shown (gettext)."""
        return _ORDER_STATUS_LABELS[self.value]


_ORDER_STATUS_LABELS = {
    "PENDING_CONFIRMATION": N_("Pending confirmation"),
    "PROCESSING": N_("Processing"),
    "READY_TO_SHIP": N_("Ready to ship"),
    "SHIPPED": N_("Shipped"),
    "DELIVERED": N_("Delivered"),
    "COMPLETED": N_("Completed"),
    "REJECTED": N_("Rejected"),
    "CANCELLED": N_("Cancelled"),
    "COMPLAINED": N_("Complained"),
    "RETURN_REQUESTED": N_("Return requested"),
    "REFUNDED": N_("Refunded"),
}


class ActorKind(StrEnum):
    USER = "USER"  # a seller's staff member
    BUYER = "BUYER"  # through the buyer channel
    COURIER = "COURIER"  # delivery events, through the buyer channel
    SYSTEM = "SYSTEM"  # the scheduler
    BANK = "BANK"  # the bank's back office


class ApiScope(StrEnum):
    """What an API client may call: the buyer app's resources, or a courier's."""

    BUYER_APP = "BUYER_APP"
    COURIER = "COURIER"


class NotificationKind(StrEnum):
    """What a seller's staff member is told of (core.notifications). Product Managers hear of orders,
    money and stock; System Administrators of warehouse closures and the payout account."""

    NEW_ORDER = "NEW_ORDER"  # an order waits for confirmation
    CONFIRM_HALF_GONE = "CONFIRM_HALF_GONE"  # half of the time to confirm is gone
    CONFIRM_2H_LEFT = "CONFIRM_2H_LEFT"  # 2 business hours left to confirm
    AUTO_CANCELLED = "AUTO_CANCELLED"  # nobody answered in time: the system cancelled it
    PACK_OVERDUE = "PACK_OVERDUE"  # the packing deadline passed: the buyer may now cancel
    COMPLAINT_FILED = "COMPLAINT_FILED"
    COMPLAINT_12H_LEFT = "COMPLAINT_12H_LEFT"  # 12 hours left to answer a complaint
    BUYER_CANCELLED = "BUYER_CANCELLED"
    AUTO_REFUNDED = "AUTO_REFUNDED"  # refunded by the system (an unanswered complaint)
    PAYOUT_PAID = "PAYOUT_PAID"
    LOW_STOCK = "LOW_STOCK"  # available units of a product in a warehouse below the low-stock level
    CLOSURE_TOMORROW = "CLOSURE_TOMORROW"  # administrators: a warehouse closure starts tomorrow
    PAYOUT_ACCOUNT_CHANGED = "PAYOUT_ACCOUNT_CHANGED"  # administrators


class MailStatus(StrEnum):
    """Where one notification's email stands."""

    PENDING = "PENDING"  # to be sent at `due_at` (now, or the digest time), again after a refusal
    SENT = "SENT"
    SKIPPED = "SKIPPED"  # the address changed or email was turned off before it went


class DeliveryStatus(StrEnum):
    """Where one webhook delivery stands (core.integration.webhooks)."""

    PENDING = "PENDING"  # to be sent, or sent and refused: tried again after a back-off
    DELIVERED = "DELIVERED"  # the receiver answered 2xx
    PARKED = "PARKED"  # refused for 24 hours: waits for the bank to replay it


class FailureKind(StrEnum):
    REJECTED_BY_SELLER = "REJECTED_BY_SELLER"
    CANCELLED_BY_BUYER = "CANCELLED_BY_BUYER"
    CANCELLED_BY_SYSTEM = "CANCELLED_BY_SYSTEM"


class ComplaintResolution(StrEnum):
    REFUND = "REFUND"
    RETURN = "RETURN"
    AUTO_REFUND = "AUTO_REFUND"


class PayoutStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
