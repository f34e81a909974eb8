"""Orders out to CSV, one row per line, in the columns the order import reads back.

Order-level values are repeated on every line of the order so the file filters and sorts
well in a spreadsheet. What the import format has no column for (discounts, taxes, holds,
status) is not exported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC

import sqlalchemy as sa

from orderhub.core.model import Money, Order
from orderhub.hub.channels.spreadsheet.columns import ORDER_COLUMNS
from orderhub.hub.channels.spreadsheet.parsing import join_tags
from orderhub.hub.orders.mapping import order_from_rows
from orderhub.hub.orders.schemas import OrderFilter
from orderhub.hub.orders.service import list_orders
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import OrderLineRow, OrderRow

PAGE_SIZE = 200


async def order_pages(
    hub: Hub, filters: OrderFilter, *, page_size: int = PAGE_SIZE
) -> AsyncIterator[list[Order]]:
    """Matching orders, newest first, a page at a time (one short read per page)."""
    cursor: str | None = None
    while True:
        async with hub.read() as session:
            summaries, cursor = await list_orders(session, filters, limit=page_size, cursor=cursor)
            ids = [summary.id for summary in summaries]
            rows = {
                row.id: row
                for row in await session.scalars(sa.select(OrderRow).where(OrderRow.id.in_(ids)))
            }
            lines: dict[str, list[OrderLineRow]] = {order_id: [] for order_id in ids}
            for line in await session.scalars(
                sa.select(OrderLineRow).where(OrderLineRow.order_id.in_(ids))
            ):
                lines[line.order_id].append(line)
        yield [order_from_rows(rows[order_id], lines[order_id]) for order_id in ids]
        if cursor is None:
            return


def order_rows(order: Order) -> list[list[str]]:
    """The CSV rows of one order, in `ORDER_COLUMNS` order."""
    customer = order.customer
    address = order.shipping_address
    shipping = (
        sum((line.price for line in order.shipping_lines), Money.zero(order.currency)).to_string()
        if order.shipping_lines
        else ""
    )
    placed_at = order.placed_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    head = {
        "order_ref": order.external_id,
        "placed_at": placed_at,
        "currency": order.currency,
        "customer_email": (customer.email if customer else None) or "",
        "customer_name": (customer.name if customer else None) or "",
        "ship_name": (address.name if address else None) or "",
        "ship_line1": (address.line1 if address else None) or "",
        "ship_city": (address.city if address else None) or "",
        "ship_postal_code": (address.postal_code if address else None) or "",
        "ship_country": (address.country if address else None) or "",
        "shipping_price": shipping,
        "financial_status": order.financial_status.value,
        "tags": join_tags(order.tags),
        "notes": order.notes or "",
    }
    return [
        [
            {
                **head,
                "sku": line.sku or "",
                "quantity": str(line.quantity),
                "unit_price": line.unit_price.to_string(),
            }[column]
            for column in ORDER_COLUMNS
        ]
        for line in order.lines
    ]


async def orders_csv(hub: Hub, filters: OrderFilter) -> AsyncIterator[str]:
    """The export as CSV text, header first, a chunk per page of orders."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDER_COLUMNS)
    yield buffer.getvalue()
    async for orders in order_pages(hub, filters):
        buffer.seek(0)
        buffer.truncate()
        for order in orders:
            writer.writerows(order_rows(order))
        yield buffer.getvalue()
