"""What every request passes before a route sees it: a request id and one JSON log line, the process's
load (requests in hand), the body size limit and JSON-only bodies (a pure ASGI middleware: nothing
buffered twice), the bearer token, and each client's rate.

The rate is a token bucket per client in this process: with N API processes behind a load balancer a
client gets at most N times the rate, which the bank sizes for (README, "Scaling out").
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass

from fastapi import Header, Request

from api.problems import problem
from core.errors import DomainError, NotAuthenticated
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, _n, using
from core.integration.clients import REFUSED, ApiClientRef, authenticate
from core.logs import REQUEST_ID, log_event

_WITH_BODY = {"POST", "PUT", "PATCH"}
#: What a busy process tells the client to wait before sending the request again.
BUSY_RETRY_AFTER_S = 1


class TooManyRequests(DomainError):
    def __init__(self, retry_after_s: float):
        super().__init__(f"Too many requests from this client: try again in {max(1, round(retry_after_s))} s.")
        self.retry_after_s = retry_after_s


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """`rate` requests a second per client, bursts of up to `burst`."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, client_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(client_id, _Bucket(self.burst, now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens < 1:
                raise TooManyRequests((1 - bucket.tokens) / self.rate)
            bucket.tokens -= 1


def caller(request: Request, authorization: str | None = Header(default=None, include_in_schema=False)) -> ApiClientRef:
    """The API client a request's `Authorization: Bearer <token>` belongs to, within its rate."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(REFUSED)
    client = authenticate(request.app.state.wiring.store, token.strip())
    request.app.state.limiter.take(client.id)
    request.state.client = client.name
    return client


class Guard:
    """Pure ASGI: request id, load shedding, body limit (the body is read here, at most the limit, then
    handed on), JSON-only bodies, one log line per request, and the reader's language: refusals are told
    in the language Accept-Language asks for (Bahasa Indonesia or English), said back in Content-Language.

    Load shedding: at most `max_in_flight` requests are in hand in this process (working, or waiting for
    one of its `KOPRA_API_CONCURRENCY` threads, or still sending their body); one more is answered at
    once with 503 and Retry-After, before anything is read or written. A process that queued without
    bound answered everyone late once offered more than it can do (bench/api.py: at 300 orders a
    second due against 243 of capacity, a p95 of 46.7 s), so clients timed out and retried into the
    queue; refused at once, they retry with the same Idempotency-Key, and a POST is still done once.
    (Uvicorn's --limit-concurrency counts idle keep-alive connections too, and answers in plain text.)"""

    def __init__(self, app, max_body_bytes: int, max_in_flight: int):
        self.app, self.max_body, self.max_in_flight = app, max_body_bytes, max_in_flight
        self.in_flight = 0  # requests admitted and not yet answered (one event loop: no lock needed)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = f"req-{uuid.uuid4().hex[:16]}"
        token = REQUEST_ID.set(request_id)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            with using(language_asked(headers.get("accept-language", ""))) as spoken:
                await self._guarded(scope, receive, send, request_id, headers, spoken)
        finally:
            REQUEST_ID.reset(token)

    async def _guarded(self, scope, receive, send, request_id: str, headers: dict[str, str], spoken: str):
        started, outcome = time.perf_counter(), {"status": 0}
        path = scope["path"]
        admitted = self.in_flight < self.max_in_flight
        if admitted:
            self.in_flight += 1

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                said = [(b"x-request-id", request_id.encode()), (b"content-language", spoken.encode())]
                message["headers"] = [*message.get("headers", []), *said]
            await send(message)

        try:
            refused = self._refusal(scope["method"], headers, path) if admitted else self._busy(path)
            if refused is None and scope["method"] in _WITH_BODY:
                body = await self._body(receive)
                if body is None:
                    refused = self._too_large(path)
                else:
                    receive = _replay(body)
            if refused is not None:
                return await refused(scope, receive, send_with_id)
            await self.app(scope, receive, send_with_id)
        finally:
            if admitted:
                self.in_flight -= 1
            log_event(
                "api.request",
                method=scope["method"],
                path=path,
                status=outcome["status"],
                ms=round((time.perf_counter() - started) * 1000, 1),
                client=scope.get("state", {}).get("client"),
            )

    def _busy(self, path: str):
        said = _n(
            "This API process has {count} request in hand, the most it takes at once, and did nothing with "
            "this one: send it again in {seconds} s (with the same Idempotency-Key, a POST is done once).",
            "This API process has {count} requests in hand, the most it takes at once, and did nothing with "
            "this one: send it again in {seconds} s (with the same Idempotency-Key, a POST is done once).",
            self.max_in_flight,
            seconds=BUSY_RETRY_AFTER_S,
        )
        return problem("busy", str(said), instance=path, headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})

    def _too_large(self, path: str):
        return problem(
            "body-too-large",
            f"The body is larger than {self.max_body:,} bytes, the most this API takes.",
            instance=path,
        )

    def _refusal(self, method: str, headers: dict[str, str], path: str):
        if method not in _WITH_BODY:
            return None
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            return self._too_large(path)
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json" and (length not in (None, "0") or "transfer-encoding" in headers):
            return problem(
                "unsupported-media-type",
                f"The body must be JSON sent as application/json, not {json.dumps(kind or 'no content type')}.",
                instance=path,
            )
        return None

    async def _body(self, receive) -> bytes | None:
        """The whole body (bodies here are small), or None as soon as it passes the limit."""
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def language_asked(accept_language: str) -> str:
    """The language a request's Accept-Language asks for, of those the API speaks ("id-ID,id;q=0.9" ->
    "id"); the default when it asks for none of them."""
    asked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and quality > 0:
            asked.append((-quality, position, code))
    return min(asked)[2] if asked else DEFAULT_LANGUAGE


def _replay(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
