"""The papers a warehouse prints for its orders, as PDF: the packing list (the items to pick, with an
empty column to tick), the invoice (the seller's bill to the buyer: lines with quantity, unit price
and line total, and the total in rupiah; no fees) and the shipping label (where the goods go, in
large type; the seller's return address; the courier and tracking number once shipped; the order
number as a QR code and as a Code 39 barcode). Each takes one order or several and gives one PDF
with one order per page: one label per label page; a packing list or invoice too long for one page
continues on the next, headed with its order number.

`order_papers` is the one read service: through `acting` (Product Manager; the actor's own company
only: another company's order number is refused exactly as `order_detail` refuses it) it gathers
what the papers show. `packing_list_pdf`, `invoice_pdf` and `shipping_label_pdf` are pure: they take
what it gathered and return the PDF's bytes, touching no store.

Everything a person or the buyer app typed (product names, the buyer's name and address, the
courier, the tracking number) is written as plain text: fpdf2's cell, multi_cell and table with
markdown off and no links, and fpdf2's page-count alias switched off, so a name typed as "{nb}"
prints as "{nb}", not as a page count.

The language. A paper is written in the language of whoever prints it: `packing_list_pdf`,
`invoice_pdf` and `shipping_label_pdf` take it (`code`, else the reader's language now, core.i18n),
and every fixed label, status, count and date on it follows it ("Placed 23 Nov 2026 10:00 WIB",
"Dipesan 23 Nov 2026 10.00 WIB"); what people typed stays as typed. Nothing here caches a paper.

The font. Typed text may hold any Unicode letter, and fpdf2's core fonts are Latin-1 only, so the
papers embed a Unicode TrueType font: DejaVu Sans, regular and bold, freely licensed, kept in the
repository (core/orders/fonts/, with its LICENSE). Kept there rather than found on the machine
because that is the robust choice: a fresh machine has only what requirements.txt installs plus
Debian's chromium; no pinned pip package ships a general-purpose text font; and a font picked up
from the system could be missing or differ from machine to machine, changing what prints. DejaVu
Sans covers Latin (every Indonesian name), Greek, Cyrillic, Arabic and more, but not Chinese,
Japanese or Korean. A character it cannot draw (or a control character, which core.text keeps out
of the store) is written as its code point, e.g. [U+5317], the way core.text.shown quotes such
characters: visible, never silently dropped, never a crash.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace
from sqlalchemy import select

from core.acting import Actor, acting
from core.company.profile import own_company
from core.domain import OrderStatus, Role
from core.errors import InvalidInput
from core.formats import format_local, format_rupiah
from core.i18n import N_, Message, _, _n, gettext, language, using
from core.orders.seller import own_order
from core.orders.views import BuyerRef, ItemView, ShipToView, ship_to_of
from core.store.database import Store
from core.store.models import Buyer, OrderItem, Shipment, Warehouse

PM = Role.PRODUCT_MANAGER
PRINT_PAPERS = N_("print order papers")
#: The most orders one call gathers and one PDF holds: a busy warehouse's day, in bounded memory.
MAX_ORDERS = 200


# --- What the papers show -------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperSeller:
    """The seller as its papers name it: the legal name and the phone buyers call."""

    name: str
    company_code: str
    contact_phone: str | None


@dataclass(frozen=True)
class PaperWarehouse:
    """Where the goods leave from, and where they come back to."""

    code: str
    name: str
    address: str
    time_zone: str


@dataclass(frozen=True)
class PaperShipment:
    courier: str
    tracking_number: str
    shipped_at: datetime


@dataclass(frozen=True)
class OrderPaper:
    """One order, as its packing list, invoice and shipping label show it."""

    order_number: str
    status: OrderStatus
    placed_at: datetime
    total_amount: int
    seller: PaperSeller
    warehouse: PaperWarehouse
    buyer: BuyerRef
    ship_to: ShipToView
    items: list[ItemView]
    shipment: PaperShipment | None

    @property
    def units(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def placed(self) -> str:
        """When it was placed, in the warehouse's zone: '23 Nov 2026 10:00 WIB'."""
        return format_local(self.placed_at, self.warehouse.time_zone)


def order_papers(store: Store, actor: Actor, order_numbers: list[str]) -> list[OrderPaper]:
    """What the papers of `order_numbers` show, in the order given, each order once. An order number
    that is not one of the company's orders is refused (NotFound) and nothing is gathered."""
    with acting(store, actor, PM, doing=PRINT_PAPERS, write=False) as (session, _user, _now):
        if not order_numbers:
            raise InvalidInput(_("Choose at least one order to print."), field="order_numbers")
        if len(order_numbers) > MAX_ORDERS:
            raise InvalidInput(
                _(
                    "At most {maximum} orders can be printed at once; {chosen} were chosen.",
                    maximum=MAX_ORDERS,
                    chosen=len(order_numbers),
                ),
                field="order_numbers",
            )
        found = [own_order(session, actor, number) for number in order_numbers]
        orders = list({order.id: order for order in found}.values())
        ids = [order.id for order in orders]
        company = own_company(session, actor)
        seller = PaperSeller(company.name, company.company_code, company.contact_phone)
        items: dict[int, list[ItemView]] = {order_id: [] for order_id in ids}
        for item in session.scalars(
            select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.order_id, OrderItem.id)
        ):
            items[item.order_id].append(
                ItemView(item.id, item.sku, item.product_name, item.quantity, item.unit_price, item.line_total)
            )
        shipments = {  # not the proof photo: the papers do not show it
            order_id: PaperShipment(courier, tracking, shipped_at)
            for order_id, courier, tracking, shipped_at in session.execute(
                select(Shipment.order_id, Shipment.courier, Shipment.tracking_number, Shipment.shipped_at).where(
                    Shipment.order_id.in_(ids)
                )
            )
        }
        warehouses = {
            w.id: PaperWarehouse(w.code, w.name, w.address or "", w.time_zone)
            for w in session.scalars(
                select(Warehouse).where(
                    Warehouse.company_id == actor.company_id,
                    Warehouse.id.in_({order.warehouse_id for order in orders}),
                )
            )
        }
        buyers = {
            b.id: BuyerRef(b.buyer_code, b.name, b.phone)
            for b in session.scalars(select(Buyer).where(Buyer.id.in_({order.buyer_id for order in orders})))
        }
        return [
            OrderPaper(
                order_number=order.order_number,
                status=order.status,
                placed_at=order.placed_at,
                total_amount=order.total_amount,
                seller=seller,
                warehouse=warehouses[order.warehouse_id],
                buyer=buyers[order.buyer_id],
                ship_to=ship_to_of(order),
                items=items[order.id],
                shipment=shipments.get(order.id),
            )
            for order in orders
        ]


# --- Text as the papers write it ---------------------------------------------------------------------

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"
FONT_FILES = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}
#: Characters written as their code point even where the font has a glyph: controls, format
#: characters (bidi controls, zero-width ones), surrogates, private-use and unassigned code points.
_NOT_WRITTEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


@cache
def _drawable() -> frozenset[int]:
    """The code points both faces of the embedded font draw."""
    faces = []
    for path in FONT_FILES.values():
        with TTFont(path, lazy=True) as font:
            faces.append(set(font.getBestCmap()))
    return frozenset(set.intersection(*faces))


def printable(value: object, *, multiline: bool = False) -> str:
    """`value` as the papers write it: NFC; a character the font cannot draw written as [U+XXXX];
    line breaks kept in a multi-line block, else the lines joined with ", "; tabs as spaces."""
    text = "" if value is None else str(value)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines).strip("\n") if multiline else ", ".join(line for line in lines if line)
    drawable = _drawable()
    return "".join(
        char
        if char == "\n" or (ord(char) in drawable and unicodedata.category(char) not in _NOT_WRITTEN)
        else f"[U+{ord(char):04X}]"
        for char in text
    )


#: An order's status as a paper names it (the glossary's status words).
STATUS_NAMES: dict[OrderStatus, str] = {
    OrderStatus.PENDING_CONFIRMATION: N_("Pending confirmation"),
    OrderStatus.PROCESSING: N_("Processing"),
    OrderStatus.READY_TO_SHIP: N_("Ready to ship"),
    OrderStatus.SHIPPED: N_("Shipped"),
    OrderStatus.DELIVERED: N_("Delivered"),
    OrderStatus.COMPLETED: N_("Completed"),
    OrderStatus.REJECTED: N_("Rejected"),
    OrderStatus.CANCELLED: N_("Cancelled"),
    OrderStatus.COMPLAINED: N_("Complained"),
    OrderStatus.RETURN_REQUESTED: N_("Return requested"),
    OrderStatus.REFUNDED: N_("Refunded"),
}


def _status(status: OrderStatus) -> str:
    return gettext(STATUS_NAMES[status]) if status in STATUS_NAMES else str(status).replace("_", " ").capitalize()


def _number(value: int) -> str:
    """1234 -> '1.234', as rupiah amounts group their digits."""
    return f"{value:,}".replace(",", ".")


def _lines(value: int) -> Message:
    """'1 line', '2 lines' ('2 item')."""
    return _n("{count} line", "{count} lines", value, count=_number(value))


def _units(value: int) -> Message:
    """'1 unit', '1.200 units' ('1.200 unit')."""
    return _n("{count} unit", "{count} units", value, count=_number(value))


def _in_language(make: Callable[[], bytes], code: str | None) -> bytes:
    """A paper made in `code` (else the reader's language now)."""
    with using(code or language()):
        return make()


def _line_height(size: float) -> float:
    """mm per line of text of `size` points."""
    return size * 0.45


# --- The document every paper is ----------------------------------------------------------------


class _Document(FPDF):
    def __init__(self, title: str, page_format: str | tuple[float, float]):
        super().__init__(orientation="portrait", unit="mm", format=page_format)
        for style, path in FONT_FILES.items():
            self.add_font(FONT, style, str(path))
        self.alias_nb_pages("")  # no page-count alias: a typed "{nb}" prints as "{nb}"
        self.set_title(title)
        self.set_creator("Kopra Partnership")
        self.set_margins(12, 14, 12)
        self.set_auto_page_break(True, margin=12)
        self.continued = ""  # what heads the pages an order continues on
        self.order_page = 0

    def header(self) -> None:
        if self.continued and self.page > self.order_page:
            self.set_font(FONT, "", 8)
            self.set_xy(self.l_margin, 6)
            self.cell(0, 4, self.continued)
            self.set_xy(self.l_margin, self.t_margin)

    def start_order(self, continued: str) -> None:
        """A new page for the next order; its further pages are headed with `continued`."""
        self.continued = ""
        self.add_page()
        self.order_page = self.page
        self.continued = printable(continued)

    def write_text(
        self,
        value: object,
        *,
        size: float,
        style: str = "",
        multiline: bool = False,
        width: float = 0,
        x: float | None = None,
        align: str = "L",
    ) -> None:
        """One block of plain text (wrapped, never read as markup), then the next line."""
        self.set_font(FONT, style, size)
        if x is not None:
            self.set_x(x)
        self.multi_cell(
            width,
            _line_height(size),
            printable(value, multiline=multiline),
            align=align,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def text_height(
        self, value: object, *, size: float, style: str = "", multiline: bool = False, width: float
    ) -> float:
        self.set_font(FONT, style, size)
        height = self.multi_cell(
            width,
            _line_height(size),
            printable(value, multiline=multiline),
            align="L",
            dry_run=True,
            output=MethodReturnValue.HEIGHT,
        )
        return float(height)  # type: ignore[arg-type]

    def rule(self, gap: float = 2) -> None:
        self.ln(gap)
        self.set_draw_color(160)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_draw_color(0)
        self.ln(gap)

    def pdf_bytes(self) -> bytes:
        return bytes(self.output())


def _document(papers: Sequence[OrderPaper], title: str, page_format: str | tuple[float, float]) -> _Document:
    if not papers:
        raise InvalidInput(_("Choose at least one order to print."), field="order_numbers")
    return _Document(title, page_format)


def _title(pdf: _Document, title: str) -> None:
    pdf.write_text(title, size=15, style="B")
    pdf.ln(1)


def _labelled(pdf: _Document, label: str, value: object, *, width: float = 0, x: float | None = None) -> None:
    """'Label' in small bold type above its value."""
    pdf.write_text(label, size=7.5, style="B", width=width, x=x)
    pdf.write_text(value, size=10, multiline=True, width=width, x=x)


def _ship_to_lines(ship_to: ShipToView) -> str:
    lines = [ship_to.name, ship_to.phone or "", ship_to.address, ship_to.city]
    return "\n".join(line for line in lines if line)


def _two_columns(pdf: _Document, left: Callable[[float, float], None], right: Callable[[float, float], None]) -> None:
    """Two blocks side by side, each given its x and width; continues below the taller one."""
    top, gap = pdf.get_y(), 6
    width = (pdf.epw - gap) / 2
    left(pdf.l_margin, width)
    bottom = pdf.get_y()
    pdf.set_y(top)
    right(pdf.l_margin + width + gap, width)
    pdf.set_y(max(bottom, pdf.get_y()))


def _table_style() -> dict:
    return dict(
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        line_height=5.2,
        padding=(0.8, 1.2),
        markdown=False,
    )


# --- Packing list ---------------------------------------------------------------------------------


def packing_list_pdf(papers: Sequence[OrderPaper], code: str | None = None) -> bytes:
    """The items to pick for each order, one order per page, with an empty column to tick; in the
    language `code` (else the reader's)."""
    return _in_language(lambda: _packing_lists(papers), code)


def _packing_lists(papers: Sequence[OrderPaper]) -> bytes:
    pdf = _document(papers, gettext("Packing list"), "A4")
    for paper in papers:
        _packing_list(pdf, paper)
    return pdf.pdf_bytes()


def _packing_list(pdf: _Document, paper: OrderPaper) -> None:
    pdf.start_order(str(_("Packing list {number} (continued)", number=paper.order_number)))
    _title(pdf, gettext("PACKING LIST"))
    pdf.write_text(paper.order_number, size=14, style="B")
    pdf.write_text(_("Placed {time} · {status}", time=paper.placed, status=_status(paper.status)), size=9)
    pdf.ln(3)
    warehouse = f"{paper.warehouse.code} · {paper.warehouse.name}"
    _two_columns(
        pdf,
        lambda x, w: _labelled(pdf, gettext("WAREHOUSE"), warehouse, width=w, x=x),
        lambda x, w: _labelled(pdf, gettext("SHIP TO"), _ship_to_lines(paper.ship_to), width=w, x=x),
    )
    pdf.ln(4)
    pdf.set_font(FONT, "", 9.5)
    with pdf.table(
        col_widths=(8, 34, 100, 18, 14),
        text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "CENTER"),
        **_table_style(),
    ) as table:
        table.row([gettext("No"), gettext("SKU"), gettext("Product"), gettext("Qty"), "✓"])
        for n, item in enumerate(paper.items, start=1):
            row = table.row()
            row.cell(str(n))
            row.cell(printable(item.sku))
            row.cell(printable(item.product_name))
            row.cell(_number(item.quantity))
            row.cell("")
    pdf.ln(3)
    pdf.write_text(f"{_lines(len(paper.items))} · {_units(paper.units)}", size=9.5, style="B")
    pdf.ln(8)
    pdf.write_text(gettext("Picked by: ____________________      Checked by: ____________________"), size=9.5)


# --- Invoice --------------------------------------------------------------------------------------


def invoice_pdf(papers: Sequence[OrderPaper], code: str | None = None) -> bytes:
    """The seller's invoice to the buyer for each order, one order per page; no fees; in the language
    `code` (else the reader's)."""
    return _in_language(lambda: _invoices(papers), code)


def _invoices(papers: Sequence[OrderPaper]) -> bytes:
    pdf = _document(papers, gettext("Invoice"), "A4")
    for paper in papers:
        _invoice(pdf, paper)
    return pdf.pdf_bytes()


def _invoice(pdf: _Document, paper: OrderPaper) -> None:
    pdf.start_order(str(_("Invoice {number} (continued)", number=paper.order_number)))
    _title(pdf, gettext("INVOICE"))
    _two_columns(pdf, lambda x, w: _seller(pdf, paper, x, w), lambda x, w: _order(pdf, paper, x, w))
    pdf.rule(3)
    buyer = _("Buyer {code}", code=paper.buyer.buyer_code)
    bill_to = f"{paper.buyer.name}\n{buyer}"
    _two_columns(
        pdf,
        lambda x, w: _labelled(pdf, gettext("BILL TO"), bill_to, width=w, x=x),
        lambda x, w: _labelled(pdf, gettext("SHIP TO"), _ship_to_lines(paper.ship_to), width=w, x=x),
    )
    pdf.ln(5)
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(8, 28, 70, 14, 30, 34),
        text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        **_table_style(),
    ) as table:
        table.row(
            [
                gettext("No"),
                gettext("SKU"),
                gettext("Product"),
                gettext("Qty"),
                gettext("Unit price"),
                gettext("Line total"),
            ]
        )
        for n, item in enumerate(paper.items, start=1):
            row = table.row()
            row.cell(str(n))
            row.cell(printable(item.sku))
            row.cell(printable(item.product_name))
            row.cell(_number(item.quantity))
            row.cell(format_rupiah(item.unit_price))
            row.cell(format_rupiah(item.line_total))
        total = table.row(style=FontFace(emphasis="BOLD"))
        total.cell(gettext("Total"), colspan=5, align="RIGHT")
        total.cell(format_rupiah(paper.total_amount))
    pdf.ln(3)
    pdf.write_text(gettext("Amounts in rupiah. No fees are charged."), size=8)


def _phone(phone: str | None) -> Message:
    return _("Phone {phone}", phone=phone or "—")


def _seller(pdf: _Document, paper: OrderPaper, x: float, width: float) -> None:
    seller = paper.seller
    pdf.write_text(seller.name, size=12, style="B", width=width, x=x)
    pdf.write_text(_("Company ID {code}", code=seller.company_code), size=9, width=width, x=x)
    pdf.write_text(_phone(seller.contact_phone), size=9, width=width, x=x)


def _order(pdf: _Document, paper: OrderPaper, x: float, width: float) -> None:
    pdf.write_text(_("Order {number}", number=paper.order_number), size=12, style="B", width=width, x=x)
    pdf.write_text(_("Order date {time}", time=paper.placed), size=9, width=width, x=x)
    pdf.write_text(_("Status {status}", status=_status(paper.status)), size=9, width=width, x=x)


# --- Shipping label -------------------------------------------------------------------------------

#: A 100 x 150 mm label (4 x 6 in), the size courier label printers take.
LABEL = (100.0, 150.0)
_LABEL_MARGIN = 5.0
#: Code 39: what it can hold, and the widest bar (a narrow bar is a third of it) in mm.
CODE39 = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%")
_CODE39_WIDE_MAX = 1.2
_QUIET = 3.0


def shipping_label_pdf(papers: Sequence[OrderPaper], code: str | None = None) -> bytes:
    """One 100 x 150 mm label page per order, in the language `code` (else the reader's)."""
    return _in_language(lambda: _labels(papers), code)


def _labels(papers: Sequence[OrderPaper]) -> bytes:
    pdf = _document(papers, gettext("Shipping label"), LABEL)
    pdf.set_margins(_LABEL_MARGIN, _LABEL_MARGIN, _LABEL_MARGIN)
    pdf.set_auto_page_break(False)  # a label is one page, whatever its text
    for paper in papers:
        pdf.start_order("")
        _label(pdf, paper)
    return pdf.pdf_bytes()


#: (text, size in points, style, multi-line) of one block in a label's region.
Block = tuple[object, float, str, bool]
_SCALES = (1.0, 0.88, 0.76, 0.66, 0.56, 0.48, 0.4)


def _fit(pdf: _Document, blocks: list[Block], top: float, bottom: float) -> None:
    """Write `blocks` between `top` and `bottom`, in the largest of _SCALES that fits (the smallest
    if none does: nothing is left out)."""
    blocks = [block for block in blocks if block[0]]
    width = pdf.epw
    for scale in _SCALES:
        height = sum(pdf.text_height(t, size=s * scale, style=st, multiline=m, width=width) for t, s, st, m in blocks)
        if top + height <= bottom:
            break
    pdf.set_xy(pdf.l_margin, top)
    for text, size, style, multiline in blocks:
        pdf.write_text(text, size=size * scale, style=style, multiline=multiline)


def _label(pdf: _Document, paper: OrderPaper) -> None:
    left, right = pdf.l_margin, pdf.w - pdf.r_margin
    seller, warehouse, ship_to = paper.seller, paper.warehouse, paper.ship_to
    _fit(
        pdf,
        [
            (gettext("FROM"), 6.5, "B", False),
            (seller.name, 8, "B", False),
            (warehouse.name, 7.5, "", False),
            (warehouse.address, 7.5, "", True),
            (_phone(seller.contact_phone), 7.5, "", False),
        ],
        5,
        33,
    )
    pdf.set_draw_color(0)
    pdf.line(left, 34, right, 34)
    _fit(
        pdf,
        [
            (gettext("SHIP TO"), 8, "B", False),
            (ship_to.name, 18, "B", False),
            (ship_to.phone or "", 14, "", False),
            (ship_to.address, 14, "", True),
            (ship_to.city, 16, "B", False),
        ],
        36,
        88,
    )
    pdf.line(left, 89, right, 89)
    shipment = paper.shipment
    _fit(
        pdf,
        [
            (_("Courier: {courier}", courier=shipment.courier if shipment else "—"), 11, "B", False),
            (_("Tracking no.: {tracking}", tracking=shipment.tracking_number if shipment else "—"), 11, "B", False),
        ],
        91,
        103,
    )
    pdf.line(left, 104, right, 104)
    side = 24.0
    _qr(pdf, paper.order_number, left, 106, side)
    pdf.set_left_margin(left + side + 4)
    _fit(
        pdf,
        [
            (gettext("ORDER"), 7, "B", False),
            (paper.order_number, 13, "B", False),
            (_("Placed {time}", time=paper.placed), 7.5, "", False),
            (f"{warehouse.code} · {_lines(len(paper.items))} · {_units(paper.units)}", 7.5, "", False),
        ],
        106,
        131,
    )
    pdf.set_left_margin(left)
    _code39(pdf, paper.order_number, 133, 11)


def _qr(pdf: _Document, text: str, x: float, y: float, side: float) -> None:
    """`text` as a QR code `side` mm square, drawn as vector modules (sharp at any printer's dpi)."""
    matrix = segno.make_qr(text, error="m").matrix
    module = side / len(matrix)
    pdf.set_fill_color(0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")


def _code39(pdf: _Document, text: str, y: float, height: float) -> None:
    """`text` as a Code 39 barcode across the label, with the text under it; a text Code 39 cannot
    hold gets a sentence instead (the QR code holds any text)."""
    if not text or not set(text) <= CODE39:
        pdf.set_xy(pdf.l_margin, y + height / 2)
        pdf.write_text(gettext("No barcode: the order number holds characters Code 39 cannot."), size=7, align="C")
        return
    symbols = len(text) + 2  # the start and stop '*'
    # Each symbol: 3 wide + 6 narrow bars (5 wide widths), then a narrow gap.
    wide = min(_CODE39_WIDE_MAX, (pdf.epw - 2 * _QUIET) / (symbols * 16 / 3))
    width = symbols * wide * 16 / 3 - wide / 3
    pdf.set_fill_color(0)
    pdf.code39(f"*{text}*", pdf.l_margin + (pdf.epw - width) / 2, y, w=wide, h=height)
    pdf.set_xy(pdf.l_margin, y + height + 0.5)
    pdf.write_text(text, size=7, align="C")
