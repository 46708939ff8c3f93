"""The open order's timeline in Sales Management reads as sentences with names (AppTest on a
throw-away demo store): who by name, never "by user DEMO01/pm"; typed names shown as typed."""

from __future__ import annotations

from sqlalchemy import select, update

from core.acting import Actor
from core.clock import utc_now
from core.domain import OrderStatus, Role
from core.orders import buyer_channel as buyers
from core.orders import seller
from core.orders.lifecycle import STATUS_LABELS
from core.store.models import Buyer, Company, User
from tests.app.screen import run

PAGE = "pages/sales_management.py"


def pm_actor(store) -> Actor:
    with store.reading() as session:
        company = session.scalar(select(Company).where(Company.company_code == "DEMO01"))
        user = session.scalar(select(User).where(User.company_id == company.id, User.user_code == "pm"))
        return Actor(user.id, company.id, "DEMO01", "pm", Role.PRODUCT_MANAGER)


def timeline(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("- ")]


def test_the_timeline_says_who_did_what_by_name(app_as):
    app = app_as("pm", run=False)
    with app.store.transaction() as session:  # a shop name with Markdown in it stays as typed
        session.execute(update(Buyer).where(Buyer.buyer_code == "LVM-00001").values(name="Toko *Makmur*"))
    number = buyers.place_order(
        app.store,
        buyer_code="LVM-00001",
        company_code="DEMO01",
        warehouse_code="JKT-01",
        lines=[buyers.OrderLine("SPN-0001", 1)],
        now=utc_now(),
    ).order_number
    seller.accept_order(app.store, pm_actor(app.store), number, utc_now())
    app.at.run()
    app.at.switch_page(PAGE).run()
    app.at.query_params["order"] = number
    at = run(app)
    placed, accepted = timeline(at)
    waiting = STATUS_LABELS[OrderStatus.PENDING_CONFIRMATION]
    assert placed.endswith(f" WIB — **{waiting}**: placed by the buyer Toko \\*Makmur\\* (LVM-00001)")
    assert accepted.endswith(f" WIB — **{STATUS_LABELS[OrderStatus.PROCESSING]}**: accepted by Putri Maharani (pm)")
    assert "DEMO01/pm" not in " ".join(timeline(at))
