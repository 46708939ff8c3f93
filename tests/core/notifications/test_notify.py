"""Notifications written where things happen, on SQLite and PostgreSQL: each kind by its cause, to the
right people (the company's active Product Managers, or its System Administrators), exactly once, in
both shapes of an automatic step; their emails queued for the users who chose them; and the sentence
each kind reads as."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.accounts.hashing import hash_password
from core.company import payout_account
from core.domain import MailStatus, NotificationKind, Role, UserStatus
from core.notifications import kinds, notify
from core.notifications.kinds import KINDS, sentence
from core.orders import buyer_channel as buyers
from core.orders import seller
from core.orders.lifecycle import TRANSITIONS, Step
from core.orders.steps import take_step
from core.orders.sweep import SYSTEM_ID, run_sweep, sweep_step
from core.store.models import (
    Notification,
    NotificationMail,
    NotificationPreference,
    Order,
    User,
    Warehouse,
)
from tests.builders import MONDAY_10, order_due_for, place, ship, twin_warehouse, wib

K = NotificationKind
STEP_KINDS = {K.NEW_ORDER, K.AUTO_CANCELLED, K.BUYER_CANCELLED, K.COMPLAINT_FILED, K.AUTO_REFUNDED, K.PAYOUT_PAID}
CONFIRM_BY = wib(2026, 11, 24, 10, 0)  # an order placed MONDAY_10 must be confirmed by then


# --- helpers -----------------------------------------------------------------------------------------------


def add_staff(world, code: str, role: Role, *, status=UserStatus.ACTIVE, deleted=False, company_id=None) -> int:
    with world.store.transaction() as session:
        user = User(
            company_id=company_id or world.pm.company_id,
            user_code=code,
            display_name=f"Staff {code}",
            role=role,
            password_hash="x",
            status=status,
            password_changed_at=MONDAY_10,
            must_change_password=False,
            created_at=MONDAY_10,
            deleted_at=MONDAY_10 if deleted else None,
        )
        session.add(user)
        session.flush()
        return user.id


def told(world, *wanted: NotificationKind) -> list[tuple]:
    """(user code, kind, order number) of every notification (of the wanted kinds), in id order."""
    with world.store.reading() as session:
        rows = session.execute(
            select(User.user_code, User.company_id, Notification.kind, Order.order_number)
            .join(User, User.id == Notification.user_id)
            .outerjoin(Order, Order.id == Notification.order_id)
            .where(Notification.kind.in_(list(wanted or STEP_KINDS | {K.PAYOUT_ACCOUNT_CHANGED})))
            .order_by(Notification.id)
        ).all()
    return [
        (code if company == world.pm.company_id else f"other/{code}", kind, number)
        for code, company, kind, number in rows
    ]


def one(world, kind: NotificationKind, user_id: int | None = None) -> tuple[dict, str]:
    """The facts and the sentence of the one notification of `kind` (to `user_id`, default the pm)."""
    with world.store.reading() as session:
        row, number = session.execute(
            select(Notification, Order.order_number)
            .outerjoin(Order, Order.id == Notification.order_id)
            .where(Notification.kind == kind, Notification.user_id == (user_id or world.pm.user_id))
        ).one()
        facts = json.loads(row.facts)
        return facts, sentence(row.kind, facts, number)


def prefer(world, user_id: int, *chosen: NotificationKind, digest=False, verified=True) -> None:
    with world.store.transaction() as session:
        session.add(
            NotificationPreference(
                user_id=user_id,
                email=f"user{user_id}@acme.co.id",
                email_verified_at=MONDAY_10 - timedelta(days=1) if verified else None,
                pending_email=None if verified else f"user{user_id}@acme.co.id",
                email_kinds=",".join(k.value for k in chosen),
                digest=digest,
                updated_at=MONDAY_10 - timedelta(days=1),
            )
        )


def mails(world) -> dict[int, tuple]:
    """{user id: (kind, status, digest, due_at)} of every queued mail."""
    with world.store.reading() as session:
        rows = session.execute(
            select(NotificationMail, Notification.kind).join(
                Notification, Notification.id == NotificationMail.notification_id
            )
        ).all()
    return {m.user_id: (kind, m.status, m.digest, m.due_at) for m, kind in rows}


# --- who is told -------------------------------------------------------------------------------------------


def test_a_new_order_tells_every_active_product_manager_of_its_company_and_nobody_else(world):
    add_staff(world, "pm2", Role.PRODUCT_MANAGER)
    add_staff(world, "blocked", Role.PRODUCT_MANAGER, status=UserStatus.BLOCKED)
    add_staff(world, "gone", Role.PRODUCT_MANAGER, deleted=True)
    add_staff(world, "admin2", Role.SYSTEM_ADMINISTRATOR)
    number = place(world).order_number
    assert told(world) == [("pm", K.NEW_ORDER, number), ("pm2", K.NEW_ORDER, number)]
    facts, said = one(world, K.NEW_ORDER)
    assert facts == {
        "amount": 150_000,
        "items": 2,
        "buyer": "Toko Makmur",
        "warehouse": "JKT-1",
        "time_zone": "Asia/Jakarta",
        "deadline": "2026-11-24T03:00:00Z",
    }
    assert said == (
        f"New order {number} from Toko Makmur waits for your confirmation: Rp150.000 at JKT-1, "
        "confirm by 24 Nov 2026 10:00 WIB."
    )


def test_the_seller_s_own_steps_and_the_courier_s_tell_nobody(world):
    accepted, rejected = place(world).order_number, place(world).order_number
    seller.reject_order(world.store, world.pm, rejected, "Out of stock", MONDAY_10)
    seller.accept_order(world.store, world.pm, accepted, MONDAY_10)
    ship(world, accepted, MONDAY_10)
    buyers.mark_delivered(world.store, order_number=accepted, now=MONDAY_10 + timedelta(hours=3))
    buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=accepted, now=MONDAY_10 + timedelta(hours=4))
    assert told(world) == [("pm", K.NEW_ORDER, accepted), ("pm", K.NEW_ORDER, rejected)]


def test_the_buyer_s_cancellation_and_complaint_are_told_with_the_time_to_answer(world):
    cancelled, complained = place(world).order_number, place(world).order_number
    buyers.cancel_order(world.store, buyer_code="BUY-1", order_number=cancelled, reason="Wrong size", now=MONDAY_10)
    seller.accept_order(world.store, world.pm, complained, MONDAY_10)
    ship(world, complained, MONDAY_10)
    filed = MONDAY_10 + timedelta(hours=2)
    buyers.file_complaint(world.store, buyer_code="BUY-1", order_number=complained, description="Wet", now=filed)
    assert told(world, K.BUYER_CANCELLED, K.COMPLAINT_FILED) == [
        ("pm", K.BUYER_CANCELLED, cancelled),
        ("pm", K.COMPLAINT_FILED, complained),
    ]
    assert (
        one(world, K.BUYER_CANCELLED)[1] == f"The buyer Toko Makmur cancelled order {cancelled} (Rp150.000 at JKT-1)."
    )
    facts, said = one(world, K.COMPLAINT_FILED)
    assert facts["deadline"] == "2026-11-25T05:00:00Z"  # 2 calendar days after filing
    assert said == (
        f"Toko Makmur filed a complaint about order {complained} (Rp150.000 at JKT-1): answer with a refund or a "
        "return by 25 Nov 2026 12:00 WIB, or the system refunds the buyer."
    )


def test_the_system_s_cancellation_refund_and_the_payout_are_told_by_the_sweep(world):
    unanswered, complained, delivered = (place(world).order_number for _ in range(3))
    for number in (complained, delivered):
        seller.accept_order(world.store, world.pm, number, MONDAY_10)
        ship(world, number, MONDAY_10)
        buyers.mark_delivered(world.store, order_number=number, now=MONDAY_10 + timedelta(hours=1))
    buyers.file_complaint(
        world.store,
        buyer_code="BUY-1",
        order_number=complained,
        description="Broken",
        now=MONDAY_10 + timedelta(hours=2),
    )
    run_sweep(world.store, MONDAY_10 + timedelta(days=3))
    assert told(world, K.AUTO_CANCELLED, K.AUTO_REFUNDED, K.PAYOUT_PAID) == [
        ("pm", K.AUTO_CANCELLED, unanswered),
        ("pm", K.AUTO_REFUNDED, complained),
        ("pm", K.PAYOUT_PAID, delivered),
    ]
    assert one(world, K.AUTO_CANCELLED)[1] == (
        f"The system cancelled order {unanswered} from Toko Makmur (Rp150.000 at JKT-1): nobody accepted or rejected "
        "it by 24 Nov 2026 10:00 WIB. Its reserved stock is available again."
    )
    assert one(world, K.AUTO_REFUNDED)[1] == (
        f"The complaint about order {complained} was not answered by 25 Nov 2026 12:00 WIB, so the system refunded "
        "Rp150.000 to the buyer Toko Makmur."
    )
    facts, said = one(world, K.PAYOUT_PAID)
    reference = facts["transfer_reference"]
    assert facts == {
        "amount": 150_000,
        "transfer_reference": reference,
        "bank": "Bank Mandiri",
        "account_last4": "7890",
    }
    assert said == (
        f"A payout of Rp150.000 for order {delivered} was paid to Bank Mandiri account ending 7890 "
        f"(transfer reference {reference})."
    )
    run_sweep(world.store, MONDAY_10 + timedelta(days=4))  # nothing new happens, nobody is told again
    assert len(told(world, K.AUTO_CANCELLED, K.AUTO_REFUNDED, K.PAYOUT_PAID)) == 3


def test_another_company_s_staff_hear_only_of_their_own_orders(world):
    add_staff(world, "pm2", Role.PRODUCT_MANAGER, company_id=world.other_pm.company_id)
    mine = place(world).order_number
    theirs = buyers.place_order(
        world.store,
        buyer_code="BUY-2",
        company_code="OTHER02",
        warehouse_code="JKT-1",
        lines=[buyers.OrderLine("RICE-5", 1)],
        now=MONDAY_10,
    ).order_number
    assert told(world) == [
        ("pm", K.NEW_ORDER, mine),
        ("other/pm", K.NEW_ORDER, theirs),
        ("other/pm2", K.NEW_ORDER, theirs),
    ]


def test_telling_of_the_same_step_again_writes_nothing(world):
    place(world)
    with world.store.transaction() as session:
        order = session.scalar(select(Order))
        again = notify.notify_order_step(
            session,
            order_id=order.id,
            company_id=order.company_id,
            transition=TRANSITIONS[Step.PLACE],
            at=MONDAY_10,
            now=MONDAY_10 + timedelta(minutes=1),
        )
    assert again == []
    assert len(told(world)) == 1


# --- one order or a batch: the same rows ---------------------------------------------------------------


def _notifications_of(world, number: str) -> list[tuple]:
    with world.store.reading() as session:
        order = session.scalar(select(Order).where(Order.order_number == number))
        rows = session.scalars(select(Notification).where(Notification.order_id == order.id).order_by(Notification.id))
        return [
            (
                n.user_id,
                n.company_id,
                n.kind,
                n.subject.replace(str(order.id), "<id>"),
                {k: v for k, v in json.loads(n.facts).items() if k != "warehouse"},
                n.created_at,
                n.read_at,
            )
            for n in rows
        ]


@pytest.mark.parametrize("step", [Step.AUTO_CANCEL, Step.AUTO_REFUND], ids=str)
def test_a_step_taken_per_order_and_by_the_sweep_s_batch_tells_the_same(world, step):
    transition = TRANSITIONS[step]
    twin_warehouse(world)
    per_order, batch = order_due_for(world, "JKT-1", step), order_due_for(world, "JKT-2", step)
    back = MONDAY_10 + timedelta(days=5)
    with world.store.transaction() as session:
        take_step(
            session, session.scalar(select(Order).where(Order.order_number == per_order)), step, now=back, by=SYSTEM_ID
        )
    assert sweep_step(world.store, transition, back) == 1
    one_by_one, in_batch = _notifications_of(world, per_order), _notifications_of(world, batch)
    assert one_by_one == in_batch
    assert one_by_one[-1][2] == notify.STEP_KINDS[step] and one_by_one[-1][5] == back


# --- the payout account ------------------------------------------------------------------------------------


def test_a_payout_account_change_tells_every_administrator_with_the_last_four_digits_only(world, now):
    password = "Admin-Passw0rd-2026"
    with world.store.transaction() as session:
        session.execute(
            update(User)
            .where(User.id == world.admin.user_id)
            .values(password_hash=hash_password(password), display_name="Sari")
        )
    colleague = add_staff(world, "admin2", Role.SYSTEM_ADMINISTRATOR)
    add_staff(world, "admin3", Role.SYSTEM_ADMINISTRATOR, status=UserStatus.BLOCKED)
    add_staff(world, "other-admin", Role.SYSTEM_ADMINISTRATOR, company_id=world.other_pm.company_id)
    payout_account.change_payout_account(
        world.store,
        world.admin,
        bank_name="Bank Central Asia",
        account_number="1370-0098-76543",
        account_holder="PT Acme Jaya",
        current_password=password,
        now=now,
    )
    assert told(world, K.PAYOUT_ACCOUNT_CHANGED) == [
        ("admin", K.PAYOUT_ACCOUNT_CHANGED, None),
        ("admin2", K.PAYOUT_ACCOUNT_CHANGED, None),
    ]
    facts, said = one(world, K.PAYOUT_ACCOUNT_CHANGED, colleague)
    assert facts == {
        "bank": "Bank Central Asia",
        "account_last4": "6543",
        "by": "Sari",
        "by_user": "admin",
        "at": "2026-11-25T03:00:00Z",
        "time_zone": "Asia/Jakarta",
    }
    assert "1370009876543" not in json.dumps(facts)
    assert said.startswith(
        "The payout account was changed to Bank Central Asia account ending 6543 by Sari (admin) at 25 Nov 2026 "
        "10:00 WIB."
    )


# --- emails ------------------------------------------------------------------------------------------------


def test_an_email_is_queued_only_for_a_verified_address_and_a_kind_chosen(world):
    immediate = world.pm.user_id
    digest = add_staff(world, "digest", Role.PRODUCT_MANAGER)
    other_kind = add_staff(world, "payouts-only", Role.PRODUCT_MANAGER)
    unverified = add_staff(world, "unverified", Role.PRODUCT_MANAGER)
    add_staff(world, "no-preferences", Role.PRODUCT_MANAGER)
    prefer(world, immediate, K.NEW_ORDER, K.PAYOUT_PAID)
    prefer(world, digest, K.NEW_ORDER, digest=True)
    prefer(world, other_kind, K.PAYOUT_PAID)
    prefer(world, unverified, K.NEW_ORDER, verified=False)
    place(world)
    assert len(told(world)) == 5  # everyone is told in the portal
    assert mails(world) == {
        immediate: (K.NEW_ORDER, MailStatus.PENDING, False, MONDAY_10),
        # open now (Monday 10:00): the digest goes when the warehouse next opens, Tuesday 08:00 WIB
        digest: (K.NEW_ORDER, MailStatus.PENDING, True, wib(2026, 11, 24, 8, 0)),
    }


def test_a_digest_waits_for_the_earliest_opening_of_the_company_s_open_warehouses(world):
    prefer(world, world.pm.user_id, K.NEW_ORDER, digest=True)
    with world.store.transaction() as session:
        session.add(
            Warehouse(
                company_id=world.pm.company_id,
                code="JYP-1",
                name="Jayapura",
                time_zone="Asia/Jayapura",
                opens_at=datetime(2026, 1, 1, 7).time(),
                closes_at=datetime(2026, 1, 1, 15).time(),
                created_at=MONDAY_10,
                updated_at=MONDAY_10,
            )
        )
    saturday_night = wib(2026, 11, 28, 21, 0)
    place(world, at=saturday_night)
    # Monday 07:00 WIT (05:00 WIB) in Jayapura comes before Monday 08:00 WIB in Jakarta
    assert mails(world)[world.pm.user_id][2:] == (True, datetime(2026, 11, 29, 22, 0, tzinfo=UTC))


# --- the sentences ----------------------------------------------------------------------------------------


ORDER_FACTS = {
    "amount": 1_234_567,
    "items": 3,
    "buyer": "Toko <b>Makmur</b> & Sons",
    "warehouse": "MKS-1",
    "time_zone": "Asia/Makassar",
    "deadline": "2026-11-30T06:05:00Z",
}
SENTENCES = {
    K.NEW_ORDER: "New order KP-00000012 from Toko <b>Makmur</b> & Sons waits for your confirmation: Rp1.234.567 at "
    "MKS-1, confirm by 30 Nov 2026 14:05 WITA.",
    K.CONFIRM_HALF_GONE: "Half of the time to confirm order KP-00000012 from Toko <b>Makmur</b> & Sons (Rp1.234.567 at "
    "MKS-1) is gone: accept or reject it by 30 Nov 2026 14:05 WITA.",
    K.CONFIRM_2H_LEFT: "2 business hours are left to confirm order KP-00000012 from Toko <b>Makmur</b> & Sons "
    "(Rp1.234.567 at MKS-1): accept or reject it by 30 Nov 2026 14:05 WITA, or the system cancels it.",
    K.PACK_OVERDUE: "The packing deadline of order KP-00000012 from Toko <b>Makmur</b> & Sons (Rp1.234.567 at MKS-1) "
    "passed at 30 Nov 2026 14:05 WITA: pack it now; the buyer may cancel it from now on.",
    K.COMPLAINT_12H_LEFT: "12 hours are left to answer the complaint about order KP-00000012 from Toko <b>Makmur</b> & "
    "Sons (Rp1.234.567 at MKS-1): answer it by 30 Nov 2026 14:05 WITA, or the system refunds the buyer.",
}


@pytest.mark.parametrize("kind", list(SENTENCES), ids=str)
def test_each_order_warning_reads_as_one_plain_sentence_in_the_warehouse_s_zone(kind):
    assert sentence(kind, ORDER_FACTS, "KP-00000012") == SENTENCES[kind]


def test_the_other_kinds_read_as_plain_sentences():
    low = {"sku": "RICE-5", "product": "Beras 5 kg", "unit": "sak", "warehouse": "JKT-1", "available": 4, "level": 20}
    assert sentence(K.LOW_STOCK, low, None) == (
        "Low stock at JKT-1: only 4 sak of Beras 5 kg (RICE-5) left to sell, below the low-stock level of 20."
    )
    assert sentence(K.LOW_STOCK, {**low, "available": 0}, None) == (
        "Low stock at JKT-1: Beras 5 kg (RICE-5) is sold out, below the low-stock level of 20."
    )
    closure = {"warehouse": "JKT-1", "warehouse_name": "Jakarta", "day": "2026-12-01", "reason": "Stock-taking"}
    assert sentence(K.CLOSURE_TOMORROW, closure, None) == (
        "Warehouse JKT-1 is closed tomorrow, 01 Dec 2026 (Stock-taking): that day counts no business hours, so order "
        "deadlines there move on to its next opening."
    )


@pytest.mark.parametrize("kind", list(K), ids=str)
def test_every_kind_has_an_audience_a_title_and_a_sentence_even_without_facts(kind):
    info = KINDS[kind]
    assert info.audience in (Role.PRODUCT_MANAGER, Role.SYSTEM_ADMINISTRATOR) and info.title and info.by_email
    for facts in ({}, {"amount": "lots", "deadline": "soon", "available": None}, None):
        said = sentence(kind, facts, None)  # a row whose facts are missing or unreadable still reads
        assert said.endswith(".") and "None" not in said and not said[0].islower()
    assert kinds.audience(kind) == info.audience


def test_closures_and_the_payout_account_are_for_administrators_the_rest_for_product_managers():
    assert set(kinds.kinds_for(Role.SYSTEM_ADMINISTRATOR)) == {K.CLOSURE_TOMORROW, K.PAYOUT_ACCOUNT_CHANGED}
    assert set(kinds.kinds_for(Role.PRODUCT_MANAGER)) == set(K) - {K.CLOSURE_TOMORROW, K.PAYOUT_ACCOUNT_CHANGED}
