"""Webhooks out (core.integration.webhooks) on a real store: the bank's endpoints and their checks, fan-out
from the outbox (once per event, only what the endpoint asked for, only from now on), claims that keep
each order in order and never hand one delivery to two workers, back-off, parking and replay, and the
signature a receiver checks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from core.accounts import audit
from core.domain import ApiScope, DeliveryStatus
from core.errors import InvalidInput, NotFound
from core.integration import clients, webhooks
from core.integration.webhooks import add_endpoint, claim, fan_out, record_result
from core.orders import seller
from core.store.models import AuditEntry, OutboxEvent, WebhookDelivery, outbox_t
from tests.builders import MONDAY_10, at_once, place

BANK = {"operator": "ops.dewi", "now": MONDAY_10}
URL = "https://hooks.example.com/kopra"
LEASE = timedelta(seconds=60)


def client(store, name="livin-merchant"):
    return clients.create_client(store, name=name, scope=ApiScope.BUYER_APP, **BANK)


def endpoint(store, name="livin-merchant", topics=None, url=URL):
    return add_endpoint(store, client_name=name, url=url, topics=topics, **BANK)


def deliveries(store) -> list[tuple]:
    """(delivery id, endpoint id, topic, order id, status, attempts) of every delivery, in id order."""
    with store.reading() as session:
        return session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.endpoint_id,
                OutboxEvent.topic,
                WebhookDelivery.order_id,
                WebhookDelivery.status,
                WebhookDelivery.attempts,
            )
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .order_by(WebhookDelivery.id)
        ).all()


def delivery(store, delivery_id) -> WebhookDelivery:
    with store.reading() as session:
        return session.get_one(WebhookDelivery, delivery_id)


def placed_and_accepted(world) -> str:
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    return number


# --- endpoints --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, words",
    [
        ("hooks.example.com/kopra", "starts with https://"),
        ("ftp://hooks.example.com/kopra", "starts with https://"),
        ("https:///kopra", "names a host"),
        ("https://hooks.example.com:99999/", "is not one"),
        ("https://hooks.example.com/a b", "is not one"),
        ("https://ops:pa55@hooks.example.com/kopra", "may not carry a user name or password"),
        ("https://hooks.example.com/" + "k" * 480, "at most 500 characters"),
        ("  ", "Give the URL"),
    ],
)
def test_an_endpoint_url_is_http_or_https_with_a_host_and_no_credentials(store, url, words):
    client(store)
    with pytest.raises(InvalidInput, match=words) as refused:
        endpoint(store, url=url)
    assert refused.value.field == "url"


def test_topics_must_be_known_and_are_named_when_not(store):
    client(store)
    with pytest.raises(InvalidInput, match="Unknown topic 'order.exploded'; choose among order.placed") as refused:
        endpoint(store, topics=["order.placed", "order.exploded"])
    assert refused.value.field == "topics"
    issued = endpoint(store, topics=[" Order.Placed", "order.placed", "payout.paid"])
    assert issued.topics == ("order.placed", "payout.paid")
    assert endpoint(store).topics is None  # every topic


def test_only_a_registered_client_that_is_not_revoked_gets_an_endpoint(store):
    with pytest.raises(NotFound, match="no API client named 'nobody'"):
        endpoint(store, name="nobody")
    client(store, "jne")
    clients.revoke_client(store, name="jne", **BANK)
    with pytest.raises(NotFound, match="'jne' is revoked"):
        endpoint(store, name="jne")


def test_adding_is_audited_with_the_operator_and_never_the_secret(store):
    client(store)
    issued = endpoint(store, topics=["order.placed"])
    assert issued.secret.startswith("whsec_") and len(issued.secret) == 6 + 43
    assert issued.secret not in repr(issued)
    with store.reading() as session:
        (entry,) = audit.entries(session, action_prefix="bank.webhook.")
        everything = " ".join(f"{e.target} {e.details}" for e in session.scalars(select(AuditEntry)))
    assert (entry.action, entry.actor, entry.target) == ("bank.webhook.add", "ops.dewi", "livin-merchant")
    assert entry.details == {"endpoint_id": issued.id, "url": URL, "topics": "order.placed"}
    assert issued.secret not in everything
    (row,) = webhooks.list_endpoints(store, **BANK)
    assert issued.secret not in repr(row)
    assert (row.id, row.client_name, row.topics, row.disabled_at) == (
        issued.id,
        "livin-merchant",
        ("order.placed",),
        None,
    )


# --- fan-out ----------------------------------------------------------------------------------------


def test_fan_out_makes_one_delivery_per_matching_event_once(world):
    client(world.store)
    everything = endpoint(world.store)
    placed_only = endpoint(world.store, topics=["order.placed"])
    first, second = placed_and_accepted(world), placed_and_accepted(world)
    assert fan_out(world.store, MONDAY_10) == 4 + 2
    assert fan_out(world.store, MONDAY_10) == 0  # nothing new: nothing made twice
    rows = deliveries(world.store)
    assert [(r.endpoint_id, r.topic) for r in rows if r.endpoint_id == everything.id] == [
        (everything.id, "order.placed"),
        (everything.id, "order.accepted"),
        (everything.id, "order.placed"),
        (everything.id, "order.accepted"),
    ]
    assert [r.topic for r in rows if r.endpoint_id == placed_only.id] == ["order.placed", "order.placed"]
    assert {r.status for r in rows} == {DeliveryStatus.PENDING}
    assert len({r.order_id for r in rows}) == 2 and None not in {r.order_id for r in rows}
    assert first != second
    seller.reject_order(world.store, world.pm, place(world).order_number, "Out of season", MONDAY_10)
    assert fan_out(world.store, MONDAY_10) == 2 + 1  # only the new events


def test_a_new_endpoint_hears_of_events_from_now_on_not_of_the_history(world):
    client(world.store)
    placed_and_accepted(world)
    endpoint(world.store)
    assert fan_out(world.store, MONDAY_10) == 0
    place(world)
    assert fan_out(world.store, MONDAY_10) == 1


def test_a_removed_endpoint_or_a_revoked_client_gets_nothing_more(world):
    client(world.store)
    client(world.store, "jne")
    gone = endpoint(world.store)
    revoked = endpoint(world.store, name="jne")
    kept = endpoint(world.store, url="https://other.example.com/hook")
    place(world)
    assert fan_out(world.store, MONDAY_10) == 3
    row = webhooks.remove_endpoint(world.store, operator="ops.dewi", endpoint_id=gone.id, now=MONDAY_10)
    assert row.disabled_at == MONDAY_10 and row.pending == 1
    clients.revoke_client(world.store, name="jne", **BANK)
    place(world)
    assert fan_out(world.store, MONDAY_10) == 1
    assert {c.endpoint_id for c in claim(world.store, worker="w1", now=MONDAY_10)} == {kept.id}
    assert revoked.id != kept.id
    with pytest.raises(NotFound, match="no webhook endpoint 999"):
        webhooks.remove_endpoint(world.store, operator="ops.dewi", endpoint_id=999, now=MONDAY_10)
    assert "bank.webhook.remove" in [e.action for e in _audit(world.store)]


def _audit(store):
    with store.reading() as session:
        return audit.entries(session, action_prefix="bank.webhook.")


def test_workers_fanning_out_at_once_make_each_delivery_once(world):
    client(world.store)
    endpoint(world.store)
    endpoint(world.store, url="https://other.example.com/hook", topics=["order.accepted"])
    for _ in range(5):
        placed_and_accepted(world)
    made = at_once(world.store.database_url, 4, lambda store, _i: fan_out(store, MONDAY_10))
    assert all(isinstance(n, int) for n in made), made
    assert sum(made) == 10 + 5
    assert len(deliveries(world.store)) == 15


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)  # SQLite's writers cannot interleave
def test_an_event_that_commits_after_a_later_one_is_not_skipped(world):
    client(world.store)
    endpoint(world.store)
    slow = world.store.engine.connect()
    pending = slow.begin()
    slow.execute(
        insert(outbox_t).values(
            topic="payout.paid", company_id=world.pm.company_id, occurred_at=MONDAY_10, recorded_at=MONDAY_10
        )
    )  # has its id, not committed yet
    place(world)  # a later id, committed first
    assert fan_out(world.store, MONDAY_10) == 0  # no safe point while the earlier event may still come
    pending.commit()
    slow.close()
    assert fan_out(world.store, MONDAY_10) == 2
    assert [r.topic for r in deliveries(world.store)] == ["payout.paid", "order.placed"]


# --- claims: order per order, leases ----------------------------------------------------------------


def test_a_later_event_of_an_order_waits_until_the_earlier_one_is_delivered(world):
    client(world.store)
    endpoint(world.store)
    first, second = placed_and_accepted(world), placed_and_accepted(world)
    fan_out(world.store, MONDAY_10)
    got = claim(world.store, worker="w1", now=MONDAY_10)
    assert [c.topic for c in got] == ["order.placed", "order.placed"]  # one of each order, not the accepts
    assert {json.loads(c.body)["data"]["order"]["number"] for c in got} == {first, second}
    assert [c.attempt for c in got] == [1, 1]
    later = MONDAY_10 + timedelta(seconds=1)
    assert claim(world.store, worker="w2", now=later) == []  # leased, and the acceptances wait
    record_result(world.store, delivery_id=got[0].delivery_id, worker="w1", ok=False, status=500, error="x", now=later)
    record_result(world.store, delivery_id=got[1].delivery_id, worker="w1", ok=True, status=200, error=None, now=later)
    # The first order's placement backs off and its acceptance waits behind it; the second order moves on.
    (accepted,) = claim(world.store, worker="w2", now=later)
    assert accepted.topic == "order.accepted" and json.loads(accepted.body)["data"]["order"]["number"] == second


def test_a_lease_keeps_other_workers_off_until_it_runs_out(world):
    client(world.store)
    endpoint(world.store)
    place(world)
    fan_out(world.store, MONDAY_10)
    (mine,) = claim(world.store, worker="w1", now=MONDAY_10, lease=LEASE)
    assert claim(world.store, worker="w2", now=MONDAY_10 + LEASE - timedelta(seconds=1)) == []
    (theirs,) = claim(world.store, worker="w2", now=MONDAY_10 + LEASE + timedelta(seconds=1))
    assert theirs.delivery_id == mine.delivery_id and theirs.body == mine.body
    assert delivery(world.store, mine.delivery_id).leased_by == "w2"
    # The first worker's late failure is not its to record any more; a success always is.
    late = MONDAY_10 + LEASE + timedelta(seconds=2)
    assert (
        record_result(
            world.store, delivery_id=mine.delivery_id, worker="w1", ok=False, status=None, error="timeout", now=late
        )
        is None
    )
    assert delivery(world.store, mine.delivery_id).attempts == 0
    assert (
        record_result(world.store, delivery_id=mine.delivery_id, worker="w1", ok=True, status=204, error=None, now=late)
        == DeliveryStatus.DELIVERED
    )
    done = delivery(world.store, mine.delivery_id)
    assert (done.status, done.delivered_at, done.lease_until, done.last_status) == (
        DeliveryStatus.DELIVERED,
        late,
        None,
        204,
    )


def test_workers_claiming_at_once_never_get_the_same_delivery(world):
    client(world.store)
    endpoint(world.store)
    for _ in range(12):
        place(world, quantity=1)
    fan_out(world.store, MONDAY_10)
    got = at_once(world.store.database_url, 4, lambda store, i: claim(store, worker=f"w{i}", now=MONDAY_10, limit=5))
    assert all(isinstance(batch, list) for batch in got), got
    ids = [c.delivery_id for batch in got for c in batch]
    assert len(ids) == len(set(ids)) == 12


# --- failures: back-off, parking, replay ------------------------------------------------------------


def test_a_refused_delivery_backs_off_exponentially_then_parks_after_24_hours(world):
    client(world.store)
    issued = endpoint(world.store)
    place(world)
    fan_out(world.store, MONDAY_10)
    now = MONDAY_10
    for attempt, wait in ((1, 5), (2, 10), (3, 20)):
        (got,) = claim(world.store, worker="w1", now=now)
        assert got.attempt == attempt
        error = f"ConnectError: refused by {issued.secret}"  # a careless receiver echoing the secret
        status = record_result(
            world.store, delivery_id=got.delivery_id, worker="w1", ok=False, status=503, error=error, now=now
        )
        assert status == DeliveryStatus.PENDING
        row = delivery(world.store, got.delivery_id)
        assert row.attempts == attempt and row.lease_until is None and row.last_status == 503
        assert issued.secret not in row.last_error and row.last_error.startswith("ConnectError")
        assert now + timedelta(seconds=wait) <= row.next_attempt_at <= now + timedelta(seconds=wait * 1.1)
        assert claim(world.store, worker="w1", now=now + timedelta(seconds=wait - 1)) == []
        now = row.next_attempt_at
    assert all(webhooks.backoff(n) <= timedelta(hours=1) for n in (10, 13, 100))
    assert webhooks.backoff(13) >= timedelta(hours=1) * 0.99

    a_day_on = MONDAY_10 + timedelta(hours=24)
    with world.store.transaction() as session:  # skip the back-off to the 24th hour
        session.execute(update(WebhookDelivery).values(next_attempt_at=a_day_on))
    (got,) = claim(world.store, worker="w1", now=a_day_on)
    long_error = "HTTP 500 " + "x" * 400
    status = record_result(
        world.store, delivery_id=got.delivery_id, worker="w1", ok=False, status=500, error=long_error, now=a_day_on
    )
    assert status == DeliveryStatus.PARKED
    assert claim(world.store, worker="w1", now=a_day_on + timedelta(days=1)) == []
    (parked,) = webhooks.parked(world.store, operator="ops.dewi", now=a_day_on)
    assert (parked.delivery_id, parked.client_name, parked.url, parked.topic, parked.attempts) == (
        got.delivery_id,
        "livin-merchant",
        URL,
        "order.placed",
        4,
    )
    assert parked.order_number is not None and len(parked.last_error) == 300 and parked.created_at == MONDAY_10

    with pytest.raises(NotFound, match="not parked: 999; nothing was replayed"):
        webhooks.replay(world.store, operator="ops.dewi", delivery_ids=[got.delivery_id, 999], now=a_day_on)
    assert webhooks.replay(world.store, operator="ops.dewi", delivery_ids=None, now=a_day_on) == 1
    row = delivery(world.store, got.delivery_id)
    assert (row.status, row.attempts, row.created_at, row.next_attempt_at) == (
        DeliveryStatus.PENDING,
        0,
        a_day_on,
        a_day_on,
    )
    (again,) = claim(world.store, worker="w2", now=a_day_on)
    assert again.attempt == 1
    # Another 24 hours before it would park again.
    record_result(world.store, delivery_id=again.delivery_id, worker="w2", ok=False, status=500, error="", now=a_day_on)
    assert delivery(world.store, got.delivery_id).status == DeliveryStatus.PENDING
    replays = [e for e in _audit(world.store) if e.action == "bank.webhook.replay"]
    assert [e.details for e in replays] == [{"count": 1, "deliveries": "all"}]


def test_a_parked_event_lets_the_order_s_later_events_go(world):
    client(world.store)
    endpoint(world.store)
    placed_and_accepted(world)
    fan_out(world.store, MONDAY_10)
    (first,) = claim(world.store, worker="w1", now=MONDAY_10)
    late = MONDAY_10 + timedelta(days=1)
    record_result(world.store, delivery_id=first.delivery_id, worker="w1", ok=False, status=410, error="", now=late)
    (second,) = claim(world.store, worker="w1", now=late)
    assert second.topic == "order.accepted"
    assert webhooks.replay(world.store, operator="ops.dewi", delivery_ids=[first.delivery_id], now=late) == 1


# --- signatures -------------------------------------------------------------------------------------

SECRET = "whsec_test-secret"
BODY = b'{"id":"evt_1","type":"order.placed"}'


def test_a_signature_verifies_with_its_secret_body_and_a_recent_time():
    stamp = int(MONDAY_10.timestamp())
    header = webhooks.sign(SECRET, stamp, BODY)
    assert header.startswith(f"t={stamp},v1=") and len(header.split("v1=")[1]) == 64
    assert webhooks.verify(SECRET, header, BODY, MONDAY_10 + timedelta(seconds=299))
    assert webhooks.verify(SECRET, f"{header},v1={'0' * 64}", BODY, MONDAY_10)  # a second signature is fine


@pytest.mark.parametrize(
    "secret, header_of, body, late_s",
    [
        (SECRET, BODY, BODY.replace(b"placed", b"paid.x"), 0),  # tampered body
        ("whsec_other", BODY, BODY, 0),  # wrong secret
        (SECRET, BODY, BODY, 301),  # too old: a replayed capture
        (SECRET, BODY, BODY, -301),  # from the future
    ],
)
def test_a_tampered_body_a_wrong_secret_or_a_stale_time_is_refused(secret, header_of, body, late_s):
    stamp = int(MONDAY_10.timestamp())
    header = webhooks.sign(SECRET, stamp, header_of)
    assert not webhooks.verify(secret, header, body, MONDAY_10 + timedelta(seconds=late_s))


@pytest.mark.parametrize("header", ["", "v1=abc", "t=abc,v1=00", "t=1,t=2,v1=00", "t=1700000000"])
def test_a_malformed_signature_header_is_refused(header):
    assert not webhooks.verify(SECRET, header, BODY, MONDAY_10)
