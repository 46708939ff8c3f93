"""Configuration: every setting comes from an environment variable with a documented default.

`load_settings()` validates what it can without touching the database and raises
`ConfigError` with one sentence a person can act on. The README's configuration table
mirrors `SETTINGS_DOC` below.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time as dt_time
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MAIL_FROM = "Kopra Partnership <no-reply@kopra.example>"

#: (variable, default, meaning) — the README's configuration table is written from this.
SETTINGS_DOC: tuple[tuple[str, str, str], ...] = (
    ("KOPRA_DATA_DIR", "data/", "Folder for local files: the SQLite store, DuckDB analytics files, logs."),
    (
        "KOPRA_DATABASE_URL",
        "sqlite:///$KOPRA_DATA_DIR/kopra.sqlite3",
        "Any SQLAlchemy URL of the transactional store; PostgreSQL in production (`postgresql://user@host:5432/db`).",
    ),
    (
        "KOPRA_ENV",
        "development",
        "`production` refuses to start on SQLite, without an https:// KOPRA_PUBLIC_URL, or with demo users present.",
    ),
    ("KOPRA_PUBLIC_URL", "", "The address sellers reach (https:// in production, through your TLS proxy)."),
    ("KOPRA_PORT", "8501", "Port of the Streamlit UI."),
    (
        "KOPRA_BIND",
        "127.0.0.1",
        "Address the UI listens on; `0.0.0.0` (every interface) only behind a proxy that says so.",
    ),
    ("KOPRA_SCHEDULER_INTERVAL_S", "30", "Seconds between two deadline sweeps of the scheduler."),
    ("KOPRA_SESSION_IDLE_MINUTES", "30", "A login session ends after this many idle minutes."),
    ("KOPRA_SESSION_LIFETIME_HOURS", "12", "A login session ends this many hours after login, idle or not."),
    ("KOPRA_PASSWORD_MAX_AGE_DAYS", "90", "A password older than this must be changed at the next login."),
    ("KOPRA_DEMO_SEED", "2026", "Seed of the deterministic demo data."),
    ("KOPRA_DEMO_DAYS", "180", "Days of order history the demo plays through the real services (0: none)."),
    (
        "KOPRA_SMTP_URL",
        "",
        "The mail server notification email goes through (smtp://user:pass@host:587, smtps://…:465); "
        "none: written as .eml files to $KOPRA_DATA_DIR/outbox/.",
    ),
    ("KOPRA_MAIL_FROM", DEFAULT_MAIL_FROM, "The sender of notification email."),
    (
        "KOPRA_LANGUAGE",
        "id",
        "What a person reads before they choose (`id` Bahasa Indonesia, `en` English); each user's choice wins.",
    ),
)

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SMTP_SCHEMES = ("smtp", "smtps")
STARTTLS_CHOICES = ("auto", "require")


class ConfigError(Exception):
    """A setting is wrong; the message is one sentence for the operator."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    environment: str = "development"
    public_url: str = ""
    port: int = 8501
    api_port: int = 8502
    api_rate_per_s: int = 100
    api_max_body_bytes: int = 64 * 1024
    api_concurrency: int = 8
    api_max_in_flight: int = 64
    analytics_rebuild_at: dt_time | None = dt_time(2, 0)
    bind: str = "127.0.0.1"
    scheduler_interval_s: int = 30
    session_idle_minutes: int = 30
    session_lifetime_hours: int = 12
    password_max_age_days: int = 90
    demo_seed: int = 2026
    demo_days: int = 180
    #: The mail server (see `parse_smtp_url`); empty: mail is written to files under data_dir/outbox.
    #: Kept out of repr: it may hold the server's password (`safe_smtp_url` hides it).
    smtp_url: str = field(default="", repr=False)
    mail_from: str = DEFAULT_MAIL_FROM

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def backend(self) -> str:
        return make_url(self.database_url).get_backend_name()

    @property
    def analytics_dir(self) -> Path:
        return self.data_dir / "analytics"

    def safe_database_url(self) -> str:
        """The URL with its password hidden, for messages and logs."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def mail_outbox_dir(self) -> Path:
        """Where mail goes as .eml files when no mail server is set."""
        return self.data_dir / "outbox"

    def safe_smtp_url(self) -> str:
        """The mail server's URL with its password hidden, for messages and logs."""
        return safe_smtp_url(self.smtp_url)


def _int_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}.")
    return value


def _time_of_day(env: Mapping[str, str], name: str, default: dt_time) -> dt_time | None:
    """A local time of day written HH:MM, or None for `off`."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() == "off":
        return None
    hours, colon, minutes = raw.partition(":")
    if colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60:
        return dt_time(int(hours), int(minutes))
    raise ConfigError(f"{name} must be a time of day written HH:MM (e.g. 02:00), or off; got {raw!r}.")


def _data_dir(env: Mapping[str, str]) -> Path:
    raw = env.get("KOPRA_DATA_DIR", "").strip()
    path = Path(raw).expanduser() if raw else PROJECT_ROOT / "data"
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        # Prove we can write: the SQLite file, its WAL and the DuckDB files all live here.
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"KOPRA_DATA_DIR {str(path)!r} is not a writable folder ({exc.strerror or exc}).") from None
    return path


def parse_database_url(raw: str) -> URL:
    """Parse and check a database URL; raise ConfigError naming what is wrong."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            f"KOPRA_DATABASE_URL {raw!r} is not a valid database URL "
            "(expected e.g. sqlite:///data/kopra.sqlite3 or postgresql://user@host:5432/db)."
        ) from None
    backend = url.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigError(f"KOPRA_DATABASE_URL uses {backend!r}, but only SQLite and PostgreSQL are supported.")
    if backend == "sqlite" and not url.database:
        raise ConfigError(
            "KOPRA_DATABASE_URL must name an SQLite file; an in-memory store cannot be shared by the UI and the "
            "scheduler."
        )
    if backend == "postgresql" and not url.database:
        raise ConfigError("KOPRA_DATABASE_URL must name a PostgreSQL database (…/dbname).")
    if backend == "postgresql" and url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _bind(env: Mapping[str, str]) -> str:
    raw = env.get("KOPRA_BIND", "").strip() or "127.0.0.1"
    if not all(c.isalnum() or c in ".:-[]" for c in raw):
        raise ConfigError(f"KOPRA_BIND must be an address or host name such as 127.0.0.1 or 0.0.0.0, got {raw!r}.")
    return raw


def safe_smtp_url(raw: str) -> str:
    """An SMTP URL with the password (if any) written as ***: for messages and logs."""
    if not raw:
        return ""
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an SMTP URL that cannot be read)"
    user = (
        f"{quote(unquote(parts.username), safe='')}{':***' if parts.password is not None else ''}@"
        if parts.username
        else ""
    )
    netloc = f"{user}[{host}]" if ":" in host else f"{user}{host}"
    return f"{parts.scheme}://{netloc}{f':{port}' if port else ''}{f'?{parts.query}' if parts.query else ''}"


def check_smtp_url(raw: str) -> str:
    """The URL as given, if it is one the mailer can use; else ConfigError in one sentence (never
    quoting the password)."""
    shown = safe_smtp_url(raw)
    try:
        parts = urlsplit(raw)
        _ = parts.port  # reading it is what checks it
    except ValueError:
        raise ConfigError(
            "KOPRA_SMTP_URL is not a valid mail server URL (expected e.g. smtp://user:pass@host:587, with a port "
            "below 65536 and any / ? # @ in the password written as %2F %3F %23 %40)."
        ) from None
    if parts.scheme not in SMTP_SCHEMES:
        raise ConfigError(
            f"KOPRA_SMTP_URL must start with smtp:// (STARTTLS when offered) or smtps:// (TLS), got {shown!r}."
        )
    if not parts.hostname:
        raise ConfigError(
            f"KOPRA_SMTP_URL must name the mail server's host, e.g. smtp://mail.example.com:587; got {shown!r}."
        )
    if parts.path not in ("", "/") or parts.fragment:
        raise ConfigError(f"KOPRA_SMTP_URL takes no path, only the host, port and ?starttls=require; got {shown!r}.")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise ConfigError(f"KOPRA_SMTP_URL knows only the option starttls=require, not {', '.join(unknown)}.")
    starttls = query.get("starttls", ["auto"])
    if len(starttls) != 1 or starttls[0] not in STARTTLS_CHOICES:
        raise ConfigError("KOPRA_SMTP_URL's starttls option must be require (or auto, the default).")
    if parts.scheme == "smtps" and "starttls" in query:
        raise ConfigError("KOPRA_SMTP_URL with smtps:// is TLS from the start; starttls applies to smtp:// only.")
    if parts.password is not None and not parts.username:
        raise ConfigError("KOPRA_SMTP_URL gives a password without a user name (smtp://user:pass@host).")
    return raw


def check_mail_from(raw: str) -> str:
    """The sender as given ("Name <address>" or an address), or ConfigError in one sentence."""
    _, address = parseaddr(raw)
    local, _, domain = address.rpartition("@")
    if any(c in raw for c in "\r\n") or not local or "." not in domain or any(c.isspace() for c in address):
        raise ConfigError(
            f"KOPRA_MAIL_FROM must be an email address, optionally with a name: "
            f"Kopra Partnership <no-reply@bank.example>; got {raw!r}."
        )
    return raw


ENVIRONMENTS = ("development", "production")


def _environment(env: Mapping[str, str]) -> str:
    raw = env.get("KOPRA_ENV", "").strip().lower() or "development"
    if raw not in ENVIRONMENTS:
        raise ConfigError(f"KOPRA_ENV must be development or production, got {raw!r}.")
    return raw


def _check_production(environment: str, backend: str, public_url: str) -> None:
    """What production refuses, whatever the command: the demo users are checked by jobs.serve."""
    if environment != "production":
        return
    if backend != "postgresql":
        raise ConfigError(
            "KOPRA_ENV=production needs PostgreSQL in KOPRA_DATABASE_URL; SQLite is for development only."
        )
    if not public_url.startswith("https://"):
        raise ConfigError(
            "KOPRA_ENV=production needs KOPRA_PUBLIC_URL with https://, the address sellers reach through "
            "your TLS proxy; the portal is never served to them over plain http."
        )


def _check_language(env: Mapping[str, str]) -> None:
    """core.i18n reads KOPRA_LANGUAGE itself (every process imports it first); a wrong one is said here."""
    from core.i18n import LANGUAGES

    raw = env.get("KOPRA_LANGUAGE", "").strip()
    if raw and raw not in LANGUAGES:
        raise ConfigError(f"KOPRA_LANGUAGE must be one of {', '.join(LANGUAGES)}, got {raw!r}.")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    _check_language(env)
    data_dir = _data_dir(env)
    raw_url = env.get("KOPRA_DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'kopra.sqlite3'}"
    url = parse_database_url(raw_url)
    environment = _environment(env)
    public_url = env.get("KOPRA_PUBLIC_URL", "").strip()
    _check_production(environment, url.get_backend_name(), public_url)
    smtp_url = env.get("KOPRA_SMTP_URL", "").strip()
    return Settings(
        data_dir=data_dir,
        database_url=url.render_as_string(hide_password=False),
        environment=environment,
        public_url=public_url,
        port=_int_setting(env, "KOPRA_PORT", 8501, 1, 65535),
        api_port=_int_setting(env, "KOPRA_API_PORT", 8502, 1, 65535),
        api_rate_per_s=_int_setting(env, "KOPRA_API_RATE_PER_S", 100, 1, 100_000),
        api_max_body_bytes=_int_setting(env, "KOPRA_API_MAX_BODY_BYTES", 64 * 1024, 1024, 10 * 1024 * 1024),
        api_concurrency=_int_setting(env, "KOPRA_API_CONCURRENCY", 8, 1, 200),
        api_max_in_flight=_int_setting(env, "KOPRA_API_MAX_IN_FLIGHT", 64, 1, 100_000),
        bind=_bind(env),
        analytics_rebuild_at=_time_of_day(env, "KOPRA_ANALYTICS_REBUILD_AT", dt_time(2, 0)),
        scheduler_interval_s=_int_setting(env, "KOPRA_SCHEDULER_INTERVAL_S", 30, 1, 3600),
        session_idle_minutes=_int_setting(env, "KOPRA_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
        session_lifetime_hours=_int_setting(env, "KOPRA_SESSION_LIFETIME_HOURS", 12, 1, 24 * 7),
        password_max_age_days=_int_setting(env, "KOPRA_PASSWORD_MAX_AGE_DAYS", 90, 1, 3650),
        demo_seed=_int_setting(env, "KOPRA_DEMO_SEED", 2026, 0, 2**31 - 1),
        demo_days=_int_setting(env, "KOPRA_DEMO_DAYS", 180, 0, 3660),
        smtp_url=check_smtp_url(smtp_url) if smtp_url else "",
        mail_from=check_mail_from(env.get("KOPRA_MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM),
    )
