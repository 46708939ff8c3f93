"""`python -m jobs.bankops` as the bank's staff run it: end to end in subprocesses, against a
prepared SQLite store, including the refusals (one sentence, non-zero exit)."""

from __future__ import annotations

import getpass
import re

import pytest
from sqlalchemy import select

from core.accounts import policy
from core.accounts.login import login as log_in
from core.clock import utc_now
from core.store.database import Store
from core.store.models import AuditEntry
from tests.builders import assert_one_clear_sentence, run

OTP_LINE = re.compile(r"One-time password for (\S+)/(\S+): (\S+)")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("bankops")
    env = {"KOPRA_DATA_DIR": str(data_dir), "KOPRA_DATABASE_URL": ""}
    result = run("jobs.prepare", "--no-demo", env=env)
    assert result.returncode == 0, result.stderr
    store = Store(f"sqlite:///{data_dir / 'kopra.sqlite3'}")
    yield env, store
    store.dispose()


def bankops(env, *args):
    return run("jobs.bankops", *args, env=env)


def one_time_password(result) -> str:
    assert result.returncode == 0, result.stderr
    match = OTP_LINE.search(result.stdout)
    assert match, result.stdout
    return match.group(3)


def test_onboarding_a_company_and_its_user_end_to_end(prepared):
    env, store = prepared
    created = bankops(env, "--operator", "rm.sari", "create-company", "ACME01", "--name", "PT Acme Niaga")
    assert created.returncode == 0, created.stderr
    assert "Company ACME01 (PT Acme Niaga) created, not whitelisted yet." in created.stdout
    otp = one_time_password(
        bankops(
            env,
            "create-user",
            "ACME01",
            "rina",
            "--role",
            "product-manager",
            "--name",
            "Rina Wijaya",
            "--operator",
            "rm.sari",
        )
    )
    # Not whitelisted yet: the right password gets the FAQ's answer.
    assert log_in(store, "ACME01", "rina", otp, utc_now()).message == policy.NOT_WHITELISTED_MESSAGE
    assert (
        bankops(env, "whitelist", "ACME01").stdout.strip() == "Company ACME01 is now whitelisted for Kopra Partnership."
    )
    first = log_in(store, "ACME01", "rina", otp, utc_now())
    assert first.ok and first.must_change_password

    listing = bankops(env, "list-users", "ACME01")
    assert listing.returncode == 0, listing.stderr
    header, row = listing.stdout.strip().splitlines()
    assert header.split()[:3] == ["USER", "ID", "NAME"]
    assert row.split()[0] == "rina" and "ACTIVE" in row and "UTC" in row  # logged in just now

    assert bankops(env, "block", "ACME01", "rina", "--reason", "left the company").returncode == 0
    assert "BLOCKED" in bankops(env, "list-users", "ACME01").stdout
    assert log_in(store, "ACME01", "rina", otp, utc_now()).message == policy.BLOCKED_MESSAGE
    assert bankops(env, "unblock", "ACME01", "rina").returncode == 0
    new_otp = one_time_password(bankops(env, "reset-password", "ACME01", "rina"))
    assert new_otp != otp
    assert not log_in(store, "ACME01", "rina", otp, utc_now()).ok
    assert log_in(store, "ACME01", "rina", new_otp, utc_now()).must_change_password

    assert bankops(env, "dewhitelist", "ACME01").returncode == 0
    assert "ACME01  not whitelisted  PT Acme Niaga" in bankops(env, "list-companies").stdout
    assert bankops(env, "delete-user", "ACME01", "rina").returncode == 0
    assert "DELETED" in bankops(env, "list-users", "ACME01").stdout

    with store.reading() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.action.startswith("bank."))
        ).all()
    assert ("bank.create_company", "rm.sari") in entries and ("bank.create_user", "rm.sari") in entries
    # Without --operator the operating-system user is recorded.
    assert ("bank.whitelist", getpass.getuser()) in entries


@pytest.mark.parametrize(
    "args, words, code",
    [
        (
            ["create-user", "NOPE99", "x", "--role", "product-manager", "--name", "X"],
            "There is no company with Company ID 'NOPE99'.",
            1,
        ),
        (["block", "NOPE99", "x"], "There is no company with Company ID 'NOPE99'.", 1),
        (["unblock", "DUP01", "ghost"], "Company DUP01 has no user with User ID 'ghost'.", 1),
        (["create-company", "DUP01", "--name", "Again"], "A company with Company ID 'DUP01' already exists.", 1),
        (
            ["create-user", "DUP01", "Boss", "--role", "product-manager", "--name", "X"],
            "Company DUP01 already has a user with User ID 'boss'.",
            1,
        ),
        (["create-user", "DUP01", "x", "--role", "boss", "--name", "X"], "invalid choice: 'boss'", 2),
        (["create-user", "DUP01", "x", "--name", "X"], "The following arguments are required: --role", 2),
        (["launch-rockets"], "invalid choice: 'launch-rockets'", 2),
        ([], "The following arguments are required: COMMAND", 2),
    ],
)
def test_a_refused_command_ends_in_one_sentence_and_a_non_zero_exit(prepared, args, words, code):
    env, _ = prepared
    if not bankops(env, "list-companies").stdout.count("DUP01"):
        assert bankops(env, "create-company", "DUP01", "--name", "PT Dup", "--whitelist").returncode == 0
        one_time_password(
            bankops(env, "create-user", "DUP01", "boss", "--role", "system-administrator", "--name", "Boss")
        )
    result = bankops(env, *args)
    assert result.returncode == code
    assert_one_clear_sentence(result, words)


def test_an_unprepared_store_is_one_sentence_too(tmp_path):
    result = run("jobs.bankops", "list-companies", env={"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_DATABASE_URL": ""})
    assert result.returncode == 2
    assert_one_clear_sentence(result, "is not prepared; run python -m jobs.prepare --no-demo first.")


TOKEN_LINE = re.compile(r"Token \(shown once, kept only as a hash\): (kpa_\S+)")


def test_api_clients_are_created_rotated_listed_and_revoked_from_the_command_line(prepared):
    from core.errors import NotAuthenticated
    from core.integration.clients import authenticate

    env, store = prepared
    created = bankops(env, "api-client", "create", "livin-merchant", "--scope", "buyer-app", "--operator", "ops.dewi")
    assert created.returncode == 0, created.stderr
    first = TOKEN_LINE.search(created.stdout).group(1)
    assert authenticate(store, first).name == "livin-merchant"
    rotated = bankops(env, "api-client", "rotate", "livin-merchant")
    second = TOKEN_LINE.search(rotated.stdout).group(1)
    with pytest.raises(NotAuthenticated):
        authenticate(store, first)
    listed = bankops(env, "api-client", "list")
    assert "livin-merchant  buyer-app" in listed.stdout and "active" in listed.stdout
    assert second not in listed.stdout  # the token is never shown again
    revoked = bankops(env, "api-client", "revoke", "livin-merchant")
    assert "its token no longer works" in revoked.stdout
    with pytest.raises(NotAuthenticated):
        authenticate(store, second)
    refused = bankops(env, "api-client", "create", "Bad Name!", "--scope", "courier")
    assert_one_clear_sentence(refused, "lowercase letters, digits or '-'")


SECRET_LINE = re.compile(r"Signing secret \(shown once, never again\): (whsec_\S+)")


def _parked_delivery(store, endpoint_id: int) -> tuple[int, int]:
    """A delivery refused for a day, as the worker would have left it (with an event of a new company)."""
    from datetime import timedelta

    from core.domain import DeliveryStatus
    from core.store.models import Company, OutboxEvent, WebhookDelivery

    long_ago = utc_now() - timedelta(hours=25)
    with store.transaction() as session:
        company = Company(company_code="HOOK01", name="PT Hook", created_at=long_ago, updated_at=long_ago)
        session.add(company)
        session.flush()
        event = OutboxEvent(topic="order.placed", company_id=company.id, occurred_at=long_ago, recorded_at=long_ago)
        session.add(event)
        session.flush()
        delivery = WebhookDelivery(
            endpoint_id=endpoint_id,
            event_id=event.id,
            status=DeliveryStatus.PARKED,
            attempts=17,
            next_attempt_at=long_ago,
            last_status=500,
            last_error="HTTP 500",
            created_at=long_ago,
        )
        session.add(delivery)
        session.flush()
        return delivery.id, event.id


@pytest.mark.slow  # a dozen commands, a second each
def test_webhook_endpoints_are_added_listed_and_removed_and_parked_deliveries_replayed(prepared):
    from core.domain import DeliveryStatus
    from core.store.models import WebhookDelivery, WebhookEndpoint

    env, store = prepared
    assert bankops(env, "api-client", "create", "hooks-app", "--scope", "buyer-app").returncode == 0
    url = "https://hooks.example.com/kopra"
    added = bankops(
        env, "webhook", "add", "hooks-app", url, "--topics", "order.placed,order.accepted", "--operator", "ops.dewi"
    )
    assert added.returncode == 0, added.stderr
    secret = SECRET_LINE.search(added.stdout).group(1)
    endpoint_id = int(re.search(r"Webhook endpoint (\d+) added for hooks-app", added.stdout).group(1))
    assert added.stdout.count(secret) == 1 and "Kopra-Signature" in added.stdout
    with store.reading() as session:
        endpoint = session.get_one(WebhookEndpoint, endpoint_id)
        assert (endpoint.secret, endpoint.topics) == (secret, "order.placed,order.accepted")
    listed = bankops(env, "webhook", "list")
    assert listed.returncode == 0 and secret not in listed.stdout
    row = next(line for line in listed.stdout.splitlines() if line.startswith(f"{endpoint_id} "))
    assert row.split()[1:5] == ["hooks-app", url, "order.placed,order.accepted", "active"]

    delivery_id, event_id = _parked_delivery(store, endpoint_id)
    parked = bankops(env, "webhook", "parked")
    line = next(line for line in parked.stdout.splitlines() if line.startswith(f"{delivery_id} "))
    assert line.split()[1:6] == ["hooks-app", f"evt_{event_id}", "order.placed", "-", "17"]
    assert line.endswith("HTTP 500")
    assert_one_clear_sentence(bankops(env, "webhook", "replay"), "Name the parked deliveries to replay by id")
    assert_one_clear_sentence(bankops(env, "webhook", "replay", "424242"), "These deliveries are not parked: 424242")
    replayed = bankops(env, "webhook", "replay", str(delivery_id))
    assert replayed.stdout.strip() == "1 parked delivery goes out again now."
    with store.reading() as session:
        delivery = session.get_one(WebhookDelivery, delivery_id)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert bankops(env, "webhook", "parked").stdout.strip() == "No delivery is parked."
    assert bankops(env, "webhook", "replay", "--all").stdout.strip() == "0 parked deliveries go out again now."

    removed = bankops(env, "webhook", "remove", str(endpoint_id))
    assert removed.stdout.strip() == f"Webhook endpoint {endpoint_id} ({url}) is removed; nothing more is sent to it."
    assert_one_clear_sentence(bankops(env, "webhook", "remove", "424242"), "There is no webhook endpoint 424242.")
    assert_one_clear_sentence(bankops(env, "webhook", "add", "hooks-app", "ftp://x.example"), "starts with https://")
    refused = bankops(env, "webhook", "add", "hooks-app", url, "--topics", "order.exploded")
    assert refused.returncode == 1
    assert_one_clear_sentence(refused, "Unknown topic 'order.exploded'")

    with store.reading() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.details).where(
                AuditEntry.action.startswith("bank.webhook.")
            )
        ).all()
    assert ("bank.webhook.add", "ops.dewi") in [(a, o) for a, o, _ in entries]
    assert {"bank.webhook.list", "bank.webhook.parked", "bank.webhook.replay", "bank.webhook.remove"} <= {
        a for a, _, _ in entries
    }
    assert secret not in str(entries)
