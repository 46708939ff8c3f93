"""The Add product tab: a product with its details, an optional image (previewed first), and its
stock and price in each open warehouse; after adding, a fresh, empty form."""

from __future__ import annotations

import streamlit as st

from app.catalogue.labels import status_label
from app.catalogue.refusals import show_catalogue_refusal
from app.ui.actions import attempt, rerun_saying
from app.ui.formats import count, rupiah
from app.ui.language import in_this_language
from app.ui.plain import typed
from app.ui.rounds import current_round, next_round
from app.ui.uploads import image_uploader
from core.acting import Actor
from core.catalogue.planning import WarehouseRef
from core.catalogue.product_images import preview_product_image
from core.catalogue.products import NewStock, add_product
from core.catalogue.rules import (
    DEFAULT_UNIT,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_SKU,
    MAX_UNIT,
    SETTABLE_STATUSES,
    ProductDetails,
)
from core.clock import utc_now
from core.i18n import _, gettext
from core.images import PRODUCT_IMAGE
from core.store.database import Store

ADD_ROUND = "pm_round_add"


def add_product_tab(store: Store, actor: Actor, warehouses: list[WarehouseRef]) -> None:
    add_round = current_round(ADD_ROUND)
    upload = image_uploader(gettext("Product image (optional)"), PRODUCT_IMAGE, key=f"pm_add_image_{add_round}")
    image_ok = True
    if upload is not None:
        preview = attempt(lambda: preview_product_image(upload.getvalue(), upload.name))
        image_ok = bool(preview)
        if preview:
            said = _("Preview: {width}×{height} pixels", width=preview.value.width, height=preview.value.height)
            st.image(preview.value.data, width=200, caption=str(said))
    with st.form(f"pm_add_form_{add_round}"):
        sku = st.text_input(
            "SKU",
            max_chars=MAX_SKU,
            help=gettext("Letters, digits, '-', '_' or '.', e.g. BRS-5KG."),
            key=f"pm_add_sku_{add_round}",
        )
        name = st.text_input(gettext("Name"), max_chars=MAX_NAME, key=f"pm_add_name_{add_round}")
        unit = st.text_input(gettext("Unit"), value=DEFAULT_UNIT, max_chars=MAX_UNIT, key=f"pm_add_unit_{add_round}")
        description = st.text_area(
            gettext("Description"), max_chars=MAX_DESCRIPTION, key=f"pm_add_description_{add_round}"
        )
        status = st.selectbox(
            gettext("Status"),
            list(SETTABLE_STATUSES),
            format_func=in_this_language(status_label),
            key=f"pm_add_status_{add_round}",
        )
        st.markdown(gettext("**Stock and price per warehouse** (leave both empty where you do not stock it)"))
        stock = [stock_entry(warehouse.code, add_round) for warehouse in warehouses if warehouse.is_open]
        submitted = st.form_submit_button(gettext("Add product"), type="primary")
    if not submitted:
        return
    if not image_ok:
        st.error(gettext("Choose a valid image or remove it before adding the product."))
        return
    added = attempt(
        lambda: add_product(
            store,
            actor,
            sku,
            ProductDetails(name, unit, description, status),
            utc_now(),
            stock=stock,
            image=upload.getvalue() if upload else None,
            image_name=upload.name if upload else "",
        ),
        show=show_catalogue_refusal,
    )
    if added:
        row = added.value
        next_round(ADD_ROUND)
        if row.stock:
            stocked = ", ".join(
                _(
                    "{warehouse} ({on_hand} at {price})",
                    warehouse=c.warehouse_code,
                    on_hand=count(c.on_hand),
                    price=rupiah(c.price),
                ).render()
                for c in row.stock
            )
            rerun_saying(_("Added {sku} · {name}, stocked in {stocked}.", sku=row.sku, name=row.name, stocked=stocked))
        rerun_saying(_("Added {sku} · {name}, not stocked in any warehouse yet.", sku=row.sku, name=row.name))


def stock_entry(warehouse_code: str, add_round: int) -> NewStock:
    """On hand and price at one warehouse, side by side; both empty where it is not stocked. Typed as
    text, so what reaches core is what was typed: "1000.5" is refused by name, never rounded."""
    on_hand_col, price_col = st.columns(2)
    on_hand = on_hand_col.text_input(
        _("On hand at {warehouse}", warehouse=typed(warehouse_code)).render(),
        max_chars=12,
        placeholder=gettext("units"),
        key=f"pm_add_on_hand_{warehouse_code}_{add_round}",
    )
    price = price_col.text_input(
        _("Price at {warehouse} (Rp)", warehouse=typed(warehouse_code)).render(),
        max_chars=13,
        placeholder=gettext("whole rupiah"),
        key=f"pm_add_price_{warehouse_code}_{add_round}",
    )
    return NewStock(warehouse_code, on_hand or None, price or None)
