"""One product of the catalogue: its picture and details, and (unless it is deleted) modify its
details, change its image with a preview first, delete it; and its price history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.catalogue.labels import shown_columns, source_name, status_label, yes
from app.catalogue.refusals import show_catalogue_refusal
from app.ui.actions import attempt, rerun_saying
from app.ui.formats import local_time, price_change, rupiah
from app.ui.language import in_this_language
from app.ui.plain import say, typed
from app.ui.rounds import current_round, next_round
from app.ui.uploads import image_uploader
from core.acting import Actor
from core.catalogue.product_images import (
    preview_product_image,
    product_image,
    remove_product_image,
    removing_image,
    save_product_image,
)
from core.catalogue.products import ProductRow, delete_product, get_product, modify_product
from core.catalogue.rules import MAX_DESCRIPTION, MAX_NAME, MAX_UNIT, SETTABLE_STATUSES, ProductDetails
from core.catalogue.stock import price_history
from core.clock import utc_now
from core.domain import ProductStatus
from core.i18n import _, gettext
from core.images import PRODUCT_IMAGE
from core.store.database import Store


def show_product(store: Store, actor: Actor, sku: str) -> None:
    opened = attempt(lambda: (get_product(store, actor, sku), product_image(store, actor, sku)))
    if not opened:
        return
    product, image = opened.value
    st.subheader(f"{typed(product.sku)} · {typed(product.name)}")
    picture, facts = st.columns([1, 3])
    if image:
        picture.image(image[0], width=200)
    else:
        picture.caption(gettext("No image yet."))
    stocked = typed(", ".join(c.warehouse_code for c in product.stock)) or gettext("no warehouse yet")
    facts.markdown(
        "  \n".join(
            (
                _("**Status:** {status}", status=status_label(product.status)).render(),
                _("**Unit:** {unit}", unit=typed(product.unit)).render(),
                _("**Stocked in:** {warehouses}", warehouses=stocked).render(),
            )
        )
    )
    if product.description:
        facts.text(product.description)
    if product.status == ProductStatus.DELETED:
        say(
            "info",
            _("{sku} is deleted: buyers no longer see it. Its orders and price history are kept.", sku=product.sku),
        )
    else:
        with st.expander(gettext("Modify details")):
            modify_form(store, actor, product)
        with st.expander(gettext("Product image")):
            image_section(store, actor, product)
        with st.expander(gettext("Delete product")):
            delete_section(store, actor, product)
    with st.expander(gettext("Price history"), expanded=True):
        history_section(store, actor, product)


def modify_form(store: Store, actor: Actor, product: ProductRow) -> None:
    key = f"pm_modify_{product.sku}"
    with st.form(key):
        name = st.text_input(gettext("Name"), value=product.name, max_chars=MAX_NAME, key=f"{key}_name")
        unit = st.text_input(gettext("Unit"), value=product.unit, max_chars=MAX_UNIT, key=f"{key}_unit")
        description = st.text_area(
            gettext("Description"), value=product.description, max_chars=MAX_DESCRIPTION, key=f"{key}_description"
        )
        statuses = list(SETTABLE_STATUSES)
        status = st.selectbox(
            gettext("Status"),
            statuses,
            index=statuses.index(product.status),
            format_func=in_this_language(status_label),
            key=f"{key}_status",
        )
        submitted = st.form_submit_button(gettext("Save details"), type="primary")
    if submitted and attempt(
        lambda: modify_product(store, actor, product.sku, ProductDetails(name, unit, description, status), utc_now()),
        show=show_catalogue_refusal,
    ):
        rerun_saying(_("Saved the details of {sku}.", sku=product.sku))


def image_section(store: Store, actor: Actor, product: ProductRow) -> None:
    image_round = f"pm_round_image_{product.sku}"
    upload = image_uploader(
        gettext("New image"), PRODUCT_IMAGE, key=f"pm_image_{product.sku}_{current_round(image_round)}"
    )
    if upload is not None:
        data = upload.getvalue()
        preview = attempt(lambda: preview_product_image(data, upload.name))
        if preview:
            said = _(
                "Preview, as it will be stored: {width}×{height} pixels",
                width=preview.value.width,
                height=preview.value.height,
            )
            st.image(preview.value.data, width=240, caption=str(said))
            if st.button(gettext("Save this image"), type="primary", key=f"pm_image_save_{product.sku}") and attempt(
                lambda: save_product_image(store, actor, product.sku, data, upload.name, utc_now())
            ):
                next_round(image_round)
                rerun_saying(_("Saved the new image of {sku}.", sku=product.sku))
    if product.has_image:
        # Confirmed in the same form: the tick and the click arrive together, or nothing happens.
        with st.form(f"pm_image_remove_form_{product.sku}"):
            sure = st.checkbox(typed(removing_image(product.sku)), key=f"pm_image_remove_sure_{product.sku}")
            remove_clicked = st.form_submit_button(
                gettext("Remove the current image"), key=f"pm_image_remove_{product.sku}"
            )
        if remove_clicked and not sure:
            say(
                "warning",
                _(
                    "Tick the box above to confirm removing the image of {sku}; nothing has changed.",
                    sku=product.sku,
                ),
            )
        elif remove_clicked and attempt(lambda: remove_product_image(store, actor, product.sku, utc_now())):
            rerun_saying(_("Removed the image of {sku}.", sku=product.sku))


def delete_section(store: Store, actor: Actor, product: ProductRow) -> None:
    st.write(
        gettext(
            "Deleting takes the product out of the catalogue and out of the buyers' app. Its orders and price "
            "history are kept. A product on an open order cannot be deleted."
        )
    )
    sure = st.checkbox(_("Yes, delete {sku}", sku=typed(product.sku)).render(), key=f"pm_delete_sure_{product.sku}")
    if not st.button(gettext("Delete product"), key=f"pm_delete_{product.sku}"):
        return
    if not sure:
        say("warning", _("Tick “Yes, delete {sku}” first.", sku=product.sku))
    elif attempt(lambda: delete_product(store, actor, product.sku, utc_now())):
        rerun_saying(_("Deleted {sku}. Its orders and price history are kept.", sku=product.sku))


def history_section(store: Store, actor: Actor, product: ProductRow) -> None:
    history = attempt(lambda: price_history(store, actor, product.sku))
    if not history:
        return
    if not history.value:
        st.caption(gettext("No price changes recorded yet."))
        return
    frame = pd.DataFrame(
        [
            {
                "When": local_time(e.changed_at, e.time_zone),
                "Warehouse": e.warehouse_code,
                "Old price": rupiah(e.old_price),
                "New price": rupiah(e.new_price),
                "Change": price_change(e.percent),
                "Large change confirmed": yes(e.confirmed_large_change),
                "By": e.changed_by,
                "From": source_name(e.source),
            }
            for e in history.value
        ]
    )
    st.dataframe(shown_columns(frame), hide_index=True, width="stretch")
