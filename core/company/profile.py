"""The company profile: what buyers see of the seller, and where the seller is paid.

The System Administrator keeps it: the logo (checked by decoding, re-encoded, previewed before it
is saved), the description, the contact phone that buyers call about problems (an Indonesian
number, stored as +62 …), and the payout bank account. Changing the payout account asks for the
administrator's password again and is written to the audit log with both account numbers masked
to their last four digits. The Product Manager reads the profile (Settings shows it).

Every service checks the role first and touches only the actor's own company.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core.accounts import login
from core.accounts import policy
from core import acting
from core.accounts import audit
from core.acting import Actor, require_role
from core.clock import require_aware
from core.domain import ActorKind, Role
from core.errors import AccessDenied, InvalidInput, NotFound
from core.images import LOGO, CheckedImage, check_image
from core.store.models import Company, User
from core.accounts.hashing import verify_password
from core.store.database import Store

ADMIN = Role.SYSTEM_ADMINISTRATOR
PM = Role.PRODUCT_MANAGER

# --- The rules, in one place -------------------------------------------------------------------

MAX_DESCRIPTION = 2000
MAX_BANK_NAME = 100
ACCOUNT_DIGITS = (10, 16)
MAX_HOLDER = 100
HOLDER_PATTERN = re.compile(r"[^\W\d_]+(?:[ .,'-]+[^\W\d_]*)*[.]?")  # letters, spaces and . , ' -
BANK_NAME_PATTERN = re.compile(r"[\w .,&()'/-]+")
#: Indonesian area codes with two digits after the 0 (Jakarta, Bandung, Semarang, Surabaya, Medan);
#: the others have three. Only used to group the digits for reading.
TWO_DIGIT_AREA_CODES = {"21", "22", "24", "31", "61"}
PHONE_EXAMPLES = "+62 21 5091 4000, 021-5091-4000 or 0812 3456 7890"


# --- What the pages read -----------------------------------------------------------------------

@dataclass(frozen=True)
class CompanyProfile:
    company_code: str
    name: str
    description: str
    contact_phone: str | None
    logo: bytes | None
    logo_mime: str | None
    payout_bank_name: str | None
    payout_account_masked: str | None  # the full number is never shown
    payout_account_holder: str | None
    updated_at: datetime


def mask_account(number: str | None) -> str | None:
    """'1230004567890' -> '•••••••••7890': enough to recognise the account, not to use it."""
    if not number:
        return None
    # "•", not "*": pages show it in Markdown, where a run of asterisks means emphasis.
    return "•" * max(len(number) - 4, 0) + number[-4:]


def _own_company(session: Session, actor: Actor, *, lock: bool = False) -> Company:
    company = session.get(Company, actor.company_id, with_for_update=lock)
    if company is None:
        raise NotFound("Your company was not found.")
    return company


def _profile(company: Company) -> CompanyProfile:
    return CompanyProfile(
        company_code=company.company_code, name=company.name, description=company.description or "",
        contact_phone=company.contact_phone, logo=company.logo, logo_mime=company.logo_mime,
        payout_bank_name=company.payout_bank_name, payout_account_masked=mask_account(company.payout_account_number),
        payout_account_holder=company.payout_account_holder, updated_at=company.updated_at,
    )


def company_profile(store: Store, actor: Actor) -> CompanyProfile:
    """The profile as the administrator set it (the Product Manager's Settings shows it read-only)."""
    require_role(actor, ADMIN, PM, doing="see the company profile")
    with store.reading() as session:
        acting.authorize(session, actor, ADMIN, PM, doing="see the company profile")
        return _profile(_own_company(session, actor))


def _audit(session: Session, actor: Actor, now: datetime, action: str, **details) -> None:
    audit.record(session, at=now, actor_kind=ActorKind.USER, actor=actor.label, company_id=actor.company_id,
                 action=action, target=f"company {actor.company_code}", details=details or None)


# --- Description and contact phone -------------------------------------------------------------

def normalise_phone(text: str) -> str:
    """An Indonesian phone number as people write it, in one form: '+62 21 5091 4000'.

    Accepts +62 / 62 / 0 prefixes, spaces, dashes, dots and brackets ('(021) 5091-4000',
    '+62 (0)812 3456 7890'). Mobile numbers (8…) have 9 to 12 digits after the country code,
    fixed lines 8 to 11.
    """
    raw = (text or "").strip()
    if not raw:
        raise InvalidInput(f"Enter the phone number buyers call about orders, e.g. {PHONE_EXAMPLES}.",
                           field="contact_phone")
    compact = re.sub(r"[\s.\-()]", "", raw.replace("(0)", ""))
    if compact.startswith("+62"):
        national = compact[3:]
    elif compact.startswith("62") and not compact.startswith("620"):
        national = compact[2:]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        national = ""
    if not _plausible_national_number(national):
        raise InvalidInput(f"{raw!r} is not an Indonesian phone number; write it like {PHONE_EXAMPLES}.",
                           field="contact_phone")
    return "+62 " + _grouped(national)


def _plausible_national_number(national: str) -> bool:
    if not national.isascii() or not national.isdigit() or national[0] == "0":
        return False
    low, high = (9, 12) if national[0] == "8" else (8, 11)
    return low <= len(national) <= high


def _grouped(national: str) -> str:
    """'2150914000' -> '21 5091 4000'; '81234567890' -> '812 3456 7890'; '361123456' -> '361 123 456'."""
    head_length = 2 if national[:2] in TWO_DIGIT_AREA_CODES else 3
    head, rest = national[:head_length], national[head_length:]
    if len(rest) <= 4:
        return f"{head} {rest}"
    split = 3 if len(rest) <= 7 else 4
    return f"{head} {rest[:split]} {rest[split:]}"


def _clean_description(description: str) -> str:
    cleaned = (description or "").strip()
    if len(cleaned) > MAX_DESCRIPTION:
        raise InvalidInput(f"The description may be at most {MAX_DESCRIPTION} characters long "
                           f"({len(cleaned)} entered).", field="description")
    return cleaned


def update_profile(store: Store, actor: Actor, *, description: str, contact_phone: str,
                   now: datetime) -> CompanyProfile:
    """Change what buyers read about the company: its description and contact phone."""
    require_role(actor, ADMIN, doing="change the company profile")
    now = require_aware(now)
    description, phone = _clean_description(description), normalise_phone(contact_phone)
    with store.transaction() as session:
        acting.authorize(session, actor, ADMIN, doing="change the company profile")
        company = _own_company(session, actor, lock=True)
        changed = {}
        if company.description != description:
            changed["description"] = {"characters": len(description)}
        if company.contact_phone != phone:
            changed["contact_phone"] = [company.contact_phone, phone]
        if changed:
            company.description, company.contact_phone, company.updated_at = description, phone, now
            _audit(session, actor, now, "company.profile_changed", **changed)
        return _profile(company)


# --- Logo --------------------------------------------------------------------------------------

def preview_logo(data: bytes, filename: str) -> CheckedImage:
    """The logo exactly as it would be stored (decoded, checked, re-encoded, scaled down), without
    saving it: the page shows it before the administrator decides."""
    return check_image(data, filename, LOGO, what="logo")


def save_logo(store: Store, actor: Actor, data: bytes, filename: str, now: datetime) -> CheckedImage:
    """Check the upload again (a preview is never trusted) and store the re-encoded image."""
    require_role(actor, ADMIN, doing="change the company logo")
    now = require_aware(now)
    logo = preview_logo(data, filename)
    with store.transaction() as session:
        acting.authorize(session, actor, ADMIN, doing="change the company logo")
        company = _own_company(session, actor, lock=True)
        company.logo, company.logo_mime, company.updated_at = logo.data, logo.mime, now
        _audit(session, actor, now, "company.logo_changed", file=filename[:100], mime=logo.mime,
               width=logo.width, height=logo.height, size=len(logo.data))
    return logo


def remove_logo(store: Store, actor: Actor, now: datetime) -> None:
    require_role(actor, ADMIN, doing="remove the company logo")
    now = require_aware(now)
    with store.transaction() as session:
        acting.authorize(session, actor, ADMIN, doing="remove the company logo")
        company = _own_company(session, actor, lock=True)
        if company.logo is None:
            raise InvalidInput("Your company has no logo to remove.", field="logo")
        company.logo, company.logo_mime, company.updated_at = None, None, now
        _audit(session, actor, now, "company.logo_removed")


# --- Payout bank account -----------------------------------------------------------------------

def _clean_bank_name(bank_name: str) -> str:
    cleaned = " ".join((bank_name or "").split())
    if not cleaned:
        raise InvalidInput("Enter the name of the bank that holds the payout account, e.g. Bank Mandiri.",
                           field="bank_name")
    if len(cleaned) > MAX_BANK_NAME or not BANK_NAME_PATTERN.fullmatch(cleaned):
        raise InvalidInput(f"The bank name may have up to {MAX_BANK_NAME} letters, digits, spaces and . , & ( ) ' / -.",
                           field="bank_name")
    return cleaned


def clean_account_number(account_number: str) -> str:
    """Digits only; spaces and dashes that people type between groups are dropped."""
    low, high = ACCOUNT_DIGITS
    cleaned = re.sub(r"[\s-]", "", account_number or "")
    if not cleaned:
        raise InvalidInput(f"Enter the payout account number ({low} to {high} digits).", field="account_number")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise InvalidInput("The account number may contain digits only.", field="account_number")
    if not low <= len(cleaned) <= high:
        raise InvalidInput(f"The account number must have {low} to {high} digits; {len(cleaned)} entered.",
                           field="account_number")
    return cleaned


def _clean_holder(holder: str) -> str:
    cleaned = " ".join((holder or "").split())
    if not cleaned:
        raise InvalidInput("Enter the account holder's name as the bank has it.", field="account_holder")
    if len(cleaned) > MAX_HOLDER:
        raise InvalidInput(f"The account holder's name may be at most {MAX_HOLDER} characters long.",
                           field="account_holder")
    if not HOLDER_PATTERN.fullmatch(cleaned):
        raise InvalidInput("The account holder's name may contain letters, spaces and . , ' - only.",
                           field="account_holder")
    return cleaned


WRONG_PASSWORD = "Your password is not correct; the payout account was not changed."


def _confirm_password(store: Store, actor: Actor, password: str, password_hash: str, now: datetime) -> None:
    """Check the acting user's password again (bcrypt runs outside any write lock, as in core.accounts).

    A wrong password counts towards the lockout like a wrong login (core.accounts' counter), so
    someone at an unlocked screen does not get unlimited guesses at redirecting the payouts.
    """
    if verify_password(password or "", password_hash):
        return
    with store.transaction() as session:
        user = session.get(User, actor.user_id, with_for_update=True)
        blocked = login.count_failed_password(session, user, now, where="payout account change")
    if blocked:
        raise AccessDenied(policy.BLOCKED_MESSAGE)
    raise InvalidInput(WRONG_PASSWORD, field="current_password")


def change_payout_account(store: Store, actor: Actor, *, bank_name: str, account_number: str,
                          account_holder: str, current_password: str, now: datetime) -> CompanyProfile:
    """Where the company's payouts go from now on. Asks for the password again; audited with both
    account numbers masked. Payouts already created keep the account they were created with."""
    require_role(actor, ADMIN, doing="change the payout account")
    now = require_aware(now)
    bank, number = _clean_bank_name(bank_name), clean_account_number(account_number)
    holder = _clean_holder(account_holder)
    with store.reading() as session:
        checked_hash = acting.authorize(session, actor, ADMIN, doing="change the payout account").password_hash
        current = _own_company(session, actor)
        now_paid_to = (current.payout_bank_name, current.payout_account_number, current.payout_account_holder)
        if now_paid_to == (bank, number, holder):
            raise InvalidInput("This is already your payout account; nothing was changed.", field="account_number")
    _confirm_password(store, actor, current_password, checked_hash, now)
    with store.transaction() as session:
        user = acting.authorize(session, actor, ADMIN, doing="change the payout account")
        session.refresh(user, with_for_update=True)
        if user.password_hash != checked_hash:
            raise InvalidInput("Your password was changed in the meantime; please try again.", field="current_password")
        user.failed_login_count = 0  # the right password ends a run of wrong ones, as at login
        company = _own_company(session, actor, lock=True)
        _audit(session, actor, now, "company.payout_account_changed",
               old_bank=company.payout_bank_name, new_bank=bank,
               old_account=mask_account(company.payout_account_number), new_account=mask_account(number),
               old_holder=company.payout_account_holder, new_holder=holder)
        company.payout_bank_name, company.payout_account_number, company.payout_account_holder = bank, number, holder
        company.updated_at = now
        return _profile(company)
