"""The API application: `build()` wires it for `make run` (uvicorn's --factory), `create_app(wiring)`
for tests and benchmarks. Routes are in api/routes.py; what they share is here: the clock, the
refusal handlers and the POSTs' idempotency."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from api.guard import Guard, RateLimiter, TooManyRequests
from api.problems import TYPES, problem, refusal
from core.bootstrap import Wiring, bootstrap
from core.clock import utc_now
from core.errors import DomainError
from core.integration.clients import ApiClientRef
from core.integration.idempotency import Answer, answer_once, checked_key, fingerprint
from core.logs import configure, log_event

DEFAULT_RATE_PER_S = 100
DEFAULT_MAX_BODY = 64 * 1024
DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_IN_FLIGHT = 64


def create_app(
    wiring: Wiring,
    *,
    clock: Callable[[], datetime] = utc_now,
    rate_per_s: float = DEFAULT_RATE_PER_S,
    burst: int | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
) -> Any:
    from api import routes  # the routes need the helpers below

    @asynccontextmanager
    async def lifespan(_app):
        # The endpoints' threads (each a unit of work on the store). A few keep the cores and the
        # database busy; more wait here, not as PostgreSQL sessions and threads fighting for the
        # cores (at anyio's default of 40, an order cost PostgreSQL half as much CPU again: bench/api.py).
        anyio.to_thread.current_default_thread_limiter().total_tokens = concurrency
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="Kopra Partnership API",
        version="1",
        description="For the bank's buyer app and the courier partners. See the README's integration guide.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.wiring = wiring
    app.state.clock = clock
    app.state.limiter = RateLimiter(rate_per_s, burst or int(rate_per_s * 2))
    app.include_router(routes.router, prefix="/api/v1")
    _handle_refusals(app)
    return Guard(app, max_body_bytes, max_in_flight)


def build() -> Any:
    """For uvicorn: settings from the environment, the store, and the JSON log on stdout."""
    configure("api")
    wiring = bootstrap(check_reachable=True)
    settings = wiring.settings
    return create_app(
        wiring,
        rate_per_s=settings.api_rate_per_s,
        max_body_bytes=settings.api_max_body_bytes,
        concurrency=settings.api_concurrency,
        max_in_flight=settings.api_max_in_flight,
    )


def _handle_refusals(app: FastAPI) -> None:
    @app.exception_handler(TooManyRequests)
    async def _too_many(request: Request, error: TooManyRequests):
        retry = str(max(1, round(error.retry_after_s)))
        return problem("too-many-requests", error.message, instance=request.url.path, headers={"Retry-After": retry})

    @app.exception_handler(DomainError)
    async def _refused(request: Request, error: DomainError):
        return refusal(error, instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        errors = error.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem("malformed-json", "The body is not valid JSON.", instance=request.url.path)
        listed = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or None, "message": _said(e)} for e in errors
        ]
        first = listed[0]
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return problem("invalid-request", detail, instance=request.url.path, errors=listed)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException):
        if error.status_code == 404:
            return problem("no-such-endpoint", f"There is no endpoint {request.url.path}.", instance=request.url.path)
        if error.status_code == 405:
            return problem(
                "method-not-allowed", f"{request.method} is not taken at {request.url.path}.", instance=request.url.path
            )
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception):
        log_event(
            "api.error", level=logging.ERROR, path=request.url.path, error=f"{type(error).__name__}: {error}"[:500]
        )
        return problem("internal-error", TYPES["internal-error"].description, instance=request.url.path)


_SAID = {
    "extra_forbidden": "is not a field this endpoint takes",
    "missing": "is required",
    "int_type": "must be a whole number (a JSON number, not text)",
    "string_type": "must be text (a JSON string)",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}


def _said(error: dict) -> str:
    """Pydantic's complaint in this API's words (one clear phrase per kind)."""
    return _SAID.get(error.get("type", ""), str(error.get("msg", "is not valid")))


def now_of(request: Request) -> datetime:
    return request.app.state.clock()


def store_of(request: Request):
    return request.app.state.wiring.store


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """JSON-ready, times in UTC written as the response models write them (`...Z`). Core's answers are
    dataclasses, dicts, lists and scalars; walked here directly (FastAPI's jsonable_encoder took a
    tenth of an order's placing), anything else handed to it."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return jsonable_encoder(value, custom_encoder={datetime: _utc})


def once(
    request: Request,
    client: ApiClientRef,
    key: str | None,
    payload: BaseModel | None,
    work: Callable[[], tuple[int, Any]],
    *,
    location: Callable[[Any], str] | None = None,
) -> JSONResponse:
    """Answer a POST once per Idempotency-Key: its work and the key's record in one transaction."""
    store, now = store_of(request), now_of(request)
    body = payload.model_dump_json().encode() if payload is not None else b""

    def run() -> Answer:
        status, result = work()
        return Answer(status, plain(result))

    answer = answer_once(
        store,
        client,
        key=checked_key(key),
        request_fingerprint=fingerprint(request.method, request.url.path, body),
        now=now,
        work=run,
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    if location is not None and answer.status_code == 201:
        headers["Location"] = location(answer.body)
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)
