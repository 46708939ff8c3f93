"""Refusals as RFC 9457 `application/problem+json`: a stable `type` per refusal (documented at
`/api/v1/problems/<slug>`), the HTTP status it means, and as `detail` the same sentence core gives the
seller UI. Nothing else reaches a client: an unexpected error is a 500 with a request id, its trace
only in the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse

from core.errors import (
    AccessDenied,
    AlreadyExists,
    ConcurrentChange,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    OutOfStock,
    TransitionRefused,
)
from core.integration.idempotency import KeyMissing, KeyReused

MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/v1/problems/"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str


_TYPES = [
    ProblemType("unauthenticated", 401, "Not authenticated", "The bearer token is missing, wrong, rotated or revoked."),
    ProblemType(
        "forbidden",
        403,
        "Not allowed for this client",
        "The client's scope (buyer app or courier) does not cover this call.",
    ),
    ProblemType(
        "not-found",
        404,
        "Not found",
        "The seller, warehouse, product, buyer or order does not exist, or is not the buyer's.",
    ),
    ProblemType("already-exists", 409, "Already exists", "The thing to create exists already; nothing was changed."),
    ProblemType(
        "step-refused",
        409,
        "The order's lifecycle refused the step",
        "The order is not in a state that allows this step (or its deadline has not passed yet); "
        "detail says who moved it and when.",
    ),
    ProblemType(
        "order-changed",
        409,
        "The order changed meanwhile",
        "Someone moved the order at the same moment; nothing was applied. Read it again.",
    ),
    ProblemType(
        "out-of-stock",
        409,
        "Not enough stock",
        "A line asks for more units than the warehouse has available; nothing was reserved.",
    ),
    ProblemType(
        "buyer-not-approved",
        422,
        "Buyer not approved",
        "The buyer is not (or no longer) approved by the bank to order.",
    ),
    ProblemType(
        "seller-not-registered", 422, "Seller not registered", "The seller is not whitelisted for Kopra Partnership."
    ),
    ProblemType("warehouse-closed", 422, "Warehouse closed", "The warehouse is closed and takes no orders."),
    ProblemType("invalid-input", 422, "Invalid input", "A field's value breaks a rule; `field` names it."),
    ProblemType(
        "invalid-request",
        422,
        "Invalid request",
        "The JSON does not have the shape this endpoint takes: unknown fields, wrong types or missing "
        "fields; `errors` lists each.",
    ),
    ProblemType("malformed-json", 400, "Malformed JSON", "The body is not valid JSON (UTF-8)."),
    ProblemType(
        "idempotency-key-missing",
        400,
        "Idempotency-Key missing",
        "Every POST needs an Idempotency-Key header, new for each new request.",
    ),
    ProblemType(
        "idempotency-key-reused", 422, "Idempotency-Key reused", "The key was used before with another request body."
    ),
    ProblemType("unsupported-media-type", 415, "JSON only", "Send the body as application/json."),
    ProblemType("body-too-large", 413, "Body too large", "The body is larger than this API accepts."),
    ProblemType(
        "too-many-requests",
        429,
        "Too many requests",
        "The client sent more requests than its rate allows; Retry-After says when to try again.",
    ),
    ProblemType(
        "busy",
        503,
        "Busy",
        "The API process has as many requests in hand as it takes at once; nothing was done. Send the "
        "request again after Retry-After seconds, with the same Idempotency-Key.",
    ),
    ProblemType("no-such-endpoint", 404, "No such endpoint", "There is no endpoint at this path; see /api/docs."),
    ProblemType("method-not-allowed", 405, "Method not allowed", "The endpoint does not take this method."),
    ProblemType(
        "internal-error",
        500,
        "Internal error",
        "Something failed on our side; nothing half-done was kept. Quote the request id to the bank.",
    ),
]
TYPES = {t.slug: t for t in _TYPES}

#: InvalidInput's field names that are a refusal of their own.
_BY_FIELD = {"buyer": "buyer-not-approved", "seller": "seller-not-registered", "warehouse": "warehouse-closed"}


def slug_of(error: DomainError) -> str:
    if isinstance(error, KeyMissing):
        return "idempotency-key-missing"
    if isinstance(error, KeyReused):
        return "idempotency-key-reused"
    if isinstance(error, InvalidInput):
        return _BY_FIELD.get(error.field or "", "invalid-input")
    for kind, slug in (
        (NotAuthenticated, "unauthenticated"),
        (AccessDenied, "forbidden"),
        (NotFound, "not-found"),
        (AlreadyExists, "already-exists"),
        (OutOfStock, "out-of-stock"),
        (ConcurrentChange, "order-changed"),
        (TransitionRefused, "step-refused"),
    ):
        if isinstance(error, kind):
            return slug
    return "invalid-input"


def problem(
    slug: str, detail: str, *, instance: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    kind = TYPES[slug]
    body = {"type": PREFIX + slug, "title": kind.title, "status": kind.status, "detail": detail, "instance": instance}
    body.update({key: value for key, value in extra.items() if value is not None})
    return JSONResponse(body, status_code=kind.status, media_type=MEDIA_TYPE, headers=headers)


def refusal(error: DomainError, *, instance: str) -> JSONResponse:
    slug = slug_of(error)
    headers = {"WWW-Authenticate": 'Bearer realm="kopra"'} if slug == "unauthenticated" else None
    return problem(slug, error.message, instance=instance, headers=headers, field=getattr(error, "field", None))
