"""The CSV import / export tab: the whole catalogue as a CSV file (with progress), and a CSV file
checked row by row first, imported only when every row is valid and large price changes are
confirmed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.catalogue.refusals import large_changes_warning, show_catalogue_refusal, show_large_changes
from app.ui.actions import Outcome, attempt, quietly, rerun_saying, show_refusal
from app.ui.formats import count
from app.ui.plain import typed
from app.ui.rounds import current_round, next_round
from core.acting import Actor
from core.catalogue.csv_export import export_catalogue, export_filename
from core.catalogue.csv_format import CSV_COLUMNS, IMPORT_LIMITS, MAX_IMPORT_MEGABYTES
from core.catalogue.csv_import import ImportPreview, ImportRejected, import_catalogue, preview_import
from core.clock import utc_now
from core.errors import DomainError
from core.store.database import Store

IMPORT_ROUND = "pm_round_import"  # a new round after an import: an empty uploader
EXPORT_FILE, IMPORT_CHECK = "pm_export_file", "pm_import_check"


def export_section(store: Store, actor: Actor) -> None:
    st.subheader("Export")
    st.caption(
        f"One row per product and warehouse, UTF-8 with a header: {', '.join(CSV_COLUMNS)}. "
        "Deleted products are left out."
    )
    if st.button("Prepare CSV export", key="pm_export"):
        with st.status("Preparing the export…", expanded=True) as status:
            bar = st.progress(0.0)

            def failed(refusal: DomainError) -> None:
                status.update(label="The export failed.", state="error", expanded=True)
                show_refusal(refusal)

            exported = attempt(
                lambda: export_catalogue(store, actor, on_progress=lambda f, text: bar.progress(f, text=text)),
                show=failed,
            )
            if not exported:
                return
            data = exported.value
            rows = max(data.count(b"\r\n") - 1, 0)
            st.session_state[EXPORT_FILE] = (data, export_filename(actor.company_code, utc_now()), rows)
            status.update(label=f"The export is ready: {count(rows)} rows.", state="complete", expanded=False)
    prepared = st.session_state.get(EXPORT_FILE)
    if prepared:
        data, filename, rows = prepared
        st.download_button(
            f"Download {typed(filename)} ({count(rows)} rows)",
            data,
            file_name=filename,
            mime="text/csv",
            key="pm_export_download",
        )


def import_section(store: Store, actor: Actor) -> None:
    st.subheader("Import")
    st.caption(
        "The same columns as the export. Every row is checked first; nothing is imported unless every row is "
        "valid. New products and stock levels are created as needed."
    )
    # Only .csv files are offered, and the browser refuses a larger file at once; core checks both again.
    upload = st.file_uploader(
        f"CSV file to import: {IMPORT_LIMITS}",
        type=["csv"],
        max_upload_size=MAX_IMPORT_MEGABYTES,
        key=f"pm_import_file_{current_round(IMPORT_ROUND)}",
    )
    if upload is None:
        return
    checked = checked_import(store, actor, upload)
    if not checked:
        show_import_refusal(checked.refusal)
        return
    preview = checked.value
    st.info(
        f"{count(preview.rows)} rows checked, all valid: {count(preview.created_rows)} "
        f"to create, {count(preview.updated_rows)} to update, "
        f"{count(preview.unchanged_rows)} unchanged ({len(preview.new_products)} new products, "
        f"{preview.changes.price_changes} price changes)."
    )
    if preview.ignored_columns:
        st.caption(f"Columns ignored: {typed(', '.join(preview.ignored_columns))}.")
    confirmed = False
    if preview.large:
        large_changes_warning(len(preview.large))
        show_large_changes(preview.large)
        confirmed = st.checkbox(
            "I have checked the large price changes above and want to apply them",
            key=f"pm_import_confirm_{current_round(IMPORT_ROUND)}",
        )
    if st.button(f"Import {count(preview.rows)} rows", type="primary", key="pm_import_go"):
        run_import(store, actor, upload, preview, confirmed)


def checked_import(store: Store, actor: Actor, upload) -> Outcome[ImportPreview]:
    """Check an uploaded file once (with progress); kept while the same file stays uploaded."""
    file_key = (upload.file_id, upload.name, upload.size)
    cached = st.session_state.get(IMPORT_CHECK)
    if cached and cached[0] == file_key:
        return cached[1]
    bar = st.progress(0.0, text="Checking the file…")
    checked = attempt(
        lambda: preview_import(
            store, actor, upload.getvalue(), upload.name, on_progress=lambda f, text: bar.progress(f, text=text)
        ),
        show=quietly,  # shown on every run while the file stays uploaded, by import_section
    )
    bar.empty()
    st.session_state[IMPORT_CHECK] = (file_key, checked)
    return checked


def show_import_refusal(refusal: DomainError) -> None:
    """Why the file cannot be imported, with every bad row and its line number."""
    show_refusal(refusal)
    if isinstance(refusal, ImportRejected):
        st.dataframe(
            pd.DataFrame(
                [
                    {"Line": p.line, "SKU": p.sku, "Warehouse": p.warehouse_code, "Problem": p.message}
                    for p in refusal.problems
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def run_import(store: Store, actor: Actor, upload, preview: ImportPreview, confirmed: bool) -> None:
    with st.status("Importing…", expanded=True) as status:
        bar = st.progress(0.0)

        def failed(refusal: DomainError) -> None:
            status.update(label="The import failed: nothing was imported.", state="error", expanded=True)
            show_catalogue_refusal(refusal)

        imported = attempt(
            lambda: import_catalogue(
                store,
                actor,
                upload.getvalue(),
                upload.name,
                utc_now(),
                confirmed_large=preview.large_keys if confirmed else frozenset(),
                on_progress=lambda f, text: bar.progress(f, text=text),
            ),
            show=failed,
        )
        if not imported:
            return
        status.update(label="Imported.", state="complete")
    next_round(IMPORT_ROUND)
    st.session_state.pop(IMPORT_CHECK, None)
    rerun_saying(imported.value.sentence())
