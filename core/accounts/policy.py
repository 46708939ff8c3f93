"""The accounts rules in one place: lockout, the password policy, session limits, and the
sentences people read when they cannot get in (the FAQ's wording where it has one)."""

from __future__ import annotations

import secrets
import string
from dataclasses import MISSING, dataclass, fields
from datetime import datetime, timedelta

from core.config import Settings
from core.i18n import N_, Message, _, _n
from core.store.models import User

# --- The rules, in one place -------------------------------------------------------------------

LOCKOUT_THRESHOLD = 5  # consecutive wrong passwords that block a user
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
PASSWORD_REUSE_DEPTH = 5  # a new password may not be any of the user's last 5 (the current one included)
#: The longest Company ID and User ID there are (the login looks longer ones up as unknown).
MAX_COMPANY_CODE = 32
MAX_USER_CODE = 64
#: last_seen_at is written at most this often, so an ordinary rerun does not write to the store.
TOUCH_INTERVAL = timedelta(seconds=60)

#: The password rules as the forms state them; `str(PASSWORD_RULES)` reads in the reader's language.
PASSWORD_RULES = _(
    "At least {minimum} characters with both letters and digits, not containing your User ID, and not one "
    "of your last {depth} passwords.",
    minimum=PASSWORD_MIN_LENGTH,
    depth=PASSWORD_REUSE_DEPTH,
)

# --- What people are told ----------------------------------------------------------------------

INVALID_CREDENTIALS = N_("The Company ID, User ID or password is not correct.")
BLOCKED_MESSAGE = N_(
    "Your user ID is blocked. Please contact your Relationship Manager or Mandiri Call 14000 to reactivate it."
)
NOT_WHITELISTED_MESSAGE = N_(
    "Your company is not registered for Kopra Partnership: only Kopra Cash Management customers "
    "on the whitelist can use it. Please contact your Relationship Manager to register."
)
MISSING_FIELDS = N_("Please enter your Company ID, User ID and password.")
SESSION_ENDED = N_("Your session has ended. Please log in again.")
USER_GONE = N_("Your user ID no longer exists. Please contact your Relationship Manager.")
PASSWORD_CHANGE_FIRST = N_("Please set a new password before you continue.")


def idle_message(policy: AccountPolicy) -> Message:
    minutes = int(policy.session_idle.total_seconds() // 60)
    return _n(
        "You were logged out after {count} minute without activity. Please log in again.",
        "You were logged out after {count} minutes without activity. Please log in again.",
        minutes,
    )


def lifetime_message(policy: AccountPolicy) -> Message:
    hours = int(policy.session_lifetime.total_seconds() // 3600)
    return _n(
        "Your session reached its limit of {count} hour. Please log in again.",
        "Your session reached its limit of {count} hours. Please log in again.",
        hours,
    )


# --- Configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountPolicy:
    """The configurable part of the rules (see core.config for the variables)."""

    session_idle: timedelta
    session_lifetime: timedelta
    password_max_age: timedelta

    @classmethod
    def of(cls, settings: Settings | None) -> AccountPolicy:
        """The policy of `settings`, or of the documented defaults when there are none."""
        if settings is None:
            defaults = {f.name: f.default for f in fields(Settings) if f.default is not MISSING}
            idle, lifetime, max_age = (
                defaults["session_idle_minutes"],
                defaults["session_lifetime_hours"],
                defaults["password_max_age_days"],
            )
        else:
            idle, lifetime, max_age = (
                settings.session_idle_minutes,
                settings.session_lifetime_hours,
                settings.password_max_age_days,
            )
        return cls(timedelta(minutes=idle), timedelta(hours=lifetime), timedelta(days=max_age))


def new_one_time_password() -> str:
    """A random password for a first login or a reset, e.g. 'k7Qm-x2Rp-9dTz': easy to read out
    (no 0/O, 1/l/I), letters and digits, 71 bits of randomness."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        chars = [secrets.choice(alphabet) for _ in range(12)]
        if any(c.isdigit() for c in chars) and any(c.isalpha() for c in chars):
            return "-".join("".join(chars[i : i + 4]) for i in (0, 4, 8))


def password_expired(user: User, now: datetime, policy: AccountPolicy) -> bool:
    return now - user.password_changed_at > policy.password_max_age


def password_policy_problem(password: str, user_code: str) -> Message | None:
    """The first rule a new password breaks (without looking at earlier passwords), or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return _("The new password must be at least {minimum} characters long.", minimum=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        return _("The new password may be at most {most} characters long.", most=PASSWORD_MAX_LENGTH)
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return _("The new password must contain both letters and digits.")
    if user_code and user_code.lower() in password.lower():
        return _("The new password may not contain your User ID.")
    return None
