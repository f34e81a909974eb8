"""The order aggregate: an order's rows (order, lines, holds) as one transaction sees and
changes them, read with the order's row locked.

Lock order: an order's row before any stock row. Every caller that changes an order and its
stock (allocation, edits, picking, shipping) locks the order first through `lock_order`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from orderhub.core.model import Actor, HoldReason, Order
from orderhub.hub.orders import service
from orderhub.hub.orders.mapping import order_from_rows
from orderhub.hub.store.tables import OrderHoldRow, OrderLineRow, OrderRow
from orderhub.hub.store.unit_of_work import UnitOfWork


@dataclass
class OrderRows:
    """An order's rows as this transaction sees and changes them."""

    row: OrderRow
    lines: list[OrderLineRow]
    holds: list[OrderHoldRow] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.row.id

    def order(self) -> Order:
        return order_from_rows(self.row, self.lines, self.holds)

    def line(self, line_id: str) -> OrderLineRow:
        return next(line for line in self.lines if line.id == line_id)

    @property
    def active_holds(self) -> list[OrderHoldRow]:
        return [hold for hold in self.holds if hold.released_at is None]


async def lock_order(session: UnitOfWork, order_id: str) -> OrderRows:
    """The order's rows, its row locked for this transaction (404 when unknown)."""
    row = await service.get_order_row(session, order_id, for_update=True)
    lines = await session.scalars(
        sa.select(OrderLineRow)
        .where(OrderLineRow.order_id == order_id)
        .order_by(OrderLineRow.position)
    )
    holds = await session.scalars(
        sa.select(OrderHoldRow)
        .where(OrderHoldRow.order_id == order_id)
        .order_by(OrderHoldRow.placed_at, OrderHoldRow.id)
    )
    return OrderRows(row=row, lines=list(lines), holds=list(holds))


async def hold_order(
    session: UnitOfWork,
    rows: OrderRows,
    reason: HoldReason,
    detail: str,
    *,
    source: str,
    actor: Actor,
) -> OrderHoldRow:
    """Put the order on hold (with history) and keep `rows` up to date. Nothing is flushed:
    the hold is written with the caller's other changes."""
    hold_row = await service.add_hold(session, rows.row, reason, detail, source=source, actor=actor)
    rows.holds.append(hold_row)
    return hold_row
