"""The notification mailer as a process (`python -m jobs.mailer`): `--once` writes due mail as .eml files
when no mail server is set (and `--show` prints them), or sends it through a real SMTP server on
127.0.0.1 with a password that never shows in its log; running, it sends mail queued while it waits
and stops cleanly on SIGTERM; a bad KOPRA_SMTP_URL is one sentence."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from core.config import PROJECT_ROOT
from core.domain import MailStatus, NotificationKind
from core.notifications import kinds
from core.store.models import Notification, NotificationMail, NotificationPreference
from tests.builders import assert_one_clear_sentence, build_world, run

PM_MAIL = "dewi@acme.co.id"
PASSWORD = "s3cret/pw"


class MailServer:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts; with `password`,
    it wants AUTH as kopra with it."""

    def __init__(self, password: str | None = None) -> None:
        self.arrivals: list = []
        self.logins: list[bool] = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        extra = {"authenticator": self._check, "auth_require_tls": False} if password else {}
        self.password = password
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **extra)
        self.controller.start()

    def _check(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == (self.password or "").encode()
        self.logins.append(ok)
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server, session, envelope):
        self.arrivals.append((envelope.rcpt_tos, BytesParser(policy=policy.default).parsebytes(envelope.content)))
        return "250 OK"

    def stop(self) -> None:
        self.controller.stop()


def queue_mail(world, *, sku: str = "RICE-5", at: datetime | None = None) -> int:
    """A verified address for the Product Manager and one due notification mail; returns its id."""
    at = at or datetime.now(UTC) - timedelta(minutes=1)
    with world.store.transaction() as session:
        if session.get(NotificationPreference, world.pm.user_id) is None:
            session.add(
                NotificationPreference(
                    user_id=world.pm.user_id,
                    email=PM_MAIL,
                    email_verified_at=at - timedelta(days=1),
                    email_kinds=",".join(k.value for k in kinds.kinds_for(world.pm.role)),
                    digest=False,
                    code_attempts=0,
                    updated_at=at,
                )
            )
        notification = Notification(
            user_id=world.pm.user_id,
            company_id=world.pm.company_id,
            kind=NotificationKind.LOW_STOCK,
            subject=f"stock:{sku}",
            facts=json.dumps({"sku": sku, "product": "<b>Beras</b> https://evil.example", "available": 2}),
            created_at=at,
        )
        session.add(notification)
        session.flush()
        session.add(
            NotificationMail(
                notification_id=notification.id,
                user_id=world.pm.user_id,
                status=MailStatus.PENDING,
                digest=False,
                due_at=at,
                attempts=0,
                created_at=at,
            )
        )
        return notification.id


def status_of(store, notification_id) -> MailStatus:
    with store.reading() as session:
        return session.scalar(
            select(NotificationMail.status).where(NotificationMail.notification_id == notification_id)
        )


def env_for(store, tmp_path, **extra: str) -> dict[str, str]:
    return {"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_DATABASE_URL": store.database_url, **extra}


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_once_writes_due_mail_as_eml_files_and_show_prints_them(store, tmp_path):
    world = build_world(store)
    nid = queue_mail(world)

    result = run("jobs.mailer", "--once", env=env_for(store, tmp_path))

    assert result.returncode == 0, result.stderr
    (path,) = (tmp_path / "outbox").glob("*.eml")
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert message["To"] == PM_MAIL and message["Subject"] == "Kopra Partnership: Low stock"
    assert message["Message-ID"] == f"<kopra.notification-{nid}@kopra.example>"
    assert status_of(store, nid) == MailStatus.SENT
    lines = json_lines(result.stdout)
    assert lines[0]["event"] == "mailer_started" and lines[0]["transport"] == f"files in {tmp_path / 'outbox'}"
    (sent,) = [line for line in lines if line["event"] == "notification_mail"]
    assert (sent["outcome"], sent["notifications"], sent["attempt"]) == ("sent", [nid], 1)
    assert PM_MAIL not in result.stdout and "Beras" not in result.stdout  # neither the address nor the body
    assert lines[-1]["event"] == "mailer_stopped"

    shown = run("jobs.mailer", "--show", env=env_for(store, tmp_path))
    assert shown.returncode == 0, shown.stderr
    assert "Subject: Kopra Partnership: Low stock" in shown.stdout and f"To: {PM_MAIL}" in shown.stdout
    assert "<b>Beras</b> https://evil.example" in shown.stdout  # the plain text, as typed


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_show_says_when_there_is_no_mail_yet(store, tmp_path):
    shown = run("jobs.mailer", "--show", env=env_for(store, tmp_path))
    assert shown.returncode == 0 and "No mail in" in shown.stdout


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_once_sends_through_the_mail_server_and_never_logs_its_password(store, tmp_path):
    world = build_world(store)
    nid = queue_mail(world)
    server = MailServer(password=PASSWORD)
    try:
        url = f"smtp://kopra:s3cret%2Fpw@127.0.0.1:{server.port}"
        result = run("jobs.mailer", "--once", env=env_for(store, tmp_path, KOPRA_SMTP_URL=url))
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    ((rcpt_tos, message),) = server.arrivals
    assert rcpt_tos == [PM_MAIL] and message["Subject"] == "Kopra Partnership: Low stock"
    assert server.logins == [True]  # the URL-decoded password
    assert status_of(store, nid) == MailStatus.SENT
    output = result.stdout + result.stderr
    assert "s3cret" not in output
    assert json_lines(result.stdout)[0]["transport"] == f"smtp://kopra:***@127.0.0.1:{server.port}"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_wrong_password_keeps_the_mail_for_later_and_says_so_without_it(store, tmp_path):
    world = build_world(store)
    nid = queue_mail(world)
    server = MailServer(password=PASSWORD)
    try:
        url = f"smtp://kopra:wr0ng-s3cret@127.0.0.1:{server.port}"
        result = run("jobs.mailer", "--once", env=env_for(store, tmp_path, KOPRA_SMTP_URL=url))
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert not server.arrivals and status_of(store, nid) == MailStatus.PENDING
    (line,) = [line for line in json_lines(result.stdout) if line["event"] == "notification_mail"]
    assert line["outcome"] == "retry" and "refused the user name or password" in line["error"]
    assert "wr0ng" not in result.stdout + result.stderr


def _start(store, tmp_path, **env: str) -> subprocess.Popen:
    out = open(tmp_path / "mailer.log", "w")  # a file, not a pipe: a chatty process never blocks on it
    process = subprocess.Popen(
        [sys.executable, "-m", "jobs.mailer"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env_for(store, tmp_path, **env)},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    return process


def _wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_running_it_sends_mail_queued_while_it_waits_and_sigterm_stops_it_cleanly(store, tmp_path):
    world = build_world(store)
    server = MailServer()
    process = _start(store, tmp_path, KOPRA_SMTP_URL=f"smtp://127.0.0.1:{server.port}", KOPRA_MAIL_POLL_S="0.2")
    try:
        log = tmp_path / "mailer.log"
        _wait_for(lambda: "mailer_started" in log.read_text(), "the mailer to start")
        first = queue_mail(world, sku="A")
        _wait_for(lambda: len(server.arrivals) == 1, "the first mail")
        second = queue_mail(world, sku="B")
        _wait_for(lambda: len(server.arrivals) == 2, "the second mail")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        server.stop()
    assert {status_of(store, first), status_of(store, second)} == {MailStatus.SENT}
    lines = json_lines((tmp_path / "mailer.log").read_text())
    assert [line["outcome"] for line in lines if line["event"] == "notification_mail"] == ["sent", "sent"]
    assert lines[-1]["event"] == "mailer_stopped"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "env, words",
    [
        ({"KOPRA_SMTP_URL": "http://kopra:s3cret@mail.example"}, "KOPRA_SMTP_URL must start with smtp://"),
        ({"KOPRA_MAIL_POLL_S": "soon"}, "KOPRA_MAIL_POLL_S must be a positive number of seconds"),
    ],
)
def test_a_bad_setting_is_one_sentence_and_exit_code_2(store, tmp_path, env, words):
    result = run("jobs.mailer", "--once", env=env_for(store, tmp_path, **env))
    assert_one_clear_sentence(result, words)
    assert result.returncode == 2 and "s3cret" not in result.stderr + result.stdout
