"""CSV export: the whole filtered set, one row per line with its payout, local times, formula cells
neutralised, UTF-8 with a byte-order mark so Excel reads it as UTF-8."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from core.analytics.export import COLUMNS, export_company_history_csv, export_history_csv
from core.analytics.history import HistoryFilters
from core.analytics.scope import Period
from core.domain import PayoutStatus, Role
from core.errors import AccessDenied, NotFound
from tests.core.analytics import reference

ABBR = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbforder_number,")  # the UTF-8 byte-order mark, then the header
    text = raw.decode("utf-8-sig")  # must be valid UTF-8
    return list(csv.reader(io.StringIO(text, newline="")))


def neutral(value: str) -> str:
    return "'" + value if value[:1] in DANGEROUS else value


@pytest.mark.parametrize(
    "extra", [dict(), dict(warehouse_code="JKT-01"), dict(product_sku="A-004")], ids=lambda d: ",".join(d) or "all"
)
def test_the_export_is_the_whole_filtered_set_as_the_store_has_it(store, analytics, synced, now, tmp_path, extra):
    period = Period(now.date() - timedelta(days=69), now.date())
    result = export_history_csv(
        store, analytics, synced.a.actor(), HistoryFilters(period, **extra), tmp_path / "out.csv"
    )
    rows = read_csv(tmp_path / "out.csv")
    assert rows[0] == list(COLUMNS)
    expected = reference.history_lines(
        store,
        synced.a.id,
        period.start,
        period.end,
        warehouse_code=extra.get("warehouse_code"),
        sku=extra.get("product_sku"),
    )
    assert result.rows == len(expected) == len(rows) - 1 > 0

    def line(e):
        abbr = ABBR[e["zone"]]
        return [
            neutral(e["order_number"]),
            e["placed_local"].strftime("%Y-%m-%d %H:%M:%S") + f" {abbr}",
            e["completed_local"].strftime("%Y-%m-%d %H:%M:%S") + f" {abbr}",
            neutral(e["warehouse"]),
            neutral(e["buyer_code"]),
            neutral(e["buyer_name"]),
            neutral(e["product_name"]),
            neutral(e["sku"]),
            str(e["quantity"]),
            str(e["unit_price"]),
            str(e["line_total"]),
            {"PENDING": "Waiting", "PAID": "Paid"}[e["payout_status"]],
            e["paid_local"].strftime("%Y-%m-%d %H:%M:%S") + f" {abbr}" if e["paid_local"] else "",
            neutral(e["transfer_reference"] or ""),
        ]

    assert sorted(rows[1:]) == sorted(line(e) for e in expected)
    # Each order's lines stay together (rows come in the snapshot's stored order).
    numbers = [row[0] for row in rows[1:]]
    assert all(
        numbers.index(n) + numbers.count(n) - 1 == len(numbers) - 1 - numbers[::-1].index(n) for n in set(numbers)
    )


def test_after_a_rebuild_the_export_is_in_completion_order(store, analytics, synced, now, tmp_path):
    from core.analytics.sync import rebuild

    rebuild(store, analytics, now)
    period = Period(now.date() - timedelta(days=69), now.date())
    export_history_csv(store, analytics, synced.a.actor(), HistoryFilters(period), tmp_path / "out.csv")
    expected = reference.history_lines(store, synced.a.id, period.start, period.end)
    expected.sort(key=lambda e: (e["completed_at"], e["order_id"], e["item_id"]))
    assert [(row[0], row[7]) for row in read_csv(tmp_path / "out.csv")[1:]] == [
        (neutral(e["order_number"]), neutral(e["sku"])) for e in expected
    ]


def test_cells_a_spreadsheet_would_run_are_neutralised(store, analytics, synced, now, tmp_path):
    """The dataset has a product named =HYPERLINK("x") and buyers named +62…, @…, -…, "…", with commas."""
    period = Period(now.date() - timedelta(days=69), now.date())
    export_history_csv(store, analytics, synced.a.actor(), HistoryFilters(period), tmp_path / "out.csv")
    rows = read_csv(tmp_path / "out.csv")[1:]
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in DANGEROUS], "a cell starts with a formula character"
    names = {row[6] for row in rows} | {row[5] for row in rows}
    assert '\'=HYPERLINK("x")' in names
    assert {"'+62 Grosir", "'@Kios Mulia", '\'-Minimarket, "Abadi"'} & names
    assert all(len(row) == len(COLUMNS) for row in rows)  # commas and quotes kept inside their cells


def test_tab_and_carriage_return_are_neutralised_too(store, analytics, synced, now, tmp_path):
    from sqlalchemy import update

    from core.analytics.sync import sync
    from core.store.models import Buyer

    with store.transaction() as s:
        s.execute(update(Buyer).where(Buyer.buyer_code == "LVM-00001").values(name="\tTab Mart"))
        s.execute(update(Buyer).where(Buyer.buyer_code == "LVM-00002").values(name="\rReturn Mart\nNew line"))
    sync(store, analytics, now)
    export_history_csv(
        store,
        analytics,
        synced.a.actor(),
        HistoryFilters(Period(now.date() - timedelta(days=69), now.date())),
        tmp_path / "out.csv",
    )
    names = {row[5] for row in read_csv(tmp_path / "out.csv")[1:]}
    assert "'\tTab Mart" in names and "'\rReturn Mart\nNew line" in names


def test_the_export_shows_only_the_companys_own_and_only_to_a_product_manager(store, analytics, synced, now, tmp_path):
    period = Period(now.date() - timedelta(days=69), now.date())
    export_history_csv(store, analytics, synced.b.actor(), HistoryFilters(period), tmp_path / "b.csv")
    rows = read_csv(tmp_path / "b.csv")[1:]
    assert rows and {row[7] for row in rows} == {"B-001"} and {row[3] for row in rows} == {"MKS-01"}
    assert all(row[1].endswith(" WITA") for row in rows)
    with pytest.raises(AccessDenied):
        export_history_csv(
            store, analytics, synced.a.actor(Role.SYSTEM_ADMINISTRATOR), HistoryFilters(period), tmp_path / "x.csv"
        )
    assert not (tmp_path / "x.csv").exists()


def test_the_analysts_export_names_the_company_by_its_code(store, analytics, synced, now, tmp_path):
    period = Period(now.date() - timedelta(days=69), now.date())
    by_code = export_company_history_csv(analytics, "ALPHA01", HistoryFilters(period), tmp_path / "a.csv")
    by_actor = export_history_csv(store, analytics, synced.a.actor(), HistoryFilters(period), tmp_path / "b.csv")
    assert by_code.rows == by_actor.rows and (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    with pytest.raises(NotFound):
        export_company_history_csv(analytics, "NOPE99", HistoryFilters(period), tmp_path / "c.csv")
    with pytest.raises(NotFound):
        export_company_history_csv(
            analytics, "ALPHA01", HistoryFilters(period, warehouse_code="MKS-01"), tmp_path / "c.csv"
        )


def test_the_file_opens_in_excel_with_every_character_and_the_payout_columns(store, analytics, synced, now, tmp_path):
    """Excel reads a CSV as UTF-8 only when it starts with the byte-order mark; names in any script
    must come back exactly when the file is read as utf-8-sig, and a bank's reference that looks like
    a formula is neutralised like any other cell."""
    from sqlalchemy import update

    from core.analytics.sync import sync
    from core.store.models import Buyer, Payout

    name = "Toko Ñandú 北京"
    period = Period(now.date() - timedelta(days=69), now.date())
    waiting = reference.history_lines(store, synced.a.id, period.start, period.end, payout_status="PENDING")[0]
    with store.transaction() as s:
        s.execute(update(Buyer).where(Buyer.buyer_code == "LVM-00001").values(name=name))
        s.execute(  # paid as the disbursement step pays: the order is not touched
            update(Payout)
            .where(Payout.order_id == waiting["order_id"])
            .values(status=PayoutStatus.PAID, paid_at=now, transfer_reference='=HYPERLINK("x")')
        )
    sync(store, analytics, now)
    out = tmp_path / "excel.csv"
    export_history_csv(store, analytics, synced.a.actor(), HistoryFilters(period), out)
    raw = out.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf" and raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(COLUMNS)
    assert rows[0][-3:] == ["payout_status", "paid_at", "transfer_reference"]
    assert name in {row[5] for row in rows[1:]}
    assert '\'=HYPERLINK("x")' in {row[13] for row in rows[1:]}


def test_without_the_bom_the_file_is_plain_utf8(store, analytics, synced, now, tmp_path):
    period = Period(now.date() - timedelta(days=69), now.date())
    filters = HistoryFilters(period)
    export_history_csv(store, analytics, synced.a.actor(), filters, tmp_path / "excel.csv")
    export_company_history_csv(analytics, "ALPHA01", filters, tmp_path / "plain.csv", bom=False)
    plain = (tmp_path / "plain.csv").read_bytes()
    assert plain.startswith(b"order_number,") and b"\xef\xbb\xbf" not in plain
    assert b"\xef\xbb\xbf" + plain == (tmp_path / "excel.csv").read_bytes()


def test_an_empty_export_is_the_bom_and_the_header(store, analytics, synced, now, tmp_path):
    future = now.date() + timedelta(days=400)
    result = export_history_csv(
        store, analytics, synced.a.actor(), HistoryFilters(Period(future, future)), tmp_path / "empty.csv"
    )
    assert result.rows == 0
    assert (tmp_path / "empty.csv").read_bytes() == ("\ufeff" + ",".join(COLUMNS) + "\n").encode()


def test_the_export_follows_the_payout_filter(store, analytics, synced, now, tmp_path):
    period = Period(now.date() - timedelta(days=69), now.date())
    export_history_csv(
        store,
        analytics,
        synced.a.actor(),
        HistoryFilters(period, payout_status=PayoutStatus.PENDING),
        tmp_path / "waiting.csv",
    )
    rows = read_csv(tmp_path / "waiting.csv")[1:]
    expected = reference.history_lines(store, synced.a.id, period.start, period.end, payout_status="PENDING")
    assert len(rows) == len(expected) > 0
    assert {(row[11], row[12], row[13]) for row in rows} == {("Waiting", "", "")}


def test_the_reader_header_names_the_columns_in_the_readers_language_the_machine_one_never_changes(
    store, analytics, synced, now, tmp_path
):
    """Analysts' scripts read the machine header (the default), whatever the language; a seller who
    opens the file reads each column's title, and the payout's words, in their own language."""
    from core.analytics.export import COLUMN_TITLES, header_names
    from core.i18n import using

    period = Period(now.date() - timedelta(days=69), now.date())
    filters = HistoryFilters(period)
    actor = synced.a.actor()
    with using("id"):
        export_history_csv(store, analytics, actor, filters, tmp_path / "machine.csv")
        export_history_csv(store, analytics, actor, filters, tmp_path / "id.csv", header="reader")
    export_history_csv(store, analytics, actor, filters, tmp_path / "en.csv", header="reader")
    export_company_history_csv(analytics, "ALPHA01", filters, tmp_path / "by_code.csv", header="reader", code="id")
    machine, indonesian, english = (read_csv_any(tmp_path / f"{name}.csv") for name in ("machine", "id", "en"))
    assert machine[0] == list(COLUMNS) == header_names()  # in Indonesian too: the stable header
    assert english[0] == list(COLUMN_TITLES.values()) == header_names("reader", "en")
    assert english[0][:2] == ["Order number", "Placed at"] and english[0][-1] == "Transfer reference"
    assert indonesian[0] == header_names("reader", "id")
    assert indonesian[0][:2] == ["Nomor pesanan", "Waktu pesanan dibuat"] and "Status pencairan dana" in indonesian[0]
    assert len(set(indonesian[0])) == len(COLUMNS)  # every column told apart
    assert (tmp_path / "by_code.csv").read_bytes() == (tmp_path / "id.csv").read_bytes()
    # The same cells in the same order; only the payout's words follow the reader's language.
    words = {"Waiting": "Menunggu", "Paid": "Dicairkan"}
    assert machine[1:] == english[1:] and len(machine) > 1
    assert {row[11] for row in machine[1:]} <= set(words)
    assert [[*row[:11], words[row[11]], *row[12:]] for row in machine[1:]] == indonesian[1:]
    with pytest.raises(ValueError):
        export_history_csv(store, analytics, actor, filters, tmp_path / "x.csv", header="pretty")
    assert not (tmp_path / "x.csv").exists()


def read_csv_any(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
