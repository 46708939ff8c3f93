"""Product Management (Product Manager): the catalogue, with stock and price per warehouse.

Four tabs: Products (search and filter, then open one product to modify it, change its image
with a preview, see its price history or delete it), Stock & prices (one editable grid of
product × warehouse, with every bad cell listed and large price changes shown side by side for
an explicit confirmation), Add product, and CSV import / export.

Thin: each action reads the inputs, calls one core.catalogue function and shows the result or the
refusal's sentence. Rupiah as Rp1.234.567, times in the warehouse's zone.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.bootstrap import get_store
from app.session import notify, require_actor
from core.catalogue.csv_export import export_catalogue, export_filename
from core.catalogue.csv_format import CSV_COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS
from core.catalogue.csv_import import ImportPreview, ImportRejected, import_catalogue, preview_import
from core.catalogue.planning import StockEdit
from core.catalogue.products import (
    NewStock,
    ProductRow,
    add_product,
    delete_product,
    get_product,
    list_products,
    modify_product,
    preview_product_image,
    product_image,
    remove_product_image,
    save_product_image,
)
from core.catalogue.rules import (
    DEFAULT_UNIT,
    LARGE_PRICE_CHANGE_PERCENT,
    LOW_STOCK_LEVEL,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_ON_HAND,
    MAX_SKU,
    MAX_UNIT,
    SETTABLE_STATUSES,
    SOURCE_GRID,
    LargePriceChangesUnconfirmed,
    ProductDetails,
    StockEntriesInvalid,
    format_count,
    format_percent,
)
from core.catalogue.stock import GridRow, apply_changes, company_warehouses, preview_changes, price_history, stock_grid
from core.clock import utc_now
from core.domain import ProductStatus, Role
from core.errors import DomainError
from core.formats import format_local, format_rupiah

actor = require_actor(Role.PRODUCT_MANAGER)
st.title("Product Management")
store = get_store()

STATUS_LABELS = {
    ProductStatus.ACTIVE: "Active (on sale)",
    ProductStatus.INACTIVE: "Inactive (hidden from buyers)",
    ProductStatus.DELETED: "Deleted",
}
STATUS_FILTERS = {
    "Active and inactive": None,
    "Active": ProductStatus.ACTIVE,
    "Inactive": ProductStatus.INACTIVE,
    "Deleted": ProductStatus.DELETED,
}
ALL_WAREHOUSES = "All warehouses"
ON_HAND, PRICE = "On hand", "Price (Rp)"  # the grid's editable columns
IMAGE_TYPES = ["png", "jpg", "jpeg", "webp"]


# --- Small helpers -------------------------------------------------------------------------------


def version(name: str) -> int:
    """A counter in a widget's key: bumping it gives a fresh, empty widget after a save."""
    return st.session_state.setdefault("pm_versions", {}).get(name, 0)


def bump(name: str) -> None:
    versions = st.session_state.setdefault("pm_versions", {})
    versions[name] = versions.get(name, 0) + 1


def rupiah(amount: int | None) -> str:
    return "—" if amount is None else format_rupiah(amount)


def show_cell_problems(problems) -> None:
    st.dataframe(
        pd.DataFrame(
            [{"SKU": p.sku, "Warehouse": p.warehouse_code, "Column": p.column, "Problem": p.message} for p in problems]
        ),
        hide_index=True,
        width="stretch",
    )


def show_large_changes(changes) -> None:
    """Old and new price side by side, for the explicit confirmation."""
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "SKU": c.sku,
                    "Product": c.product_name,
                    "Warehouse": c.warehouse_code,
                    "Current price": rupiah(c.old_price),
                    "New price": rupiah(c.new_price),
                    "Change": format_percent(c.percent),
                }
                for c in changes
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def refused(exc: DomainError) -> None:
    """A refusal as the person needs to see it: the sentence, and every bad cell if there are many."""
    st.error(exc.message)
    if isinstance(exc, StockEntriesInvalid):
        show_cell_problems(exc.problems)
    elif isinstance(exc, LargePriceChangesUnconfirmed):
        show_large_changes(exc.changes)


try:
    warehouses = company_warehouses(store, actor)
except DomainError as exc:
    st.error(exc.message)
    st.stop()
warehouse_codes = [w.code for w in warehouses]


# --- Products: list, detail, modify, image, history, delete ---------------------------------------


def product_table(products: list[ProductRow], low_level: int) -> pd.DataFrame:
    rows = []
    for p in products:
        base = {"SKU": p.sku, "Product": p.name, "Unit": p.unit, "Status": p.status.value.title()}
        if not p.stock:
            rows.append(
                {
                    **base,
                    "Warehouse": "not stocked",
                    "On hand": None,
                    "Reserved": None,
                    "Available": None,
                    "Price": "—",
                    "Low stock": "yes",
                }
            )
        for cell in p.stock:
            rows.append(
                {
                    **base,
                    "Warehouse": cell.warehouse_code,
                    "On hand": cell.on_hand,
                    "Reserved": cell.reserved,
                    "Available": cell.available,
                    "Price": format_rupiah(cell.price),
                    "Low stock": "yes" if cell.available <= low_level else "",
                }
            )
    frame = pd.DataFrame(rows)
    for column in ("On hand", "Reserved", "Available"):
        frame[column] = frame[column].astype("Int64")
    return frame


def products_tab() -> None:
    search_col, status_col, warehouse_col, low_col = st.columns([3, 2, 2, 2])
    search = search_col.text_input("Search SKU or name", key="pm_search")
    status = STATUS_FILTERS[status_col.selectbox("Status", list(STATUS_FILTERS), key="pm_status")]
    warehouse = warehouse_col.selectbox("Warehouse", [ALL_WAREHOUSES, *warehouse_codes], key="pm_warehouse")
    low_level = int(
        low_col.number_input(
            "Low stock at or below",
            min_value=0,
            max_value=MAX_ON_HAND,
            value=LOW_STOCK_LEVEL,
            step=1,
            key="pm_low_level",
        )
    )
    low_only = low_col.checkbox("Low stock only", key="pm_low_only")
    try:
        products = list_products(
            store,
            actor,
            search=search,
            status=status,
            low_stock_only=low_only,
            warehouse_code=None if warehouse == ALL_WAREHOUSES else warehouse,
            low_stock_level=low_level,
        )
    except DomainError as exc:
        st.error(exc.message)
        return
    if not products:
        st.info("No products match these filters.")
        return
    st.caption(f"{len(products)} product{'s' if len(products) != 1 else ''}")
    st.dataframe(product_table(products, low_level), hide_index=True, width="stretch")
    names = {p.sku: p.name for p in products}
    sku = st.selectbox("Open a product", list(names), format_func=lambda s: f"{s} · {names[s]}", key="pm_selected")
    if sku:
        product_detail(sku)


def product_detail(sku: str) -> None:
    try:
        product = get_product(store, actor, sku)
        image = product_image(store, actor, sku)
    except DomainError as exc:
        st.error(exc.message)
        return
    st.subheader(f"{product.sku} · {product.name}")
    picture, facts = st.columns([1, 3])
    if image:
        picture.image(image[0], width=200)
    else:
        picture.caption("No image yet.")
    facts.markdown(
        f"**Status:** {STATUS_LABELS[product.status]}  \n**Unit:** {product.unit}  \n"
        f"**Stocked in:** {', '.join(c.warehouse_code for c in product.stock) or 'no warehouse yet'}"
    )
    if product.description:
        facts.text(product.description)
    if product.status == ProductStatus.DELETED:
        st.info(f"{product.sku} is deleted: buyers no longer see it. Its orders and price history are kept.")
    else:
        with st.expander("Modify details"):
            modify_form(product)
        with st.expander("Product image"):
            image_section(product)
        with st.expander("Delete product"):
            delete_section(product)
    with st.expander("Price history", expanded=True):
        history_section(product)


def modify_form(product: ProductRow) -> None:
    key = f"pm_modify_{product.sku}"
    with st.form(key):
        name = st.text_input("Name", value=product.name, max_chars=MAX_NAME, key=f"{key}_name")
        unit = st.text_input("Unit", value=product.unit, max_chars=MAX_UNIT, key=f"{key}_unit")
        description = st.text_area(
            "Description", value=product.description, max_chars=MAX_DESCRIPTION, key=f"{key}_description"
        )
        statuses = list(SETTABLE_STATUSES)
        status = st.selectbox(
            "Status", statuses, index=statuses.index(product.status), format_func=STATUS_LABELS.get, key=f"{key}_status"
        )
        submitted = st.form_submit_button("Save details", type="primary")
    if submitted:
        try:
            modify_product(store, actor, product.sku, ProductDetails(name, unit, description, status), utc_now())
        except DomainError as exc:
            refused(exc)
            return
        notify("success", f"Saved the details of {product.sku}.")
        st.rerun()


def image_section(product: ProductRow) -> None:
    image_version = version(f"image_{product.sku}")
    upload = st.file_uploader(
        "New image: PNG, JPEG or WebP, up to 5 MB", type=IMAGE_TYPES, key=f"pm_image_{product.sku}_{image_version}"
    )
    if upload is not None:
        data = upload.getvalue()
        try:
            preview = preview_product_image(data, upload.name)
        except DomainError as exc:
            st.error(exc.message)
        else:
            st.image(
                preview.data,
                width=240,
                caption=f"Preview, as it will be stored: {preview.width}×{preview.height} pixels",
            )
            if st.button("Save this image", type="primary", key=f"pm_image_save_{product.sku}"):
                try:
                    save_product_image(store, actor, product.sku, data, upload.name, utc_now())
                except DomainError as exc:
                    st.error(exc.message)
                else:
                    bump(f"image_{product.sku}")
                    notify("success", f"Saved the new image of {product.sku}.")
                    st.rerun()
    if product.has_image and st.button("Remove the current image", key=f"pm_image_remove_{product.sku}"):
        try:
            remove_product_image(store, actor, product.sku, utc_now())
        except DomainError as exc:
            st.error(exc.message)
        else:
            notify("success", f"Removed the image of {product.sku}.")
            st.rerun()


def delete_section(product: ProductRow) -> None:
    st.write(
        "Deleting takes the product out of the catalogue and out of the buyers' app. Its orders and price "
        "history are kept. A product on an open order cannot be deleted."
    )
    sure = st.checkbox(f"Yes, delete {product.sku}", key=f"pm_delete_sure_{product.sku}")
    if st.button("Delete product", key=f"pm_delete_{product.sku}"):
        if not sure:
            st.warning(f"Tick “Yes, delete {product.sku}” first.")
            return
        try:
            delete_product(store, actor, product.sku, utc_now())
        except DomainError as exc:
            st.error(exc.message)
            return
        notify("success", f"Deleted {product.sku}. Its orders and price history are kept.")
        st.rerun()


def history_section(product: ProductRow) -> None:
    try:
        entries = price_history(store, actor, product.sku)
    except DomainError as exc:
        st.error(exc.message)
        return
    if not entries:
        st.caption("No price changes recorded yet.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "When": format_local(e.changed_at, e.time_zone),
                    "Warehouse": e.warehouse_code,
                    "Old price": rupiah(e.old_price),
                    "New price": rupiah(e.new_price),
                    "Change": format_percent(e.percent),
                    "Large change confirmed": "yes" if e.confirmed_large_change else "",
                    "By": e.changed_by,
                    "From": e.source,
                }
                for e in entries
            ]
        ),
        hide_index=True,
        width="stretch",
    )


# --- Stock & prices: the grid ------------------------------------------------------------------------


def grid_rows(search: str, warehouse: str) -> tuple[str, list[GridRow]]:
    """The grid's rows and its editor's key. Fresh from the store on every run, except while the
    person has edits in progress: then the rows stay as they were loaded, because the editor keeps
    edits by row position (the save then refuses any cell that moved meanwhile)."""
    signature = f"{version('grid')}|{warehouse}|{search}"
    loaded, key = st.session_state.get("pm_grid_rows"), st.session_state.get("pm_grid_key")
    editing = (
        loaded is not None and loaded[0] == signature and bool((st.session_state.get(key) or {}).get("edited_rows"))
    )
    if not editing:
        rows = stock_grid(
            store, actor, search=search, warehouse_code=None if warehouse == ALL_WAREHOUSES else warehouse
        )
        st.session_state["pm_grid_rows"] = (signature, rows)
        st.session_state["pm_grid_key"] = key = f"pm_grid_{abs(hash(signature))}"
    return key, st.session_state["pm_grid_rows"][1]


def grid_frame(rows: list[GridRow]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "SKU": r.sku,
                "Product": r.name,
                "Warehouse": r.warehouse_code,
                ON_HAND: r.on_hand,
                "Reserved": r.reserved,
                "Available": r.available,
                PRICE: r.price,
                "Current price": rupiah(r.price),
            }
            for r in rows
        ],
        columns=["SKU", "Product", "Warehouse", ON_HAND, "Reserved", "Available", PRICE, "Current price"],
    )
    for column in (ON_HAND, "Reserved", "Available", PRICE):
        frame[column] = frame[column].astype("Int64")
    return frame


def plain(value):
    """A grid cell as plain Python (the core knows nothing of pandas): None when empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def grid_edits(rows: list[GridRow], edited: pd.DataFrame) -> tuple[list[StockEdit], bool]:
    """The whole edited grid for the core, and whether any cell differs from what was loaded."""
    edits, touched = [], False
    for row, on_hand, price in zip(rows, edited[ON_HAND].tolist(), edited[PRICE].tolist()):
        on_hand, price = plain(on_hand), plain(price)
        touched = touched or on_hand != row.on_hand or price != row.price
        edits.append(StockEdit(row.sku, row.warehouse_code, on_hand, price, row.on_hand, row.price))
    return edits, touched


def grid_tab() -> None:
    search_col, warehouse_col = st.columns([3, 2])
    search = search_col.text_input("Search SKU or name", key="pm_grid_search")
    warehouse = warehouse_col.selectbox("Warehouse", [ALL_WAREHOUSES, *warehouse_codes], key="pm_grid_warehouse")
    try:
        key, rows = grid_rows(search, warehouse)
    except DomainError as exc:
        st.error(exc.message)
        return
    if not rows:
        st.info("No products match. Add products first, or change the search.")
        return
    st.caption(
        "Edit **On hand** and **Price (Rp)** (whole rupiah); Reserved and Available are read-only. "
        "An empty row is a warehouse where the product is not stocked yet: fill both to stock it. "
        f"Price changes of more than {LARGE_PRICE_CHANGE_PERCENT}% need your explicit confirmation."
    )
    original = grid_frame(rows)
    locked = [c for c in original.columns if c not in (ON_HAND, PRICE)]
    edited = st.data_editor(
        original,
        key=key,
        hide_index=True,
        num_rows="fixed",
        disabled=locked,
        width="stretch",
        placeholder="—",
        column_config={
            ON_HAND: st.column_config.NumberColumn(ON_HAND, step=1, format="%d"),
            PRICE: st.column_config.NumberColumn(PRICE, step=1, format="%d"),
        },
    )
    edits, touched = grid_edits(rows, edited)
    if touched and st.button("Discard my edits", key="pm_grid_discard"):
        bump("grid")
        st.rerun()
    if touched:
        review_and_save(edits)


def before_after(old, new, show) -> str:
    """'297 → 310' for a change, '297' when it stays, '— → 40' for new stock."""
    return show(new) if old == new else f"{'—' if old is None else show(old)} → {show(new)}"


def large_warning(count: int) -> None:
    st.warning(
        f"{count} price change{'s are' if count != 1 else ' is'} more than {LARGE_PRICE_CHANGE_PERCENT}% "
        f"against the current price. Check {'them' if count != 1 else 'it'} side by side:"
    )


def review_and_save(edits: list[StockEdit]) -> None:
    try:
        preview = preview_changes(store, actor, edits)
    except DomainError as exc:
        refused(exc)
        return
    if preview.is_empty:
        return
    st.markdown(f"**{len(preview.changes)} change{'s' if len(preview.changes) != 1 else ''} to save**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "SKU": c.sku,
                    "Warehouse": c.warehouse_code,
                    "On hand": before_after(c.old_on_hand, c.new_on_hand, format_count),
                    "Price": before_after(c.old_price, c.new_price, rupiah),
                    "Price change": format_percent(c.percent) if c.price_changed else "",
                }
                for c in preview.changes
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    confirmed = False
    if preview.large:
        large_warning(len(preview.large))
        show_large_changes(preview.large)
        confirmed = st.checkbox(
            f"I have checked the {len(preview.large)} large price change"
            f"{'s' if len(preview.large) != 1 else ''} above and want to apply "
            f"{'them' if len(preview.large) != 1 else 'it'}",
            key=f"pm_grid_confirm_{version('grid')}",
        )
    if st.button("Save changes", type="primary", key="pm_grid_save"):
        try:
            applied = apply_changes(
                store,
                actor,
                edits,
                utc_now(),
                source=SOURCE_GRID,
                confirmed_large=preview.large_keys if confirmed else frozenset(),
            )
        except DomainError as exc:
            refused(exc)
            return
        bump("grid")
        notify(
            "success",
            f"Saved: {applied.stock_changes} on-hand figure{'s' if applied.stock_changes != 1 else ''} "
            f"and {applied.price_changes} price{'s' if applied.price_changes != 1 else ''} changed; "
            "every price change is in the price history.",
        )
        st.rerun()


# --- Add product ---------------------------------------------------------------------------------------


def add_tab() -> None:
    add_version = version("add")
    upload = st.file_uploader(
        "Product image (optional): PNG, JPEG or WebP, up to 5 MB", type=IMAGE_TYPES, key=f"pm_add_image_{add_version}"
    )
    image_ok = True
    if upload is not None:
        try:
            preview = preview_product_image(upload.getvalue(), upload.name)
        except DomainError as exc:
            st.error(exc.message)
            image_ok = False
        else:
            st.image(preview.data, width=200, caption=f"Preview: {preview.width}×{preview.height} pixels")
    open_warehouses = [w for w in warehouses if w.is_open]
    with st.form(f"pm_add_form_{add_version}"):
        sku = st.text_input(
            "SKU",
            max_chars=MAX_SKU,
            help="Letters, digits, '-', '_' or '.', e.g. BRS-5KG.",
            key=f"pm_add_sku_{add_version}",
        )
        name = st.text_input("Name", max_chars=MAX_NAME, key=f"pm_add_name_{add_version}")
        unit = st.text_input("Unit", value=DEFAULT_UNIT, max_chars=MAX_UNIT, key=f"pm_add_unit_{add_version}")
        description = st.text_area("Description", max_chars=MAX_DESCRIPTION, key=f"pm_add_description_{add_version}")
        status = st.selectbox(
            "Status", list(SETTABLE_STATUSES), format_func=STATUS_LABELS.get, key=f"pm_add_status_{add_version}"
        )
        st.markdown("**Stock and price per warehouse** (leave both empty where you do not stock it)")
        stock = []
        for warehouse in open_warehouses:
            on_hand_col, price_col = st.columns(2)
            on_hand = on_hand_col.number_input(
                f"On hand at {warehouse.code}",
                value=None,
                step=1,
                format="%d",
                key=f"pm_add_on_hand_{warehouse.code}_{add_version}",
            )
            price = price_col.number_input(
                f"Price at {warehouse.code} (Rp)",
                value=None,
                step=1,
                format="%d",
                key=f"pm_add_price_{warehouse.code}_{add_version}",
            )
            stock.append(NewStock(warehouse.code, on_hand, price))
        submitted = st.form_submit_button("Add product", type="primary")
    if not submitted:
        return
    if not image_ok:
        st.error("Choose a valid image or remove it before adding the product.")
        return
    try:
        row = add_product(
            store,
            actor,
            sku,
            ProductDetails(name, unit, description, status),
            utc_now(),
            stock=stock,
            image=upload.getvalue() if upload else None,
            image_name=upload.name if upload else "",
        )
    except DomainError as exc:
        refused(exc)
        return
    bump("add")
    stocked = (
        ", ".join(f"{c.warehouse_code} ({format_count(c.on_hand)} at {format_rupiah(c.price)})" for c in row.stock)
        or "no warehouse yet"
    )
    notify("success", f"Added {row.sku} · {row.name}, stocked in {stocked}.")
    st.rerun()


# --- CSV import and export --------------------------------------------------------------------------------


def export_section() -> None:
    st.subheader("Export")
    st.caption(
        f"One row per product and warehouse, UTF-8 with a header: {', '.join(CSV_COLUMNS)}. "
        "Deleted products are left out."
    )
    if st.button("Prepare CSV export", key="pm_export"):
        with st.status("Preparing the export…", expanded=True) as status:
            bar = st.progress(0.0)
            try:
                data = export_catalogue(store, actor, on_progress=lambda f, text: bar.progress(f, text=text))
            except DomainError as exc:
                status.update(label="The export failed.", state="error")
                st.error(exc.message)
                return
            rows = max(data.count(b"\r\n") - 1, 0)
            st.session_state["pm_export_file"] = (data, export_filename(actor.company_code, utc_now()), rows)
            status.update(label=f"The export is ready: {format_count(rows)} rows.", state="complete", expanded=False)
    prepared = st.session_state.get("pm_export_file")
    if prepared:
        data, filename, rows = prepared
        st.download_button(
            f"Download {filename} ({format_count(rows)} rows)",
            data,
            file_name=filename,
            mime="text/csv",
            key="pm_export_download",
        )


def checked_import(upload) -> ImportPreview | DomainError:
    """Check an uploaded file once (with progress); kept while the same file stays uploaded."""
    file_key = (upload.file_id, upload.name, upload.size)
    cached = st.session_state.get("pm_import_check")
    if cached and cached[0] == file_key:
        return cached[1]
    bar = st.progress(0.0, text="Checking the file…")
    try:
        result = preview_import(
            store, actor, upload.getvalue(), upload.name, on_progress=lambda f, text: bar.progress(f, text=text)
        )
    except DomainError as exc:
        result = exc
    bar.empty()
    st.session_state["pm_import_check"] = (file_key, result)
    return result


def import_section() -> None:
    st.subheader("Import")
    st.caption(
        f"The same columns as the export. Every row is checked first; nothing is imported unless every row is "
        f"valid. New products and stock levels are created as needed. Up to "
        f"{MAX_IMPORT_BYTES // 1024 // 1024} MB or {format_count(MAX_IMPORT_ROWS)} rows."
    )
    upload = st.file_uploader("CSV file to import", key=f"pm_import_file_{version('import')}")
    if upload is None:
        return
    checked = checked_import(upload)
    if isinstance(checked, DomainError):
        st.error(checked.message)
        if isinstance(checked, ImportRejected):
            st.dataframe(
                pd.DataFrame(
                    [
                        {"Line": p.line, "SKU": p.sku, "Warehouse": p.warehouse_code, "Problem": p.message}
                        for p in checked.problems
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        return
    st.info(
        f"{format_count(checked.rows)} rows checked, all valid: {format_count(checked.created_rows)} "
        f"to create, {format_count(checked.updated_rows)} to update, "
        f"{format_count(checked.unchanged_rows)} unchanged ({len(checked.new_products)} new products, "
        f"{checked.changes.price_changes} price changes)."
    )
    if checked.ignored_columns:
        st.caption(f"Columns ignored: {', '.join(checked.ignored_columns)}.")
    confirmed = False
    if checked.large:
        large_warning(len(checked.large))
        show_large_changes(checked.large)
        confirmed = st.checkbox(
            "I have checked the large price changes above and want to apply them",
            key=f"pm_import_confirm_{version('import')}",
        )
    if st.button(f"Import {format_count(checked.rows)} rows", type="primary", key="pm_import_go"):
        run_import(upload, checked, confirmed)


def run_import(upload, checked: ImportPreview, confirmed: bool) -> None:
    with st.status("Importing…", expanded=True) as status:
        bar = st.progress(0.0)
        try:
            summary = import_catalogue(
                store,
                actor,
                upload.getvalue(),
                upload.name,
                utc_now(),
                confirmed_large=checked.large_keys if confirmed else frozenset(),
                on_progress=lambda f, text: bar.progress(f, text=text),
            )
        except DomainError as exc:
            status.update(label="The import failed: nothing was imported.", state="error")
            refused(exc)
            return
        status.update(label="Imported.", state="complete")
    bump("import")
    st.session_state.pop("pm_import_check", None)
    notify("success", summary.sentence())
    st.rerun()


# Keyed and tracked, so the tab a person works in stays open after a save reruns the page.
products, grid, add, csv_files = st.tabs(
    ["Products", "Stock & prices", "Add product", "CSV import / export"], key="pm_tab", on_change="rerun"
)
with products:
    products_tab()
with grid:
    grid_tab()
with add:
    add_tab()
with csv_files:
    export_section()
    import_section()
