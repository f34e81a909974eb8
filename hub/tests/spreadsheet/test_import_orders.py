"""Order import: one order per order_ref, accepted in chunks, bad rows reported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from orderhub.core.model import Actor, ActorKind, FinancialStatus
from orderhub.hub.channels.spreadsheet.columns import ORDER_COLUMNS, SheetKind
from orderhub.hub.channels.spreadsheet.importer import import_sheet
from orderhub.hub.channels.spreadsheet.reading import SheetFormat, read_sheet
from orderhub.hub.channels.spreadsheet.report import RowStatus
from orderhub.hub.errors import InvalidInput, NotFound
from orderhub.hub.orders.service import find_order_row, get_order, history
from orderhub.hub.store.tables import OrderHistoryRow, OrderLineRow, OrderRow

from .conftest import count, csv_bytes, xlsx_bytes

ALICE = Actor(kind=ActorKind.USER, name="alice")


def order_row(ref: str, sku: str, quantity: object, price: object, **extra: object) -> list:
    values = {
        "order_ref": ref,
        "placed_at": "2024-05-02T09:30:00Z",
        "currency": "EUR",
        "customer_email": "Marie.Curie@example.com",
        "customer_name": "Marie Curie",
        "ship_name": "Marie Curie",
        "ship_line1": "12 Rue Cuvier",
        "ship_city": "Paris",
        "ship_postal_code": "75005",
        "ship_country": "fr",
        "sku": sku,
        "quantity": quantity,
        "unit_price": price,
        "shipping_price": "4.90",
        "financial_status": "paid",
        "tags": "vip; gift",
        "notes": "Leave at the door",
    }
    values.update(extra)
    return [values[column] for column in ORDER_COLUMNS]


def sample_rows() -> list[list]:
    return [
        list(ORDER_COLUMNS),  # row 1
        order_row("R1", "TEE-M", "2", "24.90"),  # row 2
        order_row("R1", "MUG", "1", "14.50"),  # row 3
        order_row("R2", "TEE-M", "1", "24.90"),  # row 4
        order_row("R2", "MUG", "abc", "14.50"),  # row 5
        order_row("R3", "X", "1", "3.00"),  # row 6
        order_row("R4", "MUG", "3", "14.5", customer_email="", tags=""),  # row 7
    ]


async def run(hub, data: bytes, fmt=SheetFormat.CSV, **kwargs):
    sheet = read_sheet(data, fmt, SheetKind.ORDERS)
    return await import_sheet(hub, sheet, SheetKind.ORDERS, actor=ALICE, **kwargs)


async def test_good_orders_are_created_and_bad_rows_reported(hub, catalog):
    report = await run(hub, csv_bytes(sample_rows()))

    by_row = {r.row: r for r in report.rows}
    assert [r.row for r in report.rows] == [2, 3, 4, 5, 6, 7]
    assert by_row[2].status is RowStatus.OK and by_row[3].status is RowStatus.OK
    assert by_row[5].status is RowStatus.ERROR
    assert by_row[5].messages == ["quantity 'abc' is not a whole number"]
    assert by_row[4].status is RowStatus.SKIPPED
    assert "row(s) 5" in by_row[4].messages[0]
    assert by_row[6].messages == ["unknown SKU 'X'"]
    assert by_row[7].status is RowStatus.OK
    assert report.summary.errors == 2 and report.summary.ok == 3 and report.failed
    assert "row 5: quantity 'abc' is not a whole number" in report.lines()

    async with hub.read() as session:
        r1 = await find_order_row(session, "spreadsheet", "R1")
        assert await find_order_row(session, "spreadsheet", "R2") is None
        assert await find_order_row(session, "spreadsheet", "R3") is None
        order = await get_order(session, r1.id)
        entries = await history(session, r1.id)
        r4 = await get_order(session, (await find_order_row(session, "spreadsheet", "R4")).id)
    assert order.number == "R1"
    assert order.placed_at == datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
    assert [
        (line.sku, line.name, line.quantity, line.unit_price.amount) for line in order.lines
    ] == [
        ("TEE-M", "Organic tee M", 2, 2490),
        ("MUG", "Stoneware mug", 1, 1450),
    ]
    assert order.totals.total.amount == 2 * 2490 + 1450 + 490
    assert order.customer.email == "marie.curie@example.com"
    assert order.shipping_address.country == "FR"
    assert order.shipping_address.postal_code == "75005"
    assert order.financial_status is FinancialStatus.PAID
    assert order.tags == ["vip", "gift"]
    assert order.notes == "Leave at the door"
    assert entries[0].action == "created" and entries[0].actor == ALICE
    assert r4.lines[0].unit_price.amount == 1450
    assert r4.customer.email is None and r4.customer.name == "Marie Curie"


async def test_reimport_reports_already_imported_and_adds_nothing(hub, catalog):
    data = csv_bytes(sample_rows())
    await run(hub, data)
    orders, lines, entries = (
        await count(hub, OrderRow),
        await count(hub, OrderLineRow),
        await count(hub, OrderHistoryRow),
    )

    report = await run(hub, data)

    by_row = {r.row: r for r in report.rows}
    assert by_row[2].status is RowStatus.SKIPPED
    assert by_row[2].messages == ["order 'R1' already imported"]
    assert by_row[7].status is RowStatus.SKIPPED
    assert by_row[5].status is RowStatus.ERROR  # still wrong, still reported
    assert (
        await count(hub, OrderRow),
        await count(hub, OrderLineRow),
        await count(hub, OrderHistoryRow),
    ) == (orders, lines, entries)


async def test_dry_run_reports_the_same_and_changes_nothing(hub, catalog):
    report = await run(hub, csv_bytes(sample_rows()), dry_run=True)

    assert report.dry_run
    assert [r.status for r in report.rows] == [
        RowStatus.OK,
        RowStatus.OK,
        RowStatus.SKIPPED,
        RowStatus.ERROR,
        RowStatus.ERROR,
        RowStatus.OK,
    ]
    assert report.rows[0].messages[0].startswith("order 'R1' would be created (2 line(s)")
    assert await count(hub, OrderRow) == 0
    assert await count(hub, OrderHistoryRow) == 0


async def test_xlsx_with_typed_cells(hub, catalog):
    rows = [
        list(ORDER_COLUMNS),
        order_row("X1", "TEE-M", 2, 24.9, placed_at=datetime(2024, 6, 1, 15, 45), shipping_price=0),
        order_row("X1", "MUG", 1, 14.5, placed_at=None, currency=None, shipping_price=None),
        order_row("X2", "MUG", 1.5, 14.5),
    ]

    report = await run(hub, xlsx_bytes(rows), SheetFormat.XLSX)

    assert [(r.row, r.status) for r in report.rows] == [
        (2, RowStatus.OK),
        (3, RowStatus.OK),
        (4, RowStatus.ERROR),
    ]
    assert report.rows[2].messages == ["quantity '1.5' is not a whole number"]
    async with hub.read() as session:
        order = await get_order(session, (await find_order_row(session, "spreadsheet", "X1")).id)
    assert order.placed_at == datetime(2024, 6, 1, 15, 45, tzinfo=UTC)
    assert [line.unit_price.amount for line in order.lines] == [2490, 1450]
    assert order.totals.shipping.amount == 0


async def test_order_level_values_must_agree_across_rows(hub, catalog):
    rows = [
        list(ORDER_COLUMNS),
        order_row("C1", "TEE-M", "1", "24.90"),
        order_row("C1", "MUG", "1", "14.50", currency="USD", ship_city=""),
    ]

    report = await run(hub, csv_bytes(rows))

    assert report.rows[1].status is RowStatus.ERROR
    assert report.rows[1].messages == ["currency 'USD' differs from 'EUR' on row 2 of order 'C1'"]
    assert await count(hub, OrderRow) == 0


async def test_each_cell_problem_is_named(hub, catalog):
    rows = [
        list(ORDER_COLUMNS),
        order_row(
            "B1",
            "TEE-M",
            "0",
            "24,90",
            placed_at="02/05/2024",
            customer_email="marie",
            ship_country="France",
            financial_status="done",
        ),
        order_row("", "MUG", "1", "1.999"),
    ]

    report = await run(hub, csv_bytes(rows))

    first, second = report.rows
    assert set(first.messages) == {
        "placed_at '02/05/2024' is not an ISO 8601 date or date-time "
        "(e.g. 2024-05-01 or 2024-05-01T14:30:00Z)",
        "customer_email 'marie' is not an e-mail address",
        "ship_country 'France' is not a 2-letter ISO 3166 country code",
        "financial_status 'done' is not one of: pending, authorized, partially_paid, paid, "
        "partially_refunded, refunded, voided, unknown",
        "quantity must be at least 1 (got 0)",
        "unit_price '24,90' is not an amount (use a dot as the decimal separator)",
    }
    assert second.messages == ["order_ref is empty"]


async def test_orders_go_only_to_a_spreadsheet_connection(hub, catalog):
    data = csv_bytes(sample_rows())
    with pytest.raises(InvalidInput) as error:
        await run(hub, data, connection="manual")
    assert error.value.code == "not_a_spreadsheet_connection"
    with pytest.raises(NotFound):
        await run(hub, data, connection="nope")
    async with hub.read() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(OrderRow)) == 0


async def test_many_orders_go_in_chunks_and_a_failing_chunk_is_done_order_by_order(
    hub, catalog, monkeypatch
):
    from orderhub.hub.channels.spreadsheet import importer

    real = importer.accept_orders
    chunks: list[int] = []

    async def accept_orders(hub, session, arrivals, **kwargs):
        chunks.append(len(arrivals))
        if len(arrivals) > 1 and any(order.external_id == "C-57" for order, _ in arrivals):
            raise RuntimeError("the database refused this chunk")
        return await real(hub, session, arrivals, **kwargs)

    monkeypatch.setattr(importer, "accept_orders", accept_orders)
    rows = [list(ORDER_COLUMNS)] + [
        order_row(f"C-{n}", "MUG", "1", "14.50", customer_email=f"c{n}@example.com")
        for n in range(120)
    ]
    report = await run(hub, csv_bytes(rows))

    # 50 + 50 + 20; the second chunk (C-50..C-99) failed and its orders were then written one
    # at a time (through accept_order, which this test leaves alone).
    assert chunks == [50, 50, 20]
    assert {r.status for r in report.rows} == {RowStatus.OK}
    assert len(report.rows) == 120
    assert await count(hub, OrderRow) == 120
    async with hub.read() as session:
        numbers = list(await session.scalars(sa.select(OrderRow.number).order_by(OrderRow.id)))
    assert numbers == [f"C-{n}" for n in range(120)]  # ids sort in arrival order
