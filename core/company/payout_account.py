"""The payout bank account: where the company's payouts go, changed by the System Administrator.

Changing it asks for the administrator's password again (a wrong one counts towards the lockout
like a wrong login) and is written to the audit log with both account numbers masked to their
last four digits. bcrypt runs between two units of work, never inside the write lock. The company's
System Administrators are told of the change in its transaction (core.notifications.notify).
"""

from __future__ import annotations

import re
from datetime import datetime

from core.accounts import login, policy
from core.accounts.hashing import verify_password
from core.acting import Actor, acting, require_role
from core.company.profile import CompanyProfile, mask_account, own_company, profile_of, record
from core.domain import Role
from core.errors import AccessDenied, InvalidInput
from core.i18n import N_, _
from core.notifications import notify
from core.store.database import Store
from core.store.models import User
from core.text import clean_text

ADMIN = Role.SYSTEM_ADMINISTRATOR
DOING = "change the payout account"

# --- The rules, in one place -------------------------------------------------------------------

MAX_BANK_NAME = 100
ACCOUNT_DIGITS = (10, 16)
#: The account number as typed, with the spaces or dashes people put between groups.
MAX_ACCOUNT_NUMBER = 40
MAX_HOLDER = 100
#: A legal name as the bank has it: "PT Bank Mandiri (Persero) Tbk", "CV Maju & Jaya", "PT Tiga Pilar 2000":
#: letters, digits, spaces and . , ' - & ( ) /, starting with a letter or digit and with a letter somewhere.
HOLDER_PATTERN = re.compile(r"(?=.*[^\W\d_])[^\W_]+(?:[ .,'&()/-]+[^\W_]*)*")
BANK_NAME_PATTERN = re.compile(r"[\w .,&()'/-]+")
WRONG_PASSWORD = N_("Your password is not correct; the payout account was not changed.")


# --- Checking what people type -----------------------------------------------------------------


def _clean_bank_name(bank_name: str) -> str:
    cleaned = clean_text(bank_name, what=N_("bank name"), field="bank_name", max_length=None, collapse_spaces=True)
    if not cleaned:
        raise InvalidInput(
            _("Enter the name of the bank that holds the payout account, e.g. Bank Mandiri."), field="bank_name"
        )
    if len(cleaned) > MAX_BANK_NAME or not BANK_NAME_PATTERN.fullmatch(cleaned):
        raise InvalidInput(
            _("The bank name may have up to {most} letters, digits, spaces and . , & ( ) ' / -.", most=MAX_BANK_NAME),
            field="bank_name",
        )
    return cleaned


def clean_account_number(account_number: str) -> str:
    """Digits only; spaces and dashes that people type between groups are dropped."""
    low, high = ACCOUNT_DIGITS
    typed = clean_text(
        account_number,
        what=N_("account number"),
        field="account_number",
        max_length=MAX_ACCOUNT_NUMBER,
        collapse_spaces=True,
    )
    cleaned = re.sub(r"[\s-]", "", typed)
    if not cleaned:
        raise InvalidInput(
            _("Enter the payout account number ({low} to {high} digits).", low=low, high=high), field="account_number"
        )
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise InvalidInput(_("The account number may contain digits only."), field="account_number")
    if not low <= len(cleaned) <= high:
        raise InvalidInput(
            _(
                "The account number must have {low} to {high} digits; {entered} entered.",
                low=low,
                high=high,
                entered=len(cleaned),
            ),
            field="account_number",
        )
    return cleaned


def _clean_holder(holder: str) -> str:
    cleaned = clean_text(
        holder,
        what=N_("account holder's name"),
        field="account_holder",
        max_length=MAX_HOLDER,
        collapse_spaces=True,
        required=N_("Enter the account holder's name as the bank has it."),
    )
    if not HOLDER_PATTERN.fullmatch(cleaned):
        raise InvalidInput(
            _("The account holder's name may contain letters, digits, spaces and . , ' - & ( ) / only."),
            field="account_holder",
        )
    return cleaned


# --- The change --------------------------------------------------------------------------------


def _confirm_password(store: Store, actor: Actor, password: str, password_hash: str, now: datetime) -> None:
    """Check the acting user's password again (bcrypt runs outside any write lock, as in core.accounts).

    A wrong password counts towards the lockout like a wrong login (core.accounts' counter), so
    someone at an unlocked screen does not get unlimited guesses at redirecting the payouts.
    """
    if verify_password(password or "", password_hash):
        return
    # As in core.accounts.passwords: this unit of work only counts the failure; the user's standing
    # was checked just before.
    with store.transaction() as session:
        user = session.get_one(User, actor.user_id, with_for_update=True)
        blocked = login.count_failed_password(session, user, now, where="payout account change")
    if blocked:
        raise AccessDenied(policy.BLOCKED_MESSAGE)
    raise InvalidInput(WRONG_PASSWORD, field="current_password")


def change_payout_account(
    store: Store,
    actor: Actor,
    *,
    bank_name: str,
    account_number: str,
    account_holder: str,
    current_password: str,
    now: datetime,
) -> CompanyProfile:
    """Where the company's payouts go from now on. Asks for the password again; audited with both
    account numbers masked. Payouts already created keep the account they were created with."""
    require_role(actor, ADMIN, doing=DOING)
    bank, number = _clean_bank_name(bank_name), clean_account_number(account_number)
    holder = _clean_holder(account_holder)
    with acting(store, actor, ADMIN, doing=DOING, now=now, write=False) as (session, user, now):
        checked_hash = user.password_hash
        current = own_company(session, actor)
        now_paid_to = (current.payout_bank_name, current.payout_account_number, current.payout_account_holder)
        if now_paid_to == (bank, number, holder):
            raise InvalidInput(_("This is already your payout account; nothing was changed."), field="account_number")
    _confirm_password(store, actor, current_password, checked_hash, now)
    with acting(store, actor, ADMIN, doing=DOING, now=now) as (session, user, now):
        session.refresh(user, with_for_update=True)
        if user.password_hash != checked_hash:
            raise InvalidInput(
                _("Your password was changed in the meantime; please try again."), field="current_password"
            )
        user.failed_login_count = 0  # the right password ends a run of wrong ones, as at login
        company = own_company(session, actor, lock=True)
        record(
            session,
            actor,
            now,
            "company.payout_account_changed",
            old_bank=company.payout_bank_name,
            new_bank=bank,
            old_account=mask_account(company.payout_account_number),
            new_account=mask_account(number),
            old_holder=company.payout_account_holder,
            new_holder=holder,
        )
        company.payout_bank_name, company.payout_account_number, company.payout_account_holder = bank, number, holder
        company.updated_at = now
        notify.notify_payout_account_changed(
            session, company_id=company.id, by_user_id=user.id, bank_name=bank, account_number=number, now=now
        )
        return profile_of(company)
