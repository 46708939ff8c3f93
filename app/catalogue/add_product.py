"""The Add product tab: a product with its details, an optional image (previewed first), and its
stock and price in each open warehouse; after adding, a fresh, empty form."""

from __future__ import annotations

import streamlit as st

from app.catalogue.labels import STATUS_LABELS
from app.catalogue.refusals import show_catalogue_refusal
from app.ui.actions import attempt, rerun_saying
from app.ui.formats import count, rupiah
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
from core.images import PRODUCT_IMAGE
from core.store.database import Store

ADD_ROUND = "pm_round_add"


def add_product_tab(store: Store, actor: Actor, warehouses: list[WarehouseRef]) -> None:
    add_round = current_round(ADD_ROUND)
    upload = image_uploader("Product image (optional)", PRODUCT_IMAGE, key=f"pm_add_image_{add_round}")
    image_ok = True
    if upload is not None:
        preview = attempt(lambda: preview_product_image(upload.getvalue(), upload.name))
        image_ok = bool(preview)
        if preview:
            st.image(
                preview.value.data, width=200, caption=f"Preview: {preview.value.width}×{preview.value.height} pixels"
            )
    with st.form(f"pm_add_form_{add_round}"):
        sku = st.text_input(
            "SKU",
            max_chars=MAX_SKU,
            help="Letters, digits, '-', '_' or '.', e.g. BRS-5KG.",
            key=f"pm_add_sku_{add_round}",
        )
        name = st.text_input("Name", max_chars=MAX_NAME, key=f"pm_add_name_{add_round}")
        unit = st.text_input("Unit", value=DEFAULT_UNIT, max_chars=MAX_UNIT, key=f"pm_add_unit_{add_round}")
        description = st.text_area("Description", max_chars=MAX_DESCRIPTION, key=f"pm_add_description_{add_round}")
        status = st.selectbox(
            "Status", list(SETTABLE_STATUSES), format_func=STATUS_LABELS.get, key=f"pm_add_status_{add_round}"
        )
        st.markdown("**Stock and price per warehouse** (leave both empty where you do not stock it)")
        stock = [stock_entry(warehouse.code, add_round) for warehouse in warehouses if warehouse.is_open]
        submitted = st.form_submit_button("Add product", type="primary")
    if not submitted:
        return
    if not image_ok:
        st.error("Choose a valid image or remove it before adding the product.")
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
        stocked = (
            ", ".join(f"{c.warehouse_code} ({count(c.on_hand)} at {rupiah(c.price)})" for c in row.stock)
            or "no warehouse yet"
        )
        rerun_saying(f"Added {row.sku} · {row.name}, stocked in {stocked}.")


def stock_entry(warehouse_code: str, add_round: int) -> NewStock:
    """On hand and price at one warehouse, side by side; both empty where it is not stocked. Typed as
    text, so what reaches core is what was typed: "1000.5" is refused by name, never rounded."""
    on_hand_col, price_col = st.columns(2)
    on_hand = on_hand_col.text_input(
        f"On hand at {typed(warehouse_code)}",
        max_chars=12,
        placeholder="units",
        key=f"pm_add_on_hand_{warehouse_code}_{add_round}",
    )
    price = price_col.text_input(
        f"Price at {typed(warehouse_code)} (Rp)",
        max_chars=13,
        placeholder="whole rupiah",
        key=f"pm_add_price_{warehouse_code}_{add_round}",
    )
    return NewStock(warehouse_code, on_hand or None, price or None)
