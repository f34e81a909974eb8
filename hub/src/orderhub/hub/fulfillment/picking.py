"""Pick lists and pick confirmation, where a short pick re-routes what was not found.

A picker confirms every line of a released group with the units actually found. Units not
found are not at the location: their reservation is given back, on hand goes down by as
many (the ledger says "short pick"), and the allocation engine places them again — at
another location, or as a backorder — exactly as it places a new order's units. New
reservations become a new group, released by its rule like any other.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.model import Actor, LocationKind, MovementKind, OrderStatus
from orderhub.hub.allocation.engine import ROUTING, allocate
from orderhub.hub.errors import Conflict, InvalidInput, NotFound
from orderhub.hub.fulfillment.records import get_fulfillment_row, group_lines, location_of
from orderhub.hub.fulfillment.release import release_due
from orderhub.hub.fulfillment.schemas import (
    PickLine,
    PickList,
    PickListEntry,
    PicksIn,
    SkuTotal,
)
from orderhub.hub.orders import service as orders
from orderhub.hub.orders.aggregate import OrderRows, lock_order
from orderhub.hub.runtime import Hub
from orderhub.hub.stock import service as stock
from orderhub.hub.stock.reservations import free_units
from orderhub.hub.store.tables import (
    FulfillmentLineRow,
    FulfillmentRow,
    LocationRow,
    OrderLineRow,
    OrderRow,
    StockLevelRow,
)
from orderhub.hub.store.types import utcnow

SHORT_PICK = "short pick"


async def pick_list(session: AsyncSession, location_code: str) -> PickList:
    location = await session.scalar(sa.select(LocationRow).where(LocationRow.code == location_code))
    if location is None:
        raise NotFound(
            f"no location with code {location_code!r}",
            code="unknown_location",
            location=location_code,
        )
    groups = (
        await session.execute(
            sa.select(FulfillmentRow, OrderRow.number, OrderRow.shipping_address)
            .join(OrderRow, OrderRow.id == FulfillmentRow.order_id)
            .where(
                FulfillmentRow.location_id == location.id,
                FulfillmentRow.status == "released",
                OrderRow.status != OrderStatus.CANCELLED.value,
            )
            .order_by(FulfillmentRow.released_at, FulfillmentRow.id)
        )
    ).all()
    lines = (
        await session.execute(
            sa.select(FulfillmentLineRow, OrderLineRow.name)
            .join(OrderLineRow, OrderLineRow.id == FulfillmentLineRow.line_id)
            .where(FulfillmentLineRow.fulfillment_id.in_([g.id for g, _, _ in groups]))
            .order_by(OrderLineRow.position, FulfillmentLineRow.id)
        )
    ).all()
    totals: dict[str, SkuTotal] = {}
    entries = []
    for group, number, address in groups:
        picks = [
            PickLine(line_id=line.line_id, sku=line.sku, name=name, quantity=line.quantity)
            for line, name in lines
            if line.fulfillment_id == group.id and line.quantity > 0
        ]
        for pick in picks:
            total = totals.setdefault(pick.sku, SkuTotal(sku=pick.sku, name=pick.name, quantity=0))
            total.quantity += pick.quantity
        entries.append(
            PickListEntry(
                fulfillment_id=group.id,
                order_id=group.order_id,
                order_number=number,
                released_at=group.released_at,
                ship_to_country=(address or {}).get("country"),
                lines=picks,
            )
        )
    return PickList(
        location=location.code,
        fulfillments=entries,
        totals=sorted(totals.values(), key=lambda t: t.sku),
    )


def _found(data: PicksIn, lines: list[FulfillmentLineRow]) -> dict[str, int]:
    """Line id -> units found, checked against the group's lines (422 naming the problem)."""
    found: dict[str, int] = {}
    for index, pick in enumerate(data.lines):
        if pick.line_id in found:
            raise InvalidInput(
                f"lines[{index}]: line {pick.line_id} is confirmed twice",
                code="duplicate_line",
                line_id=pick.line_id,
            )
        found[pick.line_id] = pick.found
    asked = {line.line_id: line.quantity for line in lines}
    unknown = sorted(set(found) - set(asked))
    if unknown:
        raise InvalidInput(
            f"not lines of this fulfillment: {', '.join(unknown)}",
            code="unknown_line",
            line_ids=unknown,
        )
    missing = sorted(set(asked) - set(found))
    if missing:
        raise InvalidInput(
            f"every line is confirmed, even when nothing was found; missing: {', '.join(missing)}",
            code="lines_missing",
            line_ids=missing,
        )
    over = {line_id: n for line_id, n in found.items() if n > asked[line_id]}
    if over:
        raise InvalidInput(
            "found more than the pick list asks for: "
            + ", ".join(f"{line_id} ({n} of {asked[line_id]})" for line_id, n in over.items()),
            code="found_more_than_asked",
            lines=over,
        )
    return found


async def _take_off_hand(
    session: AsyncSession, line: FulfillmentLineRow, location: LocationRow, units: int, actor: str
) -> int:
    """Units not found are not there: on hand goes down (never below zero)."""
    on_hand = await session.scalar(
        sa.select(StockLevelRow.on_hand).where(
            StockLevelRow.item_id == line.item_id, StockLevelRow.location_id == location.id
        )
    )
    down = min(units, on_hand or 0)
    if down:
        await stock.adjust(
            session,
            line.sku,
            location.code,
            -down,
            kind=MovementKind.ADJUSTMENT,
            reason=SHORT_PICK,
            reference=line.fulfillment_id,
            actor=actor,
        )
    return down


async def confirm_picks(
    session: AsyncSession, hub: Hub, fulfillment_id: str, data: PicksIn, *, actor: Actor
) -> FulfillmentRow:
    """Record what was found; re-route what was not (see the module docstring)."""
    group = await get_fulfillment_row(session, fulfillment_id)
    rows = await lock_order(session, group.order_id)  # the order before any stock row
    group = await get_fulfillment_row(session, fulfillment_id, for_update=True)
    if rows.row.status == OrderStatus.CANCELLED.value:
        raise Conflict(
            f"order {rows.row.number} is cancelled: nothing to pick", code="order_cancelled"
        )
    if group.status != "released":
        raise Conflict(
            f"fulfillment {group.id} is {group.status}; picks are confirmed once, when released",
            code="not_pickable",
            status=group.status,
        )
    location = await location_of(session, group)
    if location.kind == LocationKind.THREE_PL.value:
        raise Conflict(
            f"{location.code} is a 3PL: its WMS picks and reports", code="fulfilled_by_wms"
        )
    lines = await group_lines(session, group.id)
    found = _found(data, lines)
    short: dict[str, int] = {}
    off_hand: dict[str, int] = {}
    for line in lines:
        line.quantity_picked = found[line.line_id]
        missing = line.quantity - found[line.line_id]
        if missing <= 0:
            continue
        freed = await free_units(session, rows.id, line.line_id, location.id, missing)
        order_line = rows.line(line.line_id)
        order_line.quantity_allocated = max(0, order_line.quantity_allocated - freed)
        off_hand[line.sku] = await _take_off_hand(session, line, location, missing, str(actor))
        line.quantity_short += missing
        line.quantity = found[line.line_id]
        short[line.line_id] = missing
    group.picked_at = utcnow()
    group.status = "picking" if any(found.values()) else "cancelled"
    await orders.record(
        session,
        rows.row,
        actor,
        "picks_confirmed",
        {
            "fulfillment_id": group.id,
            "location": location.code,
            "found": found,
            "short": short,
            "on_hand_lowered": off_hand,
        },
        f"short pick at {location.code}: re-routed" if short else None,
    )
    await session.flush()
    if short:
        await _reroute(session, hub, rows, short, actor)
    return group


async def _reroute(
    session: AsyncSession, hub: Hub, rows: OrderRows, short: dict[str, int], actor: Actor
) -> None:
    """Place the missing units through the allocation engine, then plan and release what it
    reserved. A released order cannot go back to backordered or on hold: when routing would
    need that, its changes are rolled back and the units wait as a backorder, noted in the
    history for an operator."""
    order_id = rows.id  # the savepoint's rollback expires every row it touched
    try:
        async with session.begin_nested():
            await allocate(hub, session, rows, cause="short_pick", actor=ROUTING)
    except Conflict as exc:
        rows = await lock_order(session, order_id)  # what the savepoint left, read again
        for line in rows.lines:
            if line.id in short:
                line.quantity_backordered += short[line.id]
        await orders.record(
            session,
            rows.row,
            ROUTING,
            "short_pick_backordered",
            {"short": short},
            f"the missing units wait as a backorder: {exc.message}",
        )
        return
    await release_due(session, hub, order_id, actor=actor)
