"""The acting user's inbox (core.notifications.inbox), on SQLite and PostgreSQL: the unread count, the
newest notifications first with their sentences and orders, marking one or all read; only ever the
acting user's own rows, whatever their role. The rows are written here directly, as the code that
creates them (core.notifications.notify, the scheduler's warnings) would."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.acting import Actor
from core.domain import NotificationKind
from core.errors import AccessDenied, NotFound
from core.notifications import inbox, kinds
from core.store.models import Notification, Order
from tests.builders import place

NEW_ORDER = NotificationKind.NEW_ORDER
LOW_STOCK = NotificationKind.LOW_STOCK
CLOSURE = NotificationKind.CLOSURE_TOMORROW


def note(world, actor: Actor, kind, at, *, subject=None, order_id=None, facts=None, read_at=None, raw_facts=None):
    """One notification row for `actor`, as the code that creates them writes it; returns its id."""
    with world.store.transaction() as session:
        row = Notification(
            user_id=actor.user_id,
            company_id=actor.company_id,
            kind=kind,
            subject=subject or f"test:{kind}:{at.isoformat()}",
            order_id=order_id,
            facts=raw_facts if raw_facts is not None else json.dumps(facts or {}),
            created_at=at,
            read_at=read_at,
        )
        session.add(row)
        session.flush()
        return row.id


def read_at(world, notification_id):
    with world.store.reading() as session:
        return session.get(Notification, notification_id).read_at


def test_the_unread_count_is_the_acting_user_s_own_unread(world, now):
    for minutes in (1, 2, 3):
        note(world, world.pm, LOW_STOCK, now - timedelta(minutes=minutes))
    note(world, world.pm, LOW_STOCK, now - timedelta(minutes=4), read_at=now)
    note(world, world.admin, CLOSURE, now - timedelta(minutes=1))  # a colleague's
    note(world, world.other_pm, NEW_ORDER, now - timedelta(minutes=1))  # another company's
    assert inbox.unread_count(world.store, world.pm, now=now) == 3
    assert inbox.unread_count(world.store, world.admin, now=now) == 1
    assert inbox.unread_count(world.store, world.other_pm, now=now) == 1


def test_recent_lists_the_user_s_own_newest_first_with_sentence_and_order(world, now):
    facts = {"sku": "RICE-5", "product": "Beras", "unit": "sack", "warehouse": "JKT-1", "available": 3, "level": 5}
    oldest = note(world, world.pm, LOW_STOCK, now - timedelta(minutes=30), facts=facts, read_at=now)
    number = place(world, at=now - timedelta(minutes=5)).order_number  # tells the Product Manager
    middle = note(world, world.pm, LOW_STOCK, now - timedelta(minutes=10), subject="stock:2", facts=facts)
    note(world, world.admin, CLOSURE, now - timedelta(minutes=1))
    note(world, world.other_pm, NEW_ORDER, now - timedelta(minutes=1))
    with world.store.reading() as session:
        newest, written = session.execute(
            select(Notification.id, Notification.facts)
            .join(Order, Order.id == Notification.order_id)
            .where(Order.order_number == number, Notification.user_id == world.pm.user_id)
        ).one()

    shown = inbox.recent(world.store, world.pm, now=now)

    assert [n.id for n in shown] == [newest, middle, oldest]
    assert [n.read for n in shown] == [False, False, True]
    first = shown[0]
    assert first.kind == NEW_ORDER and first.order_number == number
    assert first.title == kinds.KINDS[NEW_ORDER].title == "New order"
    assert first.sentence == kinds.sentence(NEW_ORDER, json.loads(written), number)
    assert number in first.sentence
    assert first.created_at == now - timedelta(minutes=5)
    assert first.time_zone == "Asia/Jakarta"
    assert shown[2].order_number is None
    assert shown[2].sentence == kinds.sentence(LOW_STOCK, facts, None)
    assert "Beras (RICE-5)" in shown[2].sentence


def test_recent_takes_at_most_the_limit_and_both_roles_have_an_inbox(world, now):
    for minutes in range(5):
        note(world, world.admin, CLOSURE, now - timedelta(minutes=minutes))
    shown = inbox.recent(world.store, world.admin, now=now, limit=3)
    assert len(shown) == 3
    assert [n.created_at for n in shown] == [now - timedelta(minutes=m) for m in range(3)]
    assert inbox.recent(world.store, world.other_pm, now=now) == []


def test_a_notification_whose_facts_cannot_be_read_still_shows(world, now):
    note(world, world.pm, LOW_STOCK, now, raw_facts="{not json")
    [shown] = inbox.recent(world.store, world.pm, now=now)
    assert shown.sentence == kinds.sentence(LOW_STOCK, {}, None)


def test_mark_read_marks_one_of_mine_once(world, now):
    mine = note(world, world.pm, LOW_STOCK, now - timedelta(minutes=1))
    other = note(world, world.pm, LOW_STOCK, now - timedelta(minutes=2))
    inbox.mark_read(world.store, world.pm, mine, now=now)
    assert read_at(world, mine) == now and read_at(world, other) is None
    inbox.mark_read(world.store, world.pm, mine, now=now + timedelta(hours=1))  # again: nothing changes
    assert read_at(world, mine) == now
    assert inbox.unread_count(world.store, world.pm, now=now) == 1


@pytest.mark.parametrize("whose", ["colleague", "other company", "nobody"])
def test_mark_read_of_a_notification_that_is_not_mine_is_not_found(world, now, whose):
    owner = {"colleague": world.admin, "other company": world.other_pm}.get(whose)
    target = note(world, owner, CLOSURE, now) if owner else 999_999
    with pytest.raises(NotFound):
        inbox.mark_read(world.store, world.pm, target, now=now)
    if owner:
        assert read_at(world, target) is None


def test_mark_all_read_marks_only_mine_and_says_how_many(world, now):
    mine = [note(world, world.pm, LOW_STOCK, now - timedelta(minutes=m)) for m in (1, 2)]
    already = note(world, world.pm, LOW_STOCK, now - timedelta(minutes=3), read_at=now - timedelta(minutes=1))
    colleague = note(world, world.admin, CLOSURE, now)
    stranger = note(world, world.other_pm, NEW_ORDER, now)
    assert inbox.mark_all_read(world.store, world.pm, now=now) == 2
    assert all(read_at(world, n) == now for n in mine)
    assert read_at(world, already) == now - timedelta(minutes=1)  # kept when it was read
    assert read_at(world, colleague) is None and read_at(world, stranger) is None
    assert inbox.unread_count(world.store, world.pm, now=now) == 0
    assert inbox.mark_all_read(world.store, world.pm, now=now) == 0


def test_mark_all_read_leaves_what_came_after_the_newest_the_page_showed(world, now):
    seen = note(world, world.pm, LOW_STOCK, now - timedelta(minutes=2))
    later = note(world, world.pm, LOW_STOCK, now - timedelta(minutes=1))
    assert inbox.mark_all_read(world.store, world.pm, now=now, newest_seen=seen) == 1
    assert read_at(world, seen) == now and read_at(world, later) is None


def test_a_forged_actor_sees_and_marks_nothing(world, now):
    target = note(world, world.pm, LOW_STOCK, now)
    forged = Actor(world.pm.user_id, world.other_pm.company_id, "OTHER02", "pm", world.pm.role)
    with pytest.raises(AccessDenied):
        inbox.unread_count(world.store, forged, now=now)
    with pytest.raises(AccessDenied):
        inbox.mark_read(world.store, forged, target, now=now)
    assert read_at(world, target) is None
