"""Company Profile (System Administrator): what buyers see (logo, description, contact phone) and
the payout bank account.

Thin: each form calls one core.company service. The logo is checked and shown as it will be
stored before the administrator saves it; the payout account asks for the password again.
"""

from __future__ import annotations

import streamlit as st

from app.bootstrap import get_store
from app.session import require_actor
from app.ui.actions import attempt, read_or_stop, rerun_saying, show_refusal
from app.ui.plain import say, typed
from app.ui.rounds import current_round, next_round
from app.ui.uploads import image_uploader
from core.accounts.policy import PASSWORD_MAX_LENGTH
from core.clock import utc_now
from core.company import payout_account as payout
from core.company import profile as company
from core.domain import Role
from core.errors import AccessDenied, DomainError
from core.i18n import _, gettext
from core.images import LOGO

actor = require_actor(Role.SYSTEM_ADMINISTRATOR)
st.title(gettext("Company Profile"))

store = get_store()
_UPLOAD_ROUND = "_logo_upload_round"  # the next round after saving empties the uploader (app.ui.rounds)


def _refused_or_blocked(refusal: DomainError) -> None:
    """Access denied (e.g. the fifth wrong password blocked the user): rerun at once; the next run
    ends the session and says why. Any other refusal: its sentence, and the form stays as typed."""
    if isinstance(refusal, AccessDenied):
        st.rerun()
    show_refusal(refusal)


current = read_or_stop(lambda: company.company_profile(store, actor))

logo_col, text_col = st.columns([1, 3])
with logo_col:
    if current.logo:
        st.image(current.logo, caption=gettext("Current logo"), width=160)
    else:
        st.caption(gettext("No logo yet."))
with text_col:
    st.markdown(
        _("**{name}** · Company ID {code}", name=typed(current.name), code=typed(current.company_code)).render()
    )
    st.text(current.description or gettext("No description yet."))
    if current.contact_phone:
        st.markdown(_("Contact phone for buyers: {phone}", phone=typed(current.contact_phone)).render())
    else:
        st.markdown(gettext("Contact phone for buyers: not set"))

# --- What buyers see ---------------------------------------------------------------------------
st.subheader(gettext("Description and contact phone"))
with st.form("profile"):
    description = st.text_area(
        gettext("Description"),
        value=current.description,
        max_chars=company.MAX_DESCRIPTION,
        key="profile_description",
        help=gettext("Shown to buyers in their app."),
    )
    phone = st.text_input(
        gettext("Contact phone"),
        value=current.contact_phone or "",
        max_chars=32,
        key="profile_phone",
        help=_(
            "Buyers call this number about their orders. E.g. {examples}.",
            examples=gettext(company.PHONE_EXAMPLES),
        ).render(),
    )
    profile_clicked = st.form_submit_button(gettext("Save profile"), type="primary")
if profile_clicked:
    saved = attempt(
        lambda: company.update_profile(store, actor, description=description, contact_phone=phone, now=utc_now())
    )
    if saved:
        rerun_saying(
            _(
                "The profile is saved. Buyers now see the contact phone {phone}.", phone=saved.value.contact_phone
            ).render()
        )

# --- Logo --------------------------------------------------------------------------------------
st.subheader(gettext("Logo"))
upload_round = current_round(_UPLOAD_ROUND)
# The browser refuses a larger file at once; core checks the size (and everything else) again.
upload = image_uploader(gettext("New logo"), LOGO, key=f"logo_upload_{upload_round}")
if upload is not None:
    data = upload.getvalue()
    checked = attempt(lambda: company.preview_logo(data, upload.name), spinner=gettext("Checking the image…"))
    if checked:
        preview = checked.value
        st.image(
            preview.data,
            width=min(preview.width, 320),
            caption=_(
                "Preview, as it will be stored: {width}×{height} pixels. Not saved yet.",
                width=preview.width,
                height=preview.height,
            ).render(),
        )
        if st.button(gettext("Save this logo"), type="primary", key="save_logo") and attempt(
            lambda: company.save_logo(store, actor, data, upload.name, utc_now())
        ):
            next_round(_UPLOAD_ROUND)
            rerun_saying(gettext("The new logo is saved."))
elif current.logo:
    # Confirmed in the same form: the tick and the click arrive together, or nothing happens.
    with st.form("remove_logo_form"):
        sure = st.checkbox(gettext(company.REMOVING_LOGO), key="remove_logo_sure")
        remove_clicked = st.form_submit_button(gettext("Remove the logo"), key="remove_logo")
    if remove_clicked and not sure:
        say("warning", gettext("Tick the box above to confirm removing the logo; nothing has changed."))
    elif remove_clicked and attempt(lambda: company.remove_logo(store, actor, utc_now())):
        rerun_saying(gettext("The logo is removed."))

# --- Payout account ----------------------------------------------------------------------------
st.subheader(gettext("Payout bank account"))
if current.payout_account_masked:
    st.markdown(
        _(
            "Payouts go to {bank} account {account} ({holder}).",
            bank=typed(current.payout_bank_name),
            account=typed(current.payout_account_masked),
            holder=typed(current.payout_account_holder),
        ).render()
    )
else:
    st.warning(gettext("No payout account is set: completed sales cannot be paid out until one is."))
st.caption(
    gettext(
        "Changing the account asks for your password again and is recorded in the audit log. Payouts already "
        "created keep the account they were created with."
    )
)
# Cleared after each submit, so the password does not stay in the form.
with st.form("payout", clear_on_submit=True):
    bank_name = st.text_input(
        gettext("Bank name"),
        value=current.payout_bank_name or "Bank Mandiri",
        max_chars=payout.MAX_BANK_NAME,
        key="payout_bank",
    )
    account_number = st.text_input(
        gettext("New account number"),
        max_chars=40,
        key="payout_number",
        placeholder=_("{low} to {high} digits", low=payout.ACCOUNT_DIGITS[0], high=payout.ACCOUNT_DIGITS[1]).render(),
    )
    holder = st.text_input(
        gettext("Account holder"),
        value=current.payout_account_holder or "",
        max_chars=payout.MAX_HOLDER,
        key="payout_holder",
    )
    password = st.text_input(
        gettext("Your password"),
        type="password",
        max_chars=PASSWORD_MAX_LENGTH,
        key="payout_password",
        help=gettext("The password you log in with; it confirms that it is you."),
    )
    payout_clicked = st.form_submit_button(gettext("Change payout account"), type="primary")
if payout_clicked:
    changed = attempt(
        lambda: payout.change_payout_account(
            store,
            actor,
            bank_name=bank_name,
            account_number=account_number,
            account_holder=holder,
            current_password=password,
            now=utc_now(),
        ),
        show=_refused_or_blocked,
    )
    if changed:
        saved = changed.value
        rerun_saying(
            _(
                "The payout account is changed: payouts from now on go to {bank} account {account} ({holder}).",
                bank=saved.payout_bank_name,
                account=saved.payout_account_masked,
                holder=saved.payout_account_holder,
            ).render()
        )
