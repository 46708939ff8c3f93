"""The CSV import / export tab: the whole catalogue as a CSV file (with progress), and a CSV file
checked row by row first, imported only when every row is valid and large price changes are
confirmed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.catalogue.labels import sentence_case, shown_columns
from app.catalogue.refusals import large_changes_warning, show_catalogue_refusal, show_large_changes
from app.ui.actions import Outcome, attempt, quietly, rerun_saying, show_refusal
from app.ui.formats import count
from app.ui.plain import typed
from app.ui.rounds import current_round, next_round
from core.acting import Actor
from core.catalogue.csv_export import export_catalogue, export_filename
from core.catalogue.csv_format import CSV_COLUMNS, IMPORT_LIMITS, MAX_IMPORT_MEGABYTES
from core.catalogue.csv_import import (
    ImportPreview,
    ImportRejected,
    import_catalogue,
    new_products,
    preview_import,
    price_changes,
)
from core.clock import utc_now
from core.errors import DomainError
from core.i18n import _, _n, gettext
from core.store.database import Store

IMPORT_ROUND = "pm_round_import"  # a new round after an import: an empty uploader
EXPORT_FILE, IMPORT_CHECK = "pm_export_file", "pm_import_check"


def export_section(store: Store, actor: Actor) -> None:
    st.subheader(gettext("Export"))
    st.caption(
        _(
            "One row per product and warehouse, UTF-8 with a header: {columns}. Deleted products are left out.",
            columns=", ".join(CSV_COLUMNS),
        ).render()
    )
    if st.button(gettext("Prepare CSV export"), key="pm_export"):
        with st.status(gettext("Preparing the export…"), expanded=True) as status:
            bar = st.progress(0.0)

            def failed(refusal: DomainError) -> None:
                status.update(label=gettext("The export failed."), state="error", expanded=True)
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
            ready = _n(
                "The export is ready: {count} row.", "The export is ready: {count} rows.", rows, count=count(rows)
            )
            status.update(label=ready.render(), state="complete", expanded=False)
    prepared = st.session_state.get(EXPORT_FILE)
    if prepared:
        data, filename, rows = prepared
        st.download_button(
            _n(
                "Download {file} ({count} row)",
                "Download {file} ({count} rows)",
                rows,
                file=typed(filename),
                count=count(rows),
            ).render(),
            data,
            file_name=filename,
            mime="text/csv",
            key="pm_export_download",
        )


def import_section(store: Store, actor: Actor) -> None:
    st.subheader(gettext("Import"))
    st.caption(
        gettext(
            "The same columns as the export. Every row is checked first; nothing is imported unless every row is "
            "valid. New products and stock levels are created as needed."
        )
    )
    # Only .csv files are offered, and the browser refuses a larger file at once; core checks both again.
    upload = st.file_uploader(
        _("CSV file to import: {limits}", limits=IMPORT_LIMITS).render(),
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
        _n(
            "{count} row checked, all valid: {created} to create, {updated} to update, {unchanged} unchanged "
            "({products}, {prices}).",
            "{count} rows checked, all valid: {created} to create, {updated} to update, {unchanged} unchanged "
            "({products}, {prices}).",
            preview.rows,
            count=count(preview.rows),
            created=count(preview.created_rows),
            updated=count(preview.updated_rows),
            unchanged=count(preview.unchanged_rows),
            products=new_products(len(preview.new_products)),
            prices=price_changes(preview.changes.price_changes),
        ).render()
    )
    if preview.ignored_columns:
        st.caption(_("Columns ignored: {columns}.", columns=typed(", ".join(preview.ignored_columns))).render())
    confirmed = False
    if preview.large:
        large_changes_warning(len(preview.large))
        show_large_changes(preview.large)
        confirmed = st.checkbox(
            gettext("I have checked the large price changes above and want to apply them"),
            key=f"pm_import_confirm_{current_round(IMPORT_ROUND)}",
        )
    go = _n("Import {count} row", "Import {count} rows", preview.rows, count=count(preview.rows))
    if st.button(go.render(), type="primary", key="pm_import_go"):
        run_import(store, actor, upload, preview, confirmed)


def checked_import(store: Store, actor: Actor, upload) -> Outcome[ImportPreview]:
    """Check an uploaded file once (with progress); kept while the same file stays uploaded."""
    file_key = (upload.file_id, upload.name, upload.size)
    cached = st.session_state.get(IMPORT_CHECK)
    if cached and cached[0] == file_key:
        return cached[1]
    bar = st.progress(0.0, text=gettext("Checking the file…"))
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
        frame = pd.DataFrame(
            [
                {"Line": p.line, "SKU": p.sku, "Warehouse": p.warehouse_code, "Problem": sentence_case(p.message)}
                for p in refusal.problems
            ]
        )
        st.dataframe(shown_columns(frame), hide_index=True, width="stretch")


def run_import(store: Store, actor: Actor, upload, preview: ImportPreview, confirmed: bool) -> None:
    with st.status(gettext("Importing…"), expanded=True) as status:
        bar = st.progress(0.0)

        def failed(refusal: DomainError) -> None:
            status.update(label=gettext("The import failed: nothing was imported."), state="error", expanded=True)
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
        status.update(label=gettext("Imported."), state="complete")
    next_round(IMPORT_ROUND)
    st.session_state.pop(IMPORT_CHECK, None)
    rerun_saying(imported.value.sentence())
