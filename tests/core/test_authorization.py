"""Authorization in core, table-driven: every service that acts for a seller user is listed in
SERVICES with the roles that may call it, and every read in READS with how to find the companies
of the rows it returned. Adding a service means adding one line; the tests below then check it:

- the role × service matrix: each role outside the allowed ones is refused with AccessDenied,
  each allowed role gets past authorization (any other DomainError is the service's business);
- standing: an actor whose user is blocked or deleted, whose company lost its whitelisting, or a
  forged actor (another company's id) is refused, whatever the role;
- company isolation: no read returns a row of another company.

Uses the `world` fixture of tests/core/conftest.py (ACME01 with pm and admin, OTHER02 with pm).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import pytest
from sqlalchemy import update

from core import accounts
from core.access import Actor
from core.domain import Role, UserStatus
from core.errors import AccessDenied, DomainError
from core.models import Company, User

ANY_ROLE = frozenset(Role)
SYSTEM_ADMINISTRATOR = frozenset({Role.SYSTEM_ADMINISTRATOR})
PRODUCT_MANAGER = frozenset({Role.PRODUCT_MANAGER})


@dataclass(frozen=True)
class Service:
    name: str
    call: Callable[[Any, Actor, datetime], Any]  # (world, actor, now) -> result; calls the service as actor
    allowed: frozenset[Role]
    #: Does the service reload the actor and refuse a blocked/deleted user or a de-whitelisted company?
    checks_standing: bool = True


@dataclass(frozen=True)
class Read:
    name: str
    call: Callable[[Any, Actor, datetime], Any]
    companies: Callable[[Any], set[int]]  # the company ids of every row in a result


SERVICES: list[Service] = [
    Service("accounts.account_summary", lambda w, actor, now: accounts.account_summary(w.store, actor, now), ANY_ROLE),
    Service("accounts.change_password",
            lambda w, actor, now: accounts.change_password(w.store, actor, "x", "Nieuw-Wachtwoord-1",
                                                           "Nieuw-Wachtwoord-1", now), ANY_ROLE),
]


def _company_ids_of_codes(world, codes: set[str]) -> set[int]:
    with world.store.reading() as session:
        return {accounts.find_company(session, code).id for code in codes}


READS: list[Read] = [
    Read("accounts.account_summary", lambda w, actor, now: accounts.account_summary(w.store, actor, now),
         lambda result: {result.company_code}),
]


def _actor_of_role(world, role: Role) -> Actor:
    return world.admin if role == Role.SYSTEM_ADMINISTRATOR else world.pm


def _by_name(items):
    return [pytest.param(item, id=item.name) for item in items]


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value.lower())
@pytest.mark.parametrize("service", _by_name(SERVICES))
def test_the_role_by_service_matrix(world, now, service, role):
    actor = _actor_of_role(world, role)
    if role in service.allowed:
        try:
            service.call(world, actor, now)
        except AccessDenied as refused:  # pragma: no cover - the failure message says what went wrong
            pytest.fail(f"{service.name} refused an allowed {role.label}: {refused.message}")
        except DomainError:
            pass  # past authorization; the service's own rules said no
    else:
        with pytest.raises(AccessDenied, match="may"):
            service.call(world, actor, now)


@pytest.mark.parametrize("service", _by_name(SERVICES))
def test_something_that_is_not_a_logged_in_user_is_refused(world, now, service):
    with pytest.raises(AccessDenied, match="Only a logged-in user may"):
        service.call(world, None, now)


def _allowed_actor(world, service: Service) -> Actor:
    return _actor_of_role(world, sorted(service.allowed)[0])


STANDING_CHANGES = {
    "blocked user": (lambda s, actor: s.execute(update(User).where(User.id == actor.user_id)
                                                 .values(status=UserStatus.BLOCKED.value)), accounts.BLOCKED_MESSAGE),
    "deleted user": (lambda s, actor: s.execute(update(User).where(User.id == actor.user_id)
                                                 .values(deleted_at=datetime(2026, 2, 1).astimezone())),
                     accounts.USER_GONE),
    "company not whitelisted": (lambda s, actor: s.execute(update(Company).where(Company.id == actor.company_id)
                                                            .values(is_whitelisted=False)),
                                accounts.NOT_WHITELISTED_MESSAGE),
}


@pytest.mark.parametrize("change", list(STANDING_CHANGES))
@pytest.mark.parametrize("service", _by_name([s for s in SERVICES if s.checks_standing]))
def test_an_actor_who_lost_their_standing_is_refused(world, now, service, change):
    """The Actor a page holds may be minutes old: the service reloads it in its own unit of work."""
    actor = _allowed_actor(world, service)
    alter, message = STANDING_CHANGES[change]
    with world.store.transaction() as session:
        alter(session, actor)
    with pytest.raises(AccessDenied) as refused:
        service.call(world, actor, now)
    assert refused.value.message == message


@pytest.mark.parametrize("service", _by_name([s for s in SERVICES if s.checks_standing]))
def test_a_forged_actor_claiming_another_company_is_refused(world, now, service):
    actor = _allowed_actor(world, service)
    forged = dataclasses.replace(actor, company_id=world.other_pm.company_id, company_code=world.other_pm.company_code)
    with pytest.raises(AccessDenied):
        service.call(world, forged, now)


@pytest.mark.parametrize("read", _by_name(READS))
def test_no_read_returns_a_row_of_another_company(world, now, read):
    for actor in (world.pm, world.admin, world.other_pm):
        result = read.call(world, actor, now)
        companies = read.companies(result)
        if companies and isinstance(next(iter(companies)), str):  # company codes → ids
            companies = _company_ids_of_codes(world, companies)
        assert companies <= {actor.company_id}, f"{read.name} as {actor.label} returned rows of {companies}"
