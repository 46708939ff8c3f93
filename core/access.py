"""Who is acting, and what their role may do. Every core service takes an `Actor` and calls
`require_role` first; every query it runs is filtered by `actor.company_id`."""
from __future__ import annotations

from dataclasses import dataclass

from core.domain import Role
from core.errors import AccessDenied


@dataclass(frozen=True)
class Actor:
    """A logged-in seller user, as loaded from the store on this request."""

    user_id: int
    company_id: int
    company_code: str
    user_code: str
    role: Role
    display_name: str = ""

    @property
    def label(self) -> str:
        """How the user appears in timelines and audit entries."""
        return f"{self.company_code}/{self.user_code}"


def require_role(actor: Actor, *roles: Role, doing: str) -> None:
    if not isinstance(actor, Actor):
        raise AccessDenied(f"Only a logged-in user may {doing}.")
    if actor.role not in roles:
        allowed = " or ".join(role.label for role in roles)
        raise AccessDenied(f"Only a {allowed} may {doing}; you are logged in as {actor.role.label}.")
