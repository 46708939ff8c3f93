"""Notifications written in the transaction of what caused them, in the two shapes of core.orders.effects.

- An order step (core.integration.outbox calls these beside the step's outbox event): placing tells of
  a new order, the system's cancellation and refund, the buyer's cancellation and complaint
  (`STEP_KINDS`); the other steps tell nobody. `notify_order_step` for one order, `notify_order_steps`
  for the sweep's batch: the same INSERT .. SELECT (one statement, the order joined to its company's
  recipients), so both shapes write identical rows.
- A payout paid (`notify_payouts_paid`, from the payout run) and a payout account changed
  (`notify_payout_account_changed`, from core.company.payout_account).

Recipients are the company's active, not deleted users of the kind's audience (core.notifications.kinds:
Product Managers for orders, money and stock; System Administrators for closures and the payout
account). Each row is unique per (user, kind, subject): "order:<id>" (each of these kinds happens at
most once per order), "payout:<id>", ...; a repeat does nothing (ON CONFLICT DO NOTHING, on SQLite and
PostgreSQL alike). The new rows' ids come back (RETURNING) and their emails are queued at once
(core.notifications.queue). The scheduler's warnings (core.notifications.warnings) use the same
statements.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from core.domain import NotificationKind, Role, UserStatus
from core.notifications.kinds import KINDS
from core.notifications.queue import email_choice, queue_new
from core.orders.lifecycle import Step, Transition
from core.store.models import (
    Buyer,
    User,
    UtcDateTime,
    Warehouse,
    notifications_t,
    orders_t,
    payouts_t,
)
from core.warehouses.records import company_time_zone

users_t = User.__table__
warehouses_t = Warehouse.__table__
buyers_t = Buyer.__table__

#: The steps people are told of, and what they are told.
STEP_KINDS: dict[Step, NotificationKind] = {
    Step.PLACE: NotificationKind.NEW_ORDER,
    Step.AUTO_CANCEL: NotificationKind.AUTO_CANCELLED,
    Step.BUYER_CANCEL: NotificationKind.BUYER_CANCELLED,
    Step.COMPLAIN: NotificationKind.COMPLAINT_FILED,
    Step.AUTO_REFUND: NotificationKind.AUTO_REFUNDED,
}
COLUMNS = ["user_id", "company_id", "kind", "subject", "order_id", "facts", "created_at"]


# --- SQL pieces, on both databases ------------------------------------------------------------------


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def facts_json(dialect: str, **facts: Any) -> ColumnElement[Any]:
    """A JSON object built by the database from columns, as text: {"amount": 150000, ...}."""
    pairs: list[Any] = []
    for key, value in facts.items():
        pairs += [literal_column(f"'{key}'"), value]
    if dialect == "postgresql":
        return cast(func.json_build_object(*pairs), Text)
    return func.json_object(*pairs)


def iso_utc(dialect: str, column: Any) -> ColumnElement[Any]:
    """A stored moment as ISO-8601 UTC text to the second: "2026-11-24T03:00:00Z"."""
    if dialect == "postgresql":
        return func.to_char(
            func.timezone(literal_column("'UTC'"), column), literal_column("""'YYYY-MM-DD"T"HH24:MI:SS"Z"'""")
        )
    return func.strftime(literal_column("'%Y-%m-%dT%H:%M:%SZ'"), column)


def last_four(dialect: str, column: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.right(column, 4)
    return func.substr(column, -4)


def subject(prefix: str, column: Any) -> ColumnElement[Any]:
    """ "order:123" from a column of ids."""
    return literal(f"{prefix}:") + cast(column, String)


def recipients(role: Role, company_id: Any) -> ColumnElement[bool]:
    """The join condition of a company's active, not deleted users of `role`."""
    return and_(
        users_t.c.company_id == company_id,
        users_t.c.role == role.value,
        users_t.c.status == UserStatus.ACTIVE.value,
        users_t.c.deleted_at.is_(None),
    )


def _insert_of(dialect: str, rows: Select[Any]) -> Any:
    """INSERT .. SELECT `rows` (COLUMNS), skipping any (user, kind, subject) already there, RETURNING
    what `queue_new` needs of the new ones, their users' email choice included (no second read)."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    n = notifications_t.c
    return (
        insert(notifications_t)
        .from_select(COLUMNS, rows)
        .on_conflict_do_nothing()
        .returning(n.id, n.user_id, n.company_id, n.kind, *email_choice())
    )


def _written(session: Session, statement: Any, now: datetime, params: dict[str, Any] | None = None) -> list[int]:
    """Run a notifications INSERT, queue the emails of the new rows, return their ids."""
    written = session.execute(statement, params).all()
    if written:
        queue_new(session, written, now)
    return [row[0] for row in written]


def insert_notifications(session: Session, rows: Select[Any], now: datetime) -> list[int]:
    """INSERT .. SELECT `rows` (COLUMNS), skipping any (user, kind, subject) already there; queue the
    emails of the new ones; return their ids."""
    return _written(session, _insert_of(dialect_of(session), rows), now)


def order_rows(session: Session, kind: NotificationKind, where: Any, now: datetime) -> Select[Any]:
    """One notification of `kind` for each order `where` selects and each recipient in its company, with
    the order's facts; subject "order:<id>". Rows in (order, user) order: two writers of the same rows
    wait for each other rather than deadlock."""
    return _order_rows(dialect_of(session), kind, where, literal(now, UtcDateTime()))


@functools.cache
def _one_order_insert(dialect: str, kind: NotificationKind) -> Any:
    """`order_rows` of the order :order_id (of :company_id) inserted at :now, built once per process:
    every order placed runs it, and building it costs more than running it."""
    where = and_(orders_t.c.id == bindparam("order_id"), orders_t.c.company_id == bindparam("company_id"))
    return _insert_of(dialect, _order_rows(dialect, kind, where, bindparam("now", type_=UtcDateTime())))


def _order_rows(dialect: str, kind: NotificationKind, where: Any, now: Any) -> Select[Any]:
    o, u, w, b = orders_t.c, users_t.c, warehouses_t.c, buyers_t.c
    deadline = KINDS[kind].deadline
    facts = facts_json(
        dialect,
        amount=o.total_amount,
        items=o.item_count,
        buyer=b.name,
        warehouse=w.code,
        time_zone=w.time_zone,
        **({"deadline": iso_utc(dialect, o[deadline])} if deadline else {}),
    )
    return (
        select(
            u.id,
            o.company_id,
            literal(kind.value),
            subject("order", o.id),
            o.id,
            facts,
            now,
        )
        .select_from(
            orders_t.join(users_t, recipients(KINDS[kind].audience, o.company_id))
            .join(warehouses_t, w.id == o.warehouse_id)
            .join(buyers_t, b.id == o.buyer_id)
        )
        .where(where)
        .order_by(o.id, u.id)
    )


# --- order steps ------------------------------------------------------------------------------------


def notify_order_step(
    session: Session, *, order_id: int, company_id: int, transition: Transition, at: datetime, now: datetime
) -> list[int]:
    """One order's step (a person's, the buyer's, or the system's taken per order): its notifications,
    if the step is one people are told of. Returns the new notifications' ids."""
    kind = STEP_KINDS.get(transition.step)
    if kind is None:
        return []
    statement = _one_order_insert(dialect_of(session), kind)
    return _written(session, statement, now, {"order_id": order_id, "company_id": company_id, "now": now})


def notify_order_steps(session: Session, where: Any, transition: Transition, at: Any, now: datetime) -> list[int]:
    """The sweep's batch (`where` selects the orders it moved): the same rows as `notify_order_step`
    writes for each of them."""
    kind = STEP_KINDS.get(transition.step)
    if kind is None:
        return []
    return insert_notifications(session, order_rows(session, kind, where, now), now)


# --- money --------------------------------------------------------------------------------------------


def notify_payouts_paid(session: Session, where: Any, now: datetime) -> list[int]:
    """Payouts just marked paid (`where` selects them): the Product Managers of each one's company are
    told the amount, the transfer reference and the account it went to (its last 4 digits)."""
    dialect = dialect_of(session)
    p, u = payouts_t.c, users_t.c
    facts = facts_json(
        dialect,
        amount=p.amount,
        transfer_reference=p.transfer_reference,
        bank=p.bank_name,
        account_last4=last_four(dialect, p.account_number),
    )
    rows = (
        select(
            u.id,
            p.company_id,
            literal(NotificationKind.PAYOUT_PAID.value),
            subject("payout", p.id),
            p.order_id,
            facts,
            literal(now, UtcDateTime()),
        )
        .select_from(payouts_t.join(users_t, recipients(KINDS[NotificationKind.PAYOUT_PAID].audience, p.company_id)))
        .where(where)
        .order_by(p.id, u.id)
    )
    return insert_notifications(session, rows, now)


def notify_payout_account_changed(
    session: Session,
    *,
    company_id: int,
    by_user_id: int,
    bank_name: str,
    account_number: str,
    now: datetime,
) -> list[int]:
    """The company's System Administrators (the one who changed it too) are told where payouts go from
    now on: the bank and the account's last 4 digits, never the whole number; who changed it and when."""
    by = session.execute(select(users_t.c.display_name, users_t.c.user_code).where(users_t.c.id == by_user_id)).one()
    facts = json.dumps(
        {
            "bank": bank_name,
            "account_last4": account_number[-4:],
            "by": by.display_name,
            "by_user": by.user_code,
            "at": now.isoformat().replace("+00:00", "Z"),
            "time_zone": company_time_zone(session, company_id),
        },
        ensure_ascii=False,
    )
    kind = NotificationKind.PAYOUT_ACCOUNT_CHANGED
    rows = (
        select(
            users_t.c.id,
            cast(literal(company_id), Integer),
            literal(kind.value),
            literal(f"account:{now.isoformat()}"),
            cast(literal(None), Integer),
            literal(facts),
            literal(now, UtcDateTime()),
        )
        .where(recipients(KINDS[kind].audience, company_id))
        .order_by(users_t.c.id)
    )
    return insert_notifications(session, rows, now)
