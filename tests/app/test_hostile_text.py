"""Everything a person or the buyer app typed shows as plain text, on every page (issue 15, defect 1).

Hostile values go straight into the store with SQLAlchemy (what pages do with whatever is stored is
the point here; core's own input checks are tested in tests/core): links and images in Markdown,
HTML, emphasis, Streamlit's colour and icon directives, shortcodes, formulas, bare addresses, and
block markup on the lines of multi-line text. Then every page of both roles runs in AppTest, with
the parts that show details opened, and every string Streamlit reads as Markdown (bodies, headings,
alerts, captions, widget, tab and expander labels, help, radio options, image captions) is checked
for markup that is still live (tests/app/markup.py says how it is read); Plotly figures must carry
their labels HTML-escaped. tests/e2e/test_typed_text_in_browser.py checks in Chromium that nothing
typed becomes a link or an image, and that no request leaves for it.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import sync
from core.catalogue.csv_format import CSV_COLUMNS
from core.clock import utc_now
from core.demo.bulk import generate_bulk
from core.demo.seed import DEMO_COMPANY_CODE
from core.domain import ComplaintResolution
from core.orders import buyer_channel as buyers
from core.orders import seller
from core.store.models import (
    Buyer,
    Company,
    Complaint,
    Order,
    OrderEvent,
    OrderItem,
    Payout,
    Product,
    Refund,
    Shipment,
    User,
    Warehouse,
    WarehouseClosure,
)
from tests.app.conftest import pm
from tests.app.markup import (
    assert_shown_as_typed,
    figure_labels,
    shows,
    unsafe_html_is_not_typed,
)

# --- What was typed ------------------------------------------------------------------------------

#: The defect as found: a buyer's complaint with a link and an image the seller's browser fetched.
LINK = "[Click here to claim your refund](https://evil.example/login) ![px](http://127.0.0.1:9/t.png)"
#: HTML, which Plotly reads in a chart's labels.
TAGS = '<a href="https://evil.example/x">Klik</a> <b>Bold</b> <img src=x onerror=alert(1)>'
#: Emphasis, code, Streamlit's directives and icons, a shortcode, a formula, a script address.
MARKS = "**EVIL bold** _EVIL_ ~~EVIL~~ `EVIL` :red[EVIL] :material/skull: :smile: $x^2$ javascript:alert(1)"
#: Addresses that GitHub-flavoured Markdown makes links of by themselves, and an arrow.
BARE = "https://evil.example/a www.evil.example evil@evil.example <https://evil.example/b> EVIL -> x"
#: Block markup, one construct on each line of a multi-line text.
LINES = "EVIL first line\n# EVILHEAD\n- EVILITEM\n> EVILQUOTE\n\n    EVILCODE\n1. EVILNUM\n===\n[r]: https://evil.example/ref"
#: Fields of at most 32 characters.
SHORT_LINK = "[c](https://evil.example/c)"
SHORT_IMAGE = "![p](http://127.0.0.1:9/p.png)"
UNIT = "<b>EVIL</b>:red[u]"
#: Within the patterns: a SKU (A-Z 0-9 . _ -) and a tracking number (letters, digits - _ /).
SKU = "X._EVIL_.SKU"
TRACKING = "__EVIL__/X_Y_"
ONE_LINE = (LINK, TAGS, MARKS, BARE)


def product_name(index: int) -> str:
    return f"{ONE_LINE[index % len(ONE_LINE)]} {index}"


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


# --- The store, with hostile values in every text field -------------------------------------------


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def orders_in_every_stage(store) -> dict[str, str]:
    """One order in each status Sales Management shows, moved there through core."""
    actor, now = pm(store), utc_now()

    def place() -> str:
        return buyers.place_order(
            store,
            buyer_code="LVM-00001",
            company_code=DEMO_COMPANY_CODE,
            warehouse_code="JKT-01",
            lines=[buyers.OrderLine("SPN-0001", 1), buyers.OrderLine("SPN-0002", 1)],
            now=now,
        ).order_number

    def packed() -> str:
        number = place()
        seller.accept_order(store, actor, number, now)
        with store.reading() as session:
            items = set(session.scalars(select(OrderItem.id).join(Order).where(Order.order_number == number)))
        seller.mark_packed(store, actor, number, items, now)
        return number

    def shipped() -> str:
        number = packed()
        seller.ship_order(
            store, actor, number, courier="JNE", tracking_number="JNE12345", photo=photo(), photo_name="p.png", now=now
        )
        return number

    orders = {"New": place(), "Processing": place(), "Ready to ship": packed(), "Shipped": shipped()}
    seller.accept_order(store, actor, orders["Processing"], now)
    orders["Delivered"] = shipped()
    buyers.mark_delivered(store, order_number=orders["Delivered"], now=now)
    orders["Complained"] = shipped()
    buyers.file_complaint(store, buyer_code="LVM-00001", order_number=orders["Complained"], description="x", now=now)
    orders["Return requested"] = shipped()
    buyers.file_complaint(
        store, buyer_code="LVM-00001", order_number=orders["Return requested"], description="x", now=now
    )
    seller.answer_complaint(store, actor, orders["Return requested"], ComplaintResolution.RETURN, "note", now)
    orders["Rejected"] = place()
    seller.reject_order(store, actor, orders["Rejected"], "reason", now)
    orders["Cancelled"] = place()
    buyers.cancel_order(store, buyer_code="LVM-00001", order_number=orders["Cancelled"], reason="r", now=now)
    return orders


def make_everything_hostile(store) -> None:
    """Hostile values in every text field a person or the buyer app fills, written straight into the store."""
    today = utc_now().date()
    with store.transaction() as session:
        company = session.scalar(select(Company).where(Company.company_code == DEMO_COMPANY_CODE))
        company.name, company.description, company.contact_phone = TAGS, f"{LINES}\n{LINK}", SHORT_LINK
        company.payout_bank_name, company.payout_account_holder = MARKS, LINK
        names = {"pm": LINK, "admin": TAGS, "blocked": MARKS}
        for user in session.scalars(select(User).where(User.company_id == company.id)):
            user.display_name = names.get(user.user_code, BARE)
        warehouses = list(session.scalars(select(Warehouse).where(Warehouse.company_id == company.id)))
        for index, warehouse in enumerate(warehouses):
            warehouse.name, warehouse.address = ONE_LINE[index % len(ONE_LINE)], f"{LINES}\n{BARE}"
            session.add(WarehouseClosure(warehouse_id=warehouse.id, day=today + timedelta(days=20), reason=BARE))
            session.add(WarehouseClosure(warehouse_id=warehouse.id, day=today + timedelta(days=21), reason=MARKS))
        products = list(session.scalars(select(Product).where(Product.company_id == company.id).order_by(Product.id)))
        for index, product in enumerate(products):
            product.name, product.unit, product.description = product_name(index), UNIT, f"{LINES}\n{TAGS}"
            session.execute(
                update(OrderItem).where(OrderItem.product_id == product.id).values(product_name=product.name)
            )
        products[1].sku = SKU
        session.execute(update(OrderItem).where(OrderItem.product_id == products[1].id).values(sku=SKU))
        for buyer in session.scalars(select(Buyer)):
            buyer.name, buyer.phone = LINK, SHORT_IMAGE
        session.scalar(select(Buyer).where(Buyer.buyer_code == "LVM-00001")).buyer_code = SHORT_LINK
        session.execute(update(Order).where(Order.failure_reason.is_not(None)).values(failure_reason=LINES))
        session.execute(update(OrderEvent).values(reason=f"{MARKS} {BARE}", actor_id=LINK))
        session.execute(update(Shipment).values(courier=TAGS, tracking_number=TRACKING))
        session.execute(update(Complaint).values(description=f"{LINK}\n{LINES}", answer_note=MARKS))
        session.execute(update(Refund).values(reason=BARE))
        for index, payout in enumerate(session.scalars(select(Payout).order_by(Payout.id).limit(20))):
            payout.transfer_reference = f"{SHORT_LINK}{index}"  # unique


@pytest.fixture
def hostile_orders(demo_store) -> dict[str, str]:
    orders = orders_in_every_stage(demo_store.store)
    make_everything_hostile(demo_store.store)
    return orders


# --- The Product Manager's pages ------------------------------------------------------------------


def test_sales_management_shows_every_order_s_typed_text_as_plain_text(hostile_orders, app_as):
    app = app_as("pm", page="pages/sales_management.py")
    at = run(app.at)
    stages = {
        "new": ["New"],
        "processing": ["Processing"],
        "to-ship": ["Ready to ship"],
        "in-transit": ["Shipped", "Delivered"],
        "complaints": ["Complained", "Return requested"],
        "failed": ["Rejected", "Cancelled"],
    }
    seen = []
    for stage, statuses in stages.items():
        at.segmented_control(key="stage").set_value(stage)
        for status in statuses:
            at.query_params["order"] = hostile_orders[status]  # opened, as a tick in the list does
            run(at)
            unsafe_html_is_not_typed(at.main, f"Sales Management, {status}")
            seen += assert_shown_as_typed(at.main, f"Sales Management, {status}")
    for value in (LINK, SHORT_LINK, SHORT_IMAGE, TAGS, TRACKING, SKU, product_name(0), LINES, MARKS, BARE):
        assert shows(seen, value), f"Sales Management never showed {value!r} as typed"


def test_product_management_shows_names_units_and_descriptions_as_plain_text(hostile_orders, app_as):
    app = app_as("pm", page="pages/product_management.py")
    at = run(app.at)
    at.selectbox(key="pm_selected").select(SKU)
    run(at)
    seen = assert_shown_as_typed(at.main, "Product Management")
    unsafe_html_is_not_typed(at.main, "Product Management")
    assert shows(seen, f"{SKU} · {product_name(1)}")  # the product's heading
    assert shows(seen, f"Unit:** {UNIT}")
    assert any(LINES in text.value for text in at.text)  # the description, as plain text

    at.session_state["pm_tab"] = "CSV import / export"  # only the open tab is drawn
    run(at)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, "[x](https://evil.example/column)"])
    writer.writerow([SKU, product_name(1), UNIT, "", "active", "JKT-01", "10", "10000", ""])
    at.file_uploader(key="pm_import_file_0").upload("catalogue.csv", out.getvalue().encode(), "text/csv")
    run(at)
    seen = assert_shown_as_typed(at.main, "Product Management")
    unsafe_html_is_not_typed(at.main, "Product Management")
    assert shows(seen, "[x](https://evil.example/column)")  # a CSV column it ignores


def test_settings_shows_warehouses_closures_company_and_the_user_as_plain_text(hostile_orders, app_as):
    app = app_as("pm", page="pages/settings.py")
    at = run(app.at)
    seen = assert_shown_as_typed(at.main, "Settings")
    assert shows(seen, LINK)  # the user's own name, the payout account's holder
    assert shows(seen, TAGS)  # the company's name
    assert shows(seen, SHORT_LINK)  # the contact phone
    assert any(LINES in text.value for text in at.text)  # the company's description, as plain text


@pytest.fixture
def hostile_sales(demo_store):
    """Bulk sales whose products, buyers and warehouses carry hostile names, then synced."""
    store, now = demo_store.store, utc_now()
    generate_bulk(store, orders=300, company_code=DEMO_COMPANY_CODE, seed=5, now=now, days=25)
    make_everything_hostile(store)
    sync(store, AnalyticsStore(demo_store.settings.analytics_dir), now)
    return demo_store


def test_the_dashboard_and_its_charts_show_typed_names_as_plain_text(hostile_sales, app_as):
    app = app_as("pm", page="pages/dashboard.py")
    at = run(app.at)
    assert_shown_as_typed(at.main, "Dashboard")
    figures = figure_labels(at)
    top = figures["Top products by completed revenue (Rp)"]
    assert any(html.escape(TAGS, quote=False) in label for label in top), top
    for title, labels in figures.items():
        for label in labels:
            if "vil" in label or "EVIL" in label or "Klik" in label:
                assert not re.search(r"<[A-Za-z/!]|\$", label), f"{title}: {label!r} is read as HTML or a formula"


def test_transaction_history_shows_typed_names_as_plain_text(hostile_sales, app_as):
    app = app_as("pm", page="pages/transaction_history.py")
    at = run(app.at)
    assert_shown_as_typed(at.main, "Transaction History")
    unsafe_html_is_not_typed(at.main, "Transaction History")


# --- The System Administrator's pages -------------------------------------------------------------


def test_warehouse_management_shows_names_as_plain_text(hostile_orders, app_as):
    app = app_as("admin", page="pages/warehouse_management.py")
    at = run(app.at)
    assert_shown_as_typed(at.main, "Warehouse Management")
    assert LINK in set(at.dataframe[0].value["Name"])  # the names are there, in a table (plain text)


def test_company_profile_shows_the_company_s_typed_text_as_plain_text(hostile_orders, app_as):
    app = app_as("admin", page="pages/company_profile.py")
    at = run(app.at)
    seen = assert_shown_as_typed(at.main, "Company Profile")
    assert shows(seen, TAGS)  # the company's name
    assert shows(seen, LINK)  # the payout account's holder
    assert shows(seen, MARKS)  # the bank's name
    assert any(LINES in text.value for text in at.text)  # the description, as plain text


# --- Core's sentences, which quote what was typed -------------------------------------------------


def refuse_with_typed_text():
    from app.ui.actions import attempt
    from core.errors import InvalidInput

    def refused():
        raise InvalidInput("There is no product [Klik](https://evil.example/x) in your catalogue.", field="sku")

    attempt(refused)


def test_a_refusal_quoting_typed_text_shows_it_as_plain_text():
    at = AppTest.from_function(refuse_with_typed_text, default_timeout=30).run()
    assert not at.exception, at.exception
    seen = assert_shown_as_typed(at.main, "a refusal")
    assert shows(seen, "There is no product [Klik](https://evil.example/x) in your catalogue.")


# --- Notices after a rerun, and the sidebar (drawn by app/session.py and app/main.py) -------------


def test_success_notices_show_a_typed_warehouse_name_and_closure_reason_as_plain_text(hostile_orders, app_as):
    admin = app_as("admin", page="pages/warehouse_management.py")
    at = run(admin.at)
    renamed = "[Gudang](https://evil.example/w) <b>Baru</b> :red[x]"
    at.text_input(key="modify_name_JKT-01").input(renamed)
    next(b for b in at.button if b.label == "Save changes").click()
    run(at)
    notices = [s.value for s in at.success]
    assert shows(notices, renamed), notices
    assert_shown_as_typed(at.main, "Warehouse Management, after saving")

    manager = app_as("pm", page="pages/settings.py")
    at = run(manager.at)
    reason = "Stock-taking ![t](http://127.0.0.1:9/s.png) $x$"
    at.text_input(key="closure_reason_JKT-01").input(reason)
    next(b for b in at.button if b.label == "Add closure").click()
    run(at)
    notices = [s.value for s in at.success]
    assert shows(notices, reason), notices
    assert_shown_as_typed(at.main, "Settings, after adding a closure")


def test_the_sidebar_shows_the_user_s_own_name_as_plain_text(hostile_orders, app_as):
    app = app_as("pm", page="pages/settings.py")
    at = run(app.at)
    seen = assert_shown_as_typed(at.sidebar, "the sidebar")
    assert shows(seen, LINK)


def test_the_forced_password_change_greets_the_user_by_name_as_plain_text(hostile_orders, demo_store, app_as):
    with demo_store.store.transaction() as session:
        session.execute(update(User).where(User.user_code == "pm").values(must_change_password=True))
    app = app_as("pm")
    at = run(app.at)
    assert at.title[0].value == "Change your password"
    seen = assert_shown_as_typed(at.main, "the forced password change")
    assert shows(seen, LINK)
