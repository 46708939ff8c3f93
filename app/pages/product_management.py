"""Product Management (Product Manager): the catalogue, with stock and price per warehouse.

Four tabs: Products (search and filter, then open one product to modify it, change its image
with a preview, see its price history or delete it), Stock & prices (one editable grid of
product × warehouse, with every bad cell listed and large price changes shown side by side for
an explicit confirmation), Add product, and CSV import / export. Each tab is a part of
app.catalogue; this page checks who is here, reads the company's warehouses once and lays out the
tabs.
"""

from __future__ import annotations

import streamlit as st

from app.bootstrap import get_store
from app.catalogue.add_product import add_product_tab
from app.catalogue.csv_files import export_section, import_section
from app.catalogue.product_list import products_tab
from app.catalogue.stock_grid import stock_and_prices_tab
from app.session import require_actor
from app.ui.actions import read_or_stop
from core.catalogue.stock import company_warehouses
from core.domain import Role
from core.i18n import gettext

actor = require_actor(Role.PRODUCT_MANAGER)
st.title(gettext("Product Management"))
store = get_store()
warehouses = read_or_stop(lambda: company_warehouses(store, actor))
warehouse_codes = [w.code for w in warehouses]

# Keyed and tracked, so the tab a person works in stays open after a save reruns the page; only the
# open tab is drawn (a click on another reruns the page), so a run reads what the person looks at.
products, grid, add, csv_files = st.tabs(
    [gettext("Products"), gettext("Stock & prices"), gettext("Add product"), gettext("CSV import / export")],
    key="pm_tab",
    on_change="rerun",
)
if products.open:
    with products:
        products_tab(store, actor, warehouse_codes)
if grid.open:
    with grid:
        stock_and_prices_tab(store, actor, warehouse_codes)
if add.open:
    with add:
        add_product_tab(store, actor, warehouses)
if csv_files.open:
    with csv_files:
        export_section(store, actor)
        import_section(store, actor)
