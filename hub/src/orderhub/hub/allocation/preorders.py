"""Preorders: units of a line promised against an incoming lot, waiting for it to arrive.

A lot's `promised` count only grows through a conditional update (promised + units may not
exceed what is still expected), so two orders never get the same incoming unit, however
many processes allocate at once. A preorder stays open until the lot arrives (`receipts`
then reserves the units from on hand) or is given back (edit, re-route, cancellation).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.store.tables import IncomingStockRow, PreorderRow

INCOMING = IncomingStockRow.__table__


async def promise(
    session: AsyncSession, order_id: str, line_id: str, lot_id: int, quantity: int
) -> bool:
    """Promise `quantity` units of an open lot to a line; False when the lot has no room."""
    result = await session.execute(
        sa.update(INCOMING)
        .where(
            INCOMING.c.id == lot_id,
            INCOMING.c.status == "open",
            INCOMING.c.quantity - INCOMING.c.received - INCOMING.c.promised >= quantity,
        )
        .values(promised=INCOMING.c.promised + quantity)
    )
    if result.rowcount != 1:
        return False
    session.add(
        PreorderRow(
            order_id=order_id, line_id=line_id, incoming_id=lot_id, quantity=quantity, status="open"
        )
    )
    return True


async def open_preorders(
    session: AsyncSession, order_id: str, *, line_ids: Iterable[str] | None = None
) -> list[PreorderRow]:
    query = (
        sa.select(PreorderRow)
        .where(PreorderRow.order_id == order_id, PreorderRow.status == "open")
        .order_by(PreorderRow.incoming_id, PreorderRow.id)
        .with_for_update()
    )
    if line_ids is not None:
        query = query.where(PreorderRow.line_id.in_(sorted(set(line_ids))))
    return list(await session.scalars(query))


async def free_for_order(
    session: AsyncSession, order_id: str, *, line_ids: Iterable[str] | None = None
) -> int:
    """Give back an order's open preorders (or those of some lines); units freed."""
    freed = 0
    for preorder in await open_preorders(session, order_id, line_ids=line_ids):
        await session.execute(
            sa.update(INCOMING)
            .where(INCOMING.c.id == preorder.incoming_id)
            .values(promised=INCOMING.c.promised - preorder.quantity)
        )
        preorder.status = "released"
        freed += preorder.quantity
    await session.flush()
    return freed
