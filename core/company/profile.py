"""The company profile: what buyers see of the seller (logo, description, contact phone), and the
profile view that both pages read, the payout account masked in it.

The System Administrator keeps it: the logo (checked by decoding, re-encoded, previewed before it
is saved), the description and the contact phone that buyers call about problems (an Indonesian
number, stored as +62 …). The Product Manager reads the profile (Settings shows it).

Every service is one unit of work through `acting` and touches only the actor's own company.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core.accounts import audit
from core.acting import Actor, acting, require_role
from core.domain import Role
from core.errors import InvalidInput, NotFound
from core.i18n import N_, Message, _
from core.images import LOGO, CheckedImage, check_image
from core.store.database import Store
from core.store.models import Company
from core.text import clean_text

ADMIN = Role.SYSTEM_ADMINISTRATOR
PM = Role.PRODUCT_MANAGER

# --- The rules, in one place -------------------------------------------------------------------

MAX_DESCRIPTION = 2000
#: The contact phone as typed (spaces, dashes and brackets included); it is stored as +62 ….
MAX_PHONE = 32
#: Indonesian area codes with two digits after the 0 (Jakarta, Bandung, Semarang, Surabaya, Medan);
#: the others have three. Only used to group the digits for reading.
TWO_DIGIT_AREA_CODES = {"21", "22", "24", "31", "61"}
#: How people may write it (marked for the catalogue: pages show it with gettext).
PHONE_EXAMPLES = N_("+62 21 5091 4000, 021-5091-4000 or 0812 3456 7890")


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


def own_company(session: Session, actor: Actor, *, lock: bool = False) -> Company:
    """The actor's company, read in the caller's unit of work (locked for a change)."""
    company = session.get(Company, actor.company_id, with_for_update=lock)
    if company is None:
        raise NotFound(_("Your company was not found."))
    return company


def profile_of(company: Company) -> CompanyProfile:
    return CompanyProfile(
        company_code=company.company_code,
        name=company.name,
        description=company.description or "",
        contact_phone=company.contact_phone,
        logo=company.logo,
        logo_mime=company.logo_mime,
        payout_bank_name=company.payout_bank_name,
        payout_account_masked=mask_account(company.payout_account_number),
        payout_account_holder=company.payout_account_holder,
        updated_at=company.updated_at,
    )


def record(session: Session, actor: Actor, now: datetime, action: str, **details) -> None:
    """The audit entry of a change to the actor's company."""
    audit.record_by_actor(session, actor, now, action, f"company {actor.company_code}", **details)


def company_profile(store: Store, actor: Actor) -> CompanyProfile:
    """The profile as the administrator set it (the Product Manager's Settings shows it read-only)."""
    with acting(store, actor, ADMIN, PM, doing=N_("see the company profile"), write=False) as (session, _user, _now):
        return profile_of(own_company(session, actor))


# --- Description and contact phone -------------------------------------------------------------


def normalise_phone(text: str) -> str:
    """An Indonesian phone number as people write it, in one form: '+62 21 5091 4000'.

    Accepts +62 / 62 / 0 prefixes, spaces, dashes, dots and brackets ('(021) 5091-4000',
    '+62 (0)812 3456 7890'). Mobile numbers (8…) have 9 to 12 digits after the country code,
    fixed lines 8 to 11.
    """
    raw = clean_text(text, what=N_("contact phone"), field="contact_phone", max_length=MAX_PHONE)
    if not raw:
        raise InvalidInput(
            _("Enter the phone number buyers call about orders, e.g. {examples}.", examples=Message(PHONE_EXAMPLES)),
            field="contact_phone",
        )
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
        raise InvalidInput(
            _(
                "{phone} is not an Indonesian phone number; write it like {examples}.",
                phone=repr(raw),
                examples=Message(PHONE_EXAMPLES),
            ),
            field="contact_phone",
        )
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
    return clean_text(
        description,
        what=N_("description"),
        field="description",
        max_length=MAX_DESCRIPTION,
        multiline=True,
        too_long=N_("The description may be at most {limit} characters long ({length} entered)."),
    )


def update_profile(
    store: Store, actor: Actor, *, description: str, contact_phone: str, now: datetime
) -> CompanyProfile:
    """Change what buyers read about the company: its description and contact phone."""
    require_role(actor, ADMIN, doing=N_("change the company profile"))
    description, phone = _clean_description(description), normalise_phone(contact_phone)
    with acting(store, actor, ADMIN, doing=N_("change the company profile"), now=now) as (session, _user, now):
        company = own_company(session, actor, lock=True)
        changed: dict[str, object] = {}
        if company.description != description:
            changed["description"] = {"characters": len(description)}
        if company.contact_phone != phone:
            changed["contact_phone"] = [company.contact_phone, phone]
        if changed:
            company.description, company.contact_phone, company.updated_at = description, phone, now
            record(session, actor, now, "company.profile_changed", **changed)
        return profile_of(company)


# --- Logo --------------------------------------------------------------------------------------


def preview_logo(data: bytes, filename: str) -> CheckedImage:
    """The logo exactly as it would be stored (decoded, checked, re-encoded, scaled down), without
    saving it: the page shows it before the administrator decides."""
    return check_image(data, filename, LOGO, what="logo")


def save_logo(store: Store, actor: Actor, data: bytes, filename: str, now: datetime) -> CheckedImage:
    """Check the upload again (a preview is never trusted) and store the re-encoded image."""
    require_role(actor, ADMIN, doing=N_("change the company logo"))
    logo = preview_logo(data, filename)
    with acting(store, actor, ADMIN, doing=N_("change the company logo"), now=now) as (session, _user, now):
        company = own_company(session, actor, lock=True)
        company.logo, company.logo_mime, company.updated_at = logo.data, logo.mime, now
        record(
            session,
            actor,
            now,
            "company.logo_changed",
            file=filename[:100],
            mime=logo.mime,
            width=logo.width,
            height=logo.height,
            size=len(logo.data),
        )
    return logo


#: What removing the logo does, in one sentence, for the confirmation.
REMOVING_LOGO = N_(
    "Remove the company logo: buyers see no logo until a new one is saved, and the removed logo cannot be brought back."
)


def remove_logo(store: Store, actor: Actor, now: datetime) -> None:
    with acting(store, actor, ADMIN, doing=N_("remove the company logo"), now=now) as (session, _user, now):
        company = own_company(session, actor, lock=True)
        if company.logo is None:
            raise InvalidInput(_("Your company has no logo to remove."), field="logo")
        company.logo, company.logo_mime, company.updated_at = None, None, now
        record(session, actor, now, "company.logo_removed")
