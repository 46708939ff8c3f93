"""The UI process as an ASGI application: Streamlit's app (app/main.py) served by uvicorn through
`st.App`, with what a bank's front door adds around it.

    python -m uvicorn app.server:app --host 127.0.0.1 --port 8501     (what jobs.serve starts)

- `POST /session/open` exchanges the one-time ticket a logged-in tab got from core for the session's
  HttpOnly cookie (SameSite=Strict; Secure and the `__Host-` prefix when served over HTTPS); the
  cookie's token is never seen by a script on the page. `POST /session/close` ends the cookie's
  session and clears it. The page reaches both with `fetch` from /session/cookie.js.
- `GET /preload/charts.js`, drawn on the login page, loads the chart library the Dashboard draws with
  while the page waits for a person: in a fresh browser, compiling it took about 1 s of the first
  Dashboard after the login.
- Every HTTP response carries security headers (a Content-Security-Policy that forbids framing,
  other sites' scripts and images; no MIME sniffing; no referrer to other sites; HSTS over HTTPS).
- `GET /healthz` says the process is up; `GET /readyz` checks the store, the schema, the
  scheduler's heartbeat and the analytics snapshot's age (core.health). `/_stcore/metrics` is closed.
- One JSON line per request (its outcome, status and time; never a cookie or a query string) with a
  request id, also sent back as `X-Request-Id`; an error in a page is one JSON line too (core.logs).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from functools import lru_cache
from pathlib import Path

import streamlit
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from streamlit.starlette import App

from core.accounts import sessions
from core.bootstrap import Wiring, bootstrap
from core.clock import utc_now
from core.config import PROJECT_ROOT
from core.health import readiness
from core.i18n import LANGUAGES, chosen
from core.logs import REQUEST_ID, configure, log_event

COOKIE = "kopra_session"
#: The browser's language choice (app/ui/language.py reads it), kept for a year.
LANGUAGE_COOKIE = "kopra_language"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
SECURE_COOKIE = "__Host-kopra_session"  # the prefix makes the browser insist on Secure, Path=/ and no Domain
CLOSED_PATHS = ("/_stcore/metrics",)
#: Requests not worth a log line each: the page's static files and the load balancer's polling.
QUIET_PREFIXES = ("/static/", "/_stcore/health", "/favicon", "/healthz")


def _inline_script_hashes() -> str:
    """CSP hashes of the inline scripts in Streamlit's own index.html (one line that sets a flag):
    allowed by hash, so no other inline script may run."""
    index = Path(streamlit.__file__).parent / "static" / "index.html"
    bodies = re.findall(r"<script[^>]*>(.*?)</script>", index.read_text(encoding="utf-8"), re.S)
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in bodies
        if body.strip()
    )


CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' {_inline_script_hashes()}",  # Streamlit's bundle, our cookie script, nothing inline
        "style-src 'self' 'unsafe-inline'",  # Streamlit styles its elements inline
        "img-src 'self' data: blob:",  # no picture is ever fetched from another site
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "frame-src 'self' blob: data:",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)


@lru_cache(maxsize=1)
def wiring() -> Wiring:
    return bootstrap()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


# --- routes --------------------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    w = wiring()
    ready = readiness(w.store, w.analytics, utc_now(), scheduler_interval_s=w.settings.scheduler_interval_s)
    return JSONResponse(ready.as_json(), status_code=200 if ready.ok else 503)


async def open_session(request: Request) -> Response:
    """The ticket in, the HttpOnly cookie out; 204 either way a browser needs no more."""
    try:
        ticket = str((await request.json()).get("ticket") or "")
    except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
        return PlainTextResponse("A ticket is needed.", status_code=400)
    grant = sessions.redeem_cookie_ticket(wiring().store, ticket, utc_now())
    if grant is None:
        return PlainTextResponse("The ticket is unknown, used or expired.", status_code=403)
    response = Response(status_code=204)
    secure = _secure(request)
    response.set_cookie(
        SECURE_COOKIE if secure else COOKIE,
        grant.token,
        max_age=max(1, int((grant.expires_at - utc_now()).total_seconds())),
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    return response


async def close_session(request: Request) -> Response:
    """Logout from this browser: the cookie's session ends in the store, and the cookie goes."""
    for name in (SECURE_COOKIE, COOKIE):
        if token := request.cookies.get(name):
            sessions.logout(wiring().store, token, utc_now())
    response = Response(status_code=204)
    secure = _secure(request)
    response.delete_cookie(
        SECURE_COOKIE if secure else COOKIE, path="/", secure=secure, httponly=True, samesite="strict"
    )
    return response


async def choose_language(request: Request) -> Response:
    """Remember the language chosen on this browser (read before login, and by the page's `lang`)."""
    try:
        code = str((await request.json()).get("language") or "")
    except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
        code = ""
    if code not in LANGUAGES:
        return PlainTextResponse(f"A language is needed: one of {', '.join(LANGUAGES)}.", status_code=400)
    response = Response(status_code=204)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


COOKIE_SCRIPT = """// Sets or clears the session's HttpOnly cookie through the server (see app/server.py);
// or remembers the language chosen on this browser and sets the page's lang attribute.
(function () {
  var me = document.currentScript;
  var language = me && me.dataset.language;
  if (language) {
    document.documentElement.lang = language;
    fetch("/session/language", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({language: language}),
    });
    return;
  }
  var ticket = me && me.dataset.ticket;
  var path = ticket ? "/session/open" : "/session/close";
  fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(ticket ? {ticket: ticket} : {}),
  });
})();
"""


async def cookie_script(request: Request) -> Response:
    return Response(COOKIE_SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-store"})


@lru_cache(maxsize=1)
def chart_library_url() -> str | None:
    """Where Streamlit serves its chunk of Plotly (st.plotly_chart's): the name carries a hash of the
    build, so it is looked up in the installed Streamlit (None if a new version named it otherwise)."""
    found = sorted((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    return f"/static/js/{found[0].name}" if found else None


PRELOAD_SCRIPT = """// Loads the Dashboard's chart library while the login page waits for a person (app/server.py).
import(%s).catch(function () {});
"""


async def preload_script(request: Request) -> Response:
    url = chart_library_url()
    body = PRELOAD_SCRIPT % json.dumps(url) if url else "// nothing to load\n"
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/session/open", open_session, methods=["POST"]),
    Route("/session/close", close_session, methods=["POST"]),
    Route("/session/cookie.js", cookie_script, methods=["GET"]),
    Route("/preload/charts.js", preload_script, methods=["GET"]),
    Route("/session/language", choose_language, methods=["POST"]),
]


def _security_headers(request_id: str, secure: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"x-request-id", request_id.encode()),
    ]
    if secure:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


def _is_html(start: Message) -> bool:
    return any(
        name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in start.get("headers", [])
    )


def _browser_language(scope: Scope) -> str:
    """The language this browser chose (its cookie), or the default: the page's `lang` before any script runs."""
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, cookie = part.strip().partition("=")
                if key == LANGUAGE_COOKIE:
                    return chosen(cookie)
    return chosen(None)


def _with_language(held: list[Message], code: str) -> list[Message]:
    """Streamlit's index.html says `<html lang="en">`: the page says the language it is read in."""
    start, bodies = held[0], held[1:]
    if start.get("headers") and any(n.lower() == b"content-encoding" for n, _v in start["headers"]):
        return held  # compressed: left as it is (Streamlit serves its index.html uncompressed)
    body = b"".join(part.get("body", b"") for part in bodies)
    body = body.replace(b'<html lang="en"', f'<html lang="{code}"'.encode(), 1)
    # The page differs by the browser's language: never a validator a cache could answer for the other.
    dropped = (b"content-length", b"etag", b"last-modified", b"cache-control")
    headers = [(n, v) for n, v in start["headers"] if n.lower() not in dropped]
    headers += [(b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]
    return [{**start, "headers": headers}, {"type": "http.response.body", "body": body, "more_body": False}]


# --- middleware ----------------------------------------------------------------------------------


class FrontDoor:
    """Security headers on every HTTP response; closed paths answer 404; one log line a request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req-{secrets.token_hex(6)}"
        REQUEST_ID.set(request_id)
        path = scope.get("path", "")
        started, status = time.perf_counter(), 500
        secure = scope.get("scheme") == "https"

        held: list[Message] = []  # an HTML page's start and body, until its lang attribute is set

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if held or (message["type"] == "http.response.start" and _is_html(message)):
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [*message.get("headers", []), *_security_headers(request_id, secure)]
                held.append(message)
                if message["type"] == "http.response.body" and not message.get("more_body", False):
                    for part in _with_language(held, _browser_language(scope)):
                        await send(part)
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *_security_headers(request_id, secure)]
            await send(message)

        try:
            if path.rstrip("/") in CLOSED_PATHS:
                await PlainTextResponse("Not found.", status_code=404)(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            if not path.startswith(QUIET_PREFIXES):
                client = scope.get("client") or ("", 0)
                log_event(
                    "request",
                    method=scope.get("method"),
                    path=path,
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                    client=client[0],
                )


def script_error(error: Exception) -> None:
    """An error a page did not expect: one log line for the people running the portal (the person
    sees Streamlit's generic notice; client.showErrorDetails is off)."""
    log_event("page_error", level=40, error=type(error).__name__, detail=str(error)[:500])
    return None


configure("ui")
app = App(
    PROJECT_ROOT / "app" / "main.py", routes=ROUTES, middleware=[Middleware(FrontDoor)], on_script_error=script_error
)
