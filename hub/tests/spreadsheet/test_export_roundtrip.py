"""An exported file imports again: the same orders, nothing lost that the format carries."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from orderhub.core.model import Actor, ActorKind, OrderStatus
from orderhub.hub.channels.spreadsheet.columns import ORDER_COLUMNS, SheetKind
from orderhub.hub.channels.spreadsheet.exporter import orders_csv
from orderhub.hub.channels.spreadsheet.importer import import_sheet
from orderhub.hub.channels.spreadsheet.reading import SheetFormat, read_sheet
from orderhub.hub.channels.spreadsheet.report import RowStatus
from orderhub.hub.orders.schemas import OrderFilter
from orderhub.hub.orders.service import get_order
from orderhub.hub.store.tables import OrderRow

from .conftest import count, csv_bytes
from .test_import_orders import order_row

ACTOR = Actor(kind=ActorKind.USER, name="carol")


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"connections": {"sheet-b": {"connector": "spreadsheet"}}}


async def export(hub, filters: OrderFilter | None = None) -> bytes:
    chunks = [chunk async for chunk in orders_csv(hub, filters or OrderFilter())]
    return "".join(chunks).encode()


async def orders_of(hub, connection: str) -> dict[str, Any]:
    async with hub.read() as session:
        rows = await session.scalars(
            sa.select(OrderRow).where(OrderRow.connection_id == connection)
        )
        return {row.external_id: await get_order(session, row.id) for row in rows}


def comparable(order) -> tuple:
    return (
        order.number,
        order.currency,
        order.placed_at,
        [(line.sku, line.name, line.quantity, line.unit_price) for line in order.lines],
        order.computed_totals(),
        order.customer,
        order.shipping_address,
        order.financial_status,
        order.tags,
        order.notes,
    )


async def test_export_then_import_gives_the_same_orders(hub, catalog):
    original = [
        list(ORDER_COLUMNS),
        order_row("RT-1", "TEE-M", "2", "24.90", notes='Ring twice, "red" door\nthen left'),
        order_row("RT-1", "MUG", "1", "14.50", notes=""),
        order_row(
            "RT-2", "MUG", "4", "13.00", customer_email="", customer_name="", shipping_price=""
        ),
        order_row("RT-3", "TEE-M", "1", "0.00", tags="", financial_status="pending"),
    ]
    sheet = read_sheet(csv_bytes(original), SheetFormat.CSV, SheetKind.ORDERS)
    first = await import_sheet(hub, sheet, SheetKind.ORDERS, actor=ACTOR)
    assert not first.failed

    exported = await export(hub)
    again = read_sheet(exported, SheetFormat.CSV, SheetKind.ORDERS)

    # Into the same connection: every order is recognised, nothing is added.
    same = await import_sheet(hub, again, SheetKind.ORDERS, actor=ACTOR)
    assert {r.status for r in same.rows} == {RowStatus.SKIPPED}
    assert all("already imported" in r.messages[0] for r in same.rows)
    assert await count(hub, OrderRow) == 3

    # Into another spreadsheet connection: the very same orders are created.
    copy = await import_sheet(hub, again, SheetKind.ORDERS, actor=ACTOR, connection="sheet-b")
    assert copy.summary.ok == 4 and not copy.failed
    before, after = await orders_of(hub, "spreadsheet"), await orders_of(hub, "sheet-b")
    assert sorted(after) == ["RT-1", "RT-2", "RT-3"]
    for ref, order in before.items():
        assert comparable(after[ref]) == comparable(order), ref
    assert after["RT-1"].notes == 'Ring twice, "red" door\nthen left'
    assert after["RT-2"].shipping_lines == [] and after["RT-2"].customer is None


async def test_export_filters_by_connection_and_status(hub, catalog):
    rows = [list(ORDER_COLUMNS), order_row("F-1", "MUG", "1", "14.50")]
    for connection in ("spreadsheet", "sheet-b"):
        sheet = read_sheet(csv_bytes(rows), SheetFormat.CSV, SheetKind.ORDERS)
        await import_sheet(hub, sheet, SheetKind.ORDERS, actor=ACTOR, connection=connection)

    only_b = await export(hub, OrderFilter(connection="sheet-b"))
    # Imported orders go through intake: the first waits for stock (backordered); the
    # second, same customer and basket, is held as a probable duplicate.
    held = await export(hub, OrderFilter(status=[OrderStatus.BACKORDERED, OrderStatus.ON_HOLD]))
    cancelled = await export(hub, OrderFilter(status=[OrderStatus.CANCELLED]))

    assert len(only_b.decode().splitlines()) == 2
    assert len(held.decode().splitlines()) == 3
    assert cancelled.decode().splitlines() == [",".join(ORDER_COLUMNS)]


async def test_export_pages_through_many_orders(hub, catalog):
    rows = [list(ORDER_COLUMNS)] + [
        order_row(f"P-{n:03d}", "MUG", "1", "14.50") for n in range(210)
    ]
    sheet = read_sheet(csv_bytes(rows), SheetFormat.CSV, SheetKind.ORDERS)
    await import_sheet(hub, sheet, SheetKind.ORDERS, actor=ACTOR)

    lines = (await export(hub)).decode().splitlines()

    refs = [line.split(",", 1)[0] for line in lines[1:]]
    assert len(refs) == 210 and len(set(refs)) == 210  # two pages of 200
