"""The papers a warehouse prints: packing lists, invoices and shipping labels as PDF, read back with
pypdf. One page per order (one label per page) for one order and for several; the text holds what
each paper promises; typed text, however hostile, is written literally and never as a link; a name
the font cannot draw does not crash; another company's order is refused as order_detail refuses it.
On SQLite and PostgreSQL (the gathering); the PDFs themselves touch no store."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from core.errors import InvalidInput, NotFound
from core.orders import buyer_channel as buyers
from core.orders import papers, seller, views
from core.orders.buyer_channel import OrderLine, ShipTo
from core.orders.papers import OrderPaper, invoice_pdf, order_papers, packing_list_pdf, shipping_label_pdf
from core.orders.views import ItemView
from core.store.models import Buyer, Company, Product, Warehouse
from tests.builders import MONDAY_10, place, ship

PAPERS = {"packing list": packing_list_pdf, "invoice": invoice_pdf, "shipping label": shipping_label_pdf}
HOSTILE_PRODUCT = '<a href="https://evil.example/x">Klik</a>'
HOSTILE_BUYER = "[x](https://evil.example) {nb}"


def set_up_seller(world) -> None:
    """The legal name, contact phone and warehouse address the papers print; a buyer's address."""
    with world.store.transaction() as session:
        session.execute(
            update(Company)
            .where(Company.company_code == "ACME01")
            .values(name="PT Acme Pangan Nusantara Tbk", contact_phone="+62 21 5091 4000")
        )
        session.execute(
            update(Warehouse)
            .where(Warehouse.company_id == world.pm.company_id)
            .values(name="Gudang Sunter", address="Jl. Industri Raya No. 12\nJakarta Utara 14350")
        )
        session.execute(
            update(Buyer)
            .where(Buyer.buyer_code == "BUY-1")
            .values(phone="+62 812 1111 2222", address="Jl. Pasar Baru No. 7", city="Jakarta Pusat")
        )


def place_two_lines(world, rice: int, oil: int, *, ship_to: ShipTo | None = None, at=MONDAY_10) -> str:
    return buyers.place_order(
        world.store,
        buyer_code="BUY-1",
        company_code="ACME01",
        warehouse_code="JKT-1",
        lines=[OrderLine("RICE-5", rice), OrderLine("OIL-2", oil)],
        now=at,
        ship_to=ship_to,
    ).order_number


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text with its runs of whitespace made single spaces (table cells wrap lines)."""
    return [" ".join(page.extract_text().split()) for page in read(pdf).pages]


def links_in(pdf: bytes) -> list:
    annotations = []
    for page in read(pdf).pages:
        for annotation in page.get("/Annots") or []:
            annotations.append(annotation.get_object())
    return annotations


@pytest.fixture
def three(world) -> list[str]:
    set_up_seller(world)
    return [
        place_two_lines(world, 3, 2),
        place_two_lines(world, 1, 1, at=MONDAY_10 + timedelta(hours=1)),
        place_two_lines(world, 5, 4, at=MONDAY_10 + timedelta(hours=2)),
    ]


@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize("paper", list(PAPERS))
def test_each_paper_has_one_page_per_order_in_the_order_given(world, three, paper, count):
    numbers = list(reversed(three))[:count]
    pdf = PAPERS[paper](order_papers(world.store, world.pm, numbers))
    texts = page_texts(pdf)
    assert len(texts) == count
    for number, text in zip(numbers, texts):
        assert number in text
        assert all(other not in text for other in three if other != number)


def test_the_packing_list_holds_what_to_pick_and_where_it_goes(world, three):
    text = page_texts(packing_list_pdf(order_papers(world.store, world.pm, three[:1])))[0]
    for words in (
        "PACKING LIST",
        three[0],
        "Placed 23 Nov 2026 10:00 WIB",
        "JKT-1 · Gudang Sunter",
        "No SKU Product Qty ✓",
        "1 RICE-5 Product RICE-5 3",
        "2 OIL-2 Product OIL-2 2",
        "2 lines · 5 units",
        "Toko Makmur +62 812 1111 2222 Jl. Pasar Baru No. 7 Jakarta Pusat",
    ):
        assert words in text


def test_the_invoice_holds_the_seller_the_buyer_the_lines_and_the_total_in_rupiah(world, three):
    text = page_texts(invoice_pdf(order_papers(world.store, world.pm, three[2:])))[0]
    for words in (
        "INVOICE",
        "PT Acme Pangan Nusantara Tbk",
        "Company ID ACME01",
        "Phone +62 21 5091 4000",
        f"Order {three[2]}",
        "Order date 23 Nov 2026 12:00 WIB",
        "Toko Makmur Buyer BUY-1",
        "Toko Makmur +62 812 1111 2222 Jl. Pasar Baru No. 7 Jakarta Pusat",
        "1 RICE-5 Product RICE-5 5 Rp75.000 Rp375.000",
        "2 OIL-2 Product OIL-2 4 Rp36.500 Rp146.000",
        "Total Rp521.000",
    ):
        assert words in text
    assert "fee" not in text.replace("No fees are charged", "").lower()


def test_the_invoice_gives_the_placed_time_in_the_warehouses_zone(world, three):
    with world.store.transaction() as session:
        session.execute(update(Warehouse).values(time_zone="Asia/Jayapura"))
    text = page_texts(invoice_pdf(order_papers(world.store, world.pm, three[:1])))[0]
    assert "Order date 23 Nov 2026 12:00 WIT" in text  # 10:00 WIB is 12:00 WIT


def test_the_label_holds_the_ship_to_the_return_address_and_once_shipped_the_courier(world, three):
    number = three[0]
    before = page_texts(shipping_label_pdf(order_papers(world.store, world.pm, [number])))[0]
    assert "Courier: — Tracking no.: —" in before
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10 + timedelta(hours=1))
    text = page_texts(shipping_label_pdf(order_papers(world.store, world.pm, [number])))[0]
    for words in (
        "FROM PT Acme Pangan Nusantara Tbk Gudang Sunter Jl. Industri Raya No. 12 Jakarta Utara 14350",
        "Phone +62 21 5091 4000",
        "SHIP TO Toko Makmur +62 812 1111 2222 Jl. Pasar Baru No. 7 Jakarta Pusat",
        "Courier: JNE Tracking no.: JNE-123456",
        f"ORDER {number}",
        "JKT-1 · 2 lines · 5 units",
    ):
        assert words in text
    assert text.endswith(number)  # the barcode's text, under it


def test_the_label_draws_the_order_number_as_a_qr_code_and_a_code_39_barcode(world, three):
    page = read(shipping_label_pdf(order_papers(world.store, world.pm, three[:1]))).pages[0]
    content = page.get_contents().get_data().decode("latin-1")
    assert content.count(" re f") > 150  # the QR code's modules and the barcode's bars, drawn as vectors


def test_a_label_whose_order_number_code_39_cannot_hold_still_prints(world, three):
    paper = order_papers(world.store, world.pm, three[:1])[0]
    odd = dataclasses.replace(paper, order_number="kp-ñ-1")
    text = page_texts(shipping_label_pdf([odd]))[0]
    assert "kp-ñ-1" in text and "No barcode" in text


def test_the_papers_show_the_ship_to_the_order_kept_not_the_buyers_address_now(world, three):
    with world.store.transaction() as session:
        session.execute(update(Buyer).values(address="Jl. Pindah No. 99", city="Bogor"))
    for make in PAPERS.values():
        text = page_texts(make(order_papers(world.store, world.pm, three[:1])))[0]
        assert "Jl. Pasar Baru No. 7" in text and "Pindah" not in text


# --- Typed text -------------------------------------------------------------------------------------


@pytest.fixture
def hostile(world) -> str:
    set_up_seller(world)
    with world.store.transaction() as session:
        session.execute(update(Product).where(Product.sku == "OIL-2").values(name=HOSTILE_PRODUCT))
    ship_to = ShipTo(HOSTILE_BUYER, "0812 3456 7890", "Jl. <b>Tebal</b> https://evil.example/y", "Jakarta")
    return place_two_lines(world, 1, 1, ship_to=ship_to)


@pytest.mark.parametrize("paper", list(PAPERS))
def test_hostile_typed_text_is_written_literally_and_never_as_a_link(world, hostile, paper):
    pdf = PAPERS[paper](order_papers(world.store, world.pm, [hostile]))
    text = page_texts(pdf)[0]
    assert HOSTILE_BUYER in text  # "{nb}" is not replaced by a page count
    assert "Jl. <b>Tebal</b> https://evil.example/y" in text
    if paper != "shipping label":
        assert HOSTILE_PRODUCT in text
    assert links_in(pdf) == []
    assert b"/URI" not in pdf and b"/Link" not in pdf


@pytest.mark.parametrize("paper", list(PAPERS))
def test_a_name_the_font_cannot_draw_does_not_crash_and_is_not_dropped(world, paper):
    set_up_seller(world)
    with world.store.transaction() as session:
        session.execute(update(Product).where(Product.sku == "RICE-5").values(name="Beras Ñandú Пшено αβγ"))
    number = place_two_lines(world, 1, 1, ship_to=ShipTo("Toko 北京 Ñandú", "", "Jl. Çiçek 5", "Jakarta"))
    text = page_texts(PAPERS[paper](order_papers(world.store, world.pm, [number])))[0]
    assert "Toko [U+5317][U+4EAC] Ñandú" in text
    assert "Jl. Çiçek 5" in text
    if paper != "shipping label":
        assert "Beras Ñandú Пшено αβγ" in text


def test_text_that_could_never_be_stored_still_prints_as_code_points(world, three):
    paper = order_papers(world.store, world.pm, three[:1])[0]
    odd = dataclasses.replace(paper, ship_to=dataclasses.replace(paper.ship_to, name="A\x00B\u202eC\ud800D中"))
    for make in PAPERS.values():
        text = "".join(page_texts(make([odd]))[0].split())  # the label's large type wraps it mid-word
        assert "A[U+0000]B[U+202E]C[U+D800]D[U+4E2D]" in text


def test_a_long_packing_list_and_invoice_continue_on_pages_headed_with_their_order(world, three):
    paper = order_papers(world.store, world.pm, three[:1])[0]
    items = [ItemView(n, f"SKU-{n:03d}", f"Produk nomor {n} " * 4, 2, 1_000, 2_000) for n in range(1, 61)]
    long = dataclasses.replace(paper, items=items, total_amount=120_000)
    for make, heading in ((packing_list_pdf, "Packing list"), (invoice_pdf, "Invoice")):
        texts = page_texts(make([long, paper]))
        assert len(texts) >= 4  # the long order over several pages, then the next order on its own
        assert f"{heading} {paper.order_number} (continued)" in texts[1]
        assert "SKU-060" in " ".join(texts[:-1]) and texts[-1].count("SKU-") == 0


def test_a_long_ship_to_still_fits_one_label_page(world, three):
    paper = order_papers(world.store, world.pm, three[:1])[0]
    long = dataclasses.replace(paper, ship_to=dataclasses.replace(paper.ship_to, name="N" * 200, address="A " * 250))
    assert len(page_texts(shipping_label_pdf([long, paper]))) == 2


# --- Who may print what -------------------------------------------------------------------------------


def test_another_companys_order_is_refused_as_order_detail_refuses_it(world, three):
    other = buyers.place_order(
        world.store,
        buyer_code="BUY-1",
        company_code="OTHER02",
        warehouse_code="JKT-1",
        lines=[OrderLine("RICE-5", 1)],
        now=MONDAY_10,
    ).order_number
    with pytest.raises(NotFound) as detail:
        views.order_detail(world.store, world.pm, other)
    for numbers in ([other], [three[0], other]):
        with pytest.raises(NotFound) as refused:
            order_papers(world.store, world.pm, numbers)
        assert refused.value.message == detail.value.message
    assert [p.order_number for p in order_papers(world.store, world.other_pm, [other])] == [other]


def test_an_order_listed_twice_prints_once(world, three):
    gathered = order_papers(world.store, world.pm, [three[1], three[0], three[1]])
    assert [p.order_number for p in gathered] == [three[1], three[0]]


def test_nothing_or_too_much_to_print_is_refused_in_words(world):
    with pytest.raises(InvalidInput, match="Choose at least one order to print"):
        order_papers(world.store, world.pm, [])
    with pytest.raises(InvalidInput, match=f"At most {papers.MAX_ORDERS} orders can be printed at once; 201"):
        order_papers(world.store, world.pm, ["KP-1"] * 201)
    with pytest.raises(InvalidInput, match="Choose at least one order to print"):
        invoice_pdf([])


def test_gathering_gives_the_papers_everything_they_print(world, three):
    number = place(world, quantity=2)
    gathered: OrderPaper = order_papers(world.store, world.pm, [number.order_number])[0]
    assert gathered.seller == papers.PaperSeller("PT Acme Pangan Nusantara Tbk", "ACME01", "+62 21 5091 4000")
    assert gathered.warehouse.address == "Jl. Industri Raya No. 12\nJakarta Utara 14350"
    assert gathered.buyer.buyer_code == "BUY-1" and gathered.total_amount == 150_000
    assert [(i.sku, i.quantity, i.unit_price, i.line_total) for i in gathered.items] == [("RICE-5", 2, 75_000, 150_000)]
    assert gathered.shipment is None and gathered.placed == "23 Nov 2026 10:00 WIB"


# --- The language of whoever prints ------------------------------------------------------------------


def test_the_papers_are_written_in_the_language_asked_for_and_typed_text_stays_as_typed(world, three):
    from core.i18n import using

    gathered = order_papers(world.store, world.pm, three[:1])
    packing = page_texts(packing_list_pdf(gathered, code="id"))[0]
    for words in (
        "DAFTAR PENGEMASAN",
        "Dipesan 23 Nov 2026 10.00 WIB · Menunggu konfirmasi",
        "GUDANG JKT-1 · Gudang Sunter",
        "No SKU Produk Jml ✓",
        "2 item · 5 unit",
        "Diambil oleh:",
    ):
        assert words in packing
    assert "PACKING LIST" not in packing and "Placed" not in packing
    invoice = page_texts(invoice_pdf(gathered, code="id"))[0]
    for words in ("FAKTUR", "Tanggal pesanan 23 Nov 2026 10.00 WIB", "Pembeli BUY-1", "TAGIHAN KEPADA", "Harga satuan"):
        assert words in invoice
    with using("id"):  # without a code: the reader's language now
        label = page_texts(shipping_label_pdf(gathered))[0]
    for words in ("DARI PT Acme Pangan Nusantara Tbk", "Telepon +62 21 5091 4000", "KIRIM KE Toko Makmur", "Kurir: —"):
        assert words in label
    assert f"PESANAN {three[0]}" in label and "JKT-1 · 2 item · 5 unit" in label
    assert "INVOICE" in page_texts(invoice_pdf(gathered, code="en"))[0]


def test_a_refusal_to_print_reads_in_either_language(world):
    with pytest.raises(InvalidInput) as refused:
        order_papers(world.store, world.pm, ["KP-1"] * 201)
    assert (
        refused.value.text("id") == f"Maksimal {papers.MAX_ORDERS} pesanan dapat dicetak sekaligus; Anda memilih 201."
    )
