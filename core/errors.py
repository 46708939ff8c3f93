"""Domain errors: what a person is told when the business says no.

Every message is a complete sentence meant for the user who tried; pages show it as it is. A refusal
carries its sentence as a `core.i18n.Message` (a text and its values) so it keeps one meaning in both
languages: `message` is it in the reader's language, `text(code)` in a given one. A refusal raised
with a plain string (most still are) reads as written where the catalogue has no translation of it.
"""

from __future__ import annotations

from core.i18n import Message


class DomainError(Exception):
    """A rule refused the request; the store is unchanged."""

    def __init__(self, message: str | Message):
        self.said = message if isinstance(message, Message) else Message(message)
        super().__init__(self.said.render("en"))

    @property
    def message(self) -> str:
        """The sentence in the reader's language (core.i18n.using)."""
        return self.said.render()

    def text(self, code: str) -> str:
        """The sentence in the language `code`."""
        return self.said.render(code)


class NotFound(DomainError):
    """The thing does not exist, or belongs to another company (we never say which)."""


class NotAuthenticated(DomainError):
    """The caller did not prove who it is (an API client's token missing, wrong or revoked)."""


class AccessDenied(DomainError):
    """The acting user's role or company may not do this."""


class InvalidInput(DomainError):
    """A field's value breaks a rule; `field` names it."""

    def __init__(self, message: str | Message, field: str | None = None):
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
