"""The JSON event lines: one per event, with the request id of the request or script run, never a key
that looks like a secret."""

from __future__ import annotations

import json
import logging

from core.logs import EVENTS, REQUEST_ID, JsonLines, log_event


def test_an_event_is_one_json_line_with_its_request_id_and_without_secrets(caplog):
    REQUEST_ID.set("req-0123456789ab")
    with caplog.at_level(logging.INFO, logger=EVENTS):
        log_event(
            "login",
            outcome="refused",
            reason="wrong password",
            password="Kebun-Kopi-2026",
            session_token="abc",
            password_hash="$2b$…",
            company_id=7,
        )
    (record,) = [r for r in caplog.records if r.name == EVENTS]
    line = json.loads(JsonLines("ui").format(record))
    assert line["event"] == "login" and line["request_id"] == "req-0123456789ab" and line["process"] == "ui"
    assert (line["outcome"], line["reason"], line["company_id"]) == ("refused", "wrong password", 7)
    assert not {"password", "session_token", "password_hash"} & set(line)
    assert "Kebun-Kopi-2026" not in json.dumps(line) and line["ts"].endswith("+00:00")
