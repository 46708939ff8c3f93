"""Domain errors: what a person is told when the business says no.

Every message is a complete sentence meant for the user who tried; pages show it as it is.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request; the store is unchanged."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing does not exist, or belongs to another company (we never say which)."""


class NotAuthenticated(DomainError):
    """The caller did not prove who it is (an API client's token missing, wrong or revoked)."""


class AccessDenied(DomainError):
    """The acting user's role or company may not do this."""


class InvalidInput(DomainError):
    """A field's value breaks a rule; `field` names it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class AlreadyExists(DomainError):
    """The thing to create exists already: nothing was changed."""


class TransitionRefused(DomainError):
    """The order's lifecycle does not allow this step from where the order is."""


class ConcurrentChange(DomainError):
    """Someone (a colleague, the buyer or the scheduler) changed the order first; nothing was applied."""


class OutOfStock(DomainError):
    """Not enough available stock for an order."""
