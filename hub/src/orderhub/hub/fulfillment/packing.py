"""Packing a picked group into parcels: one shipment per parcel, with weight, measures and
contents. Together the parcels hold exactly what was picked.

A group may be packed again while none of its parcels has a label bought (or being
bought): the earlier parcels are marked `cancelled`, their history kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.model import Actor, OrderStatus
from orderhub.hub.errors import Conflict, InvalidInput
from orderhub.hub.fulfillment.records import (
    LIVE_LABEL,
    get_fulfillment_row,
    group_lines,
    group_shipments,
)
from orderhub.hub.fulfillment.schemas import PackIn
from orderhub.hub.ids import new_id
from orderhub.hub.orders import service as orders
from orderhub.hub.store.tables import FulfillmentRow, LabelRow, ShipmentRow
from orderhub.hub.store.types import utcnow


def parcel_contents(data: PackIn, picked: dict[str, int]) -> list[dict[str, int]]:
    """Each parcel's line id -> units, checked against what was picked (422 otherwise)."""
    if len(data.parcels) == 1 and data.parcels[0].lines is None:
        return [dict(picked)]
    contents = []
    packed: dict[str, int] = {}
    for index, parcel in enumerate(data.parcels):
        if parcel.lines is None:
            raise InvalidInput(
                f"parcels[{index}]: with several parcels, each says which lines it holds",
                code="parcel_lines_required",
                parcel=index,
            )
        unknown = sorted(set(parcel.lines) - set(picked))
        if unknown:
            raise InvalidInput(
                f"parcels[{index}]: not picked lines of this fulfillment: {', '.join(unknown)}",
                code="unknown_line",
                parcel=index,
                line_ids=unknown,
            )
        for line_id, units in parcel.lines.items():
            packed[line_id] = packed.get(line_id, 0) + units
        contents.append(dict(parcel.lines))
    if packed != picked:
        raise InvalidInput(
            "the parcels must hold exactly the units picked",
            code="packed_quantities_mismatch",
            picked=picked,
            packed=packed,
        )
    return contents


async def pack(
    session: AsyncSession, fulfillment_id: str, data: PackIn, *, actor: Actor
) -> FulfillmentRow:
    group = await get_fulfillment_row(session, fulfillment_id)
    order = await orders.get_order_row(session, group.order_id, for_update=True)  # order first
    group = await get_fulfillment_row(session, fulfillment_id, for_update=True)
    if order.status == OrderStatus.CANCELLED.value:
        raise Conflict(
            f"order {order.number} is cancelled: nothing to pack", code="order_cancelled"
        )
    if group.status not in ("picking", "packed"):
        raise Conflict(
            f"fulfillment {group.id} is {group.status}; it is packed after its picks are "
            "confirmed and before it ships",
            code="not_packable",
            status=group.status,
        )
    earlier = await group_shipments(session, group.id, for_update=True)
    if earlier:
        labelled = await session.scalar(
            sa.select(LabelRow.id).where(
                LabelRow.shipment_id.in_([s.id for s in earlier]),
                LabelRow.status.in_(LIVE_LABEL),
            )
        )
        if labelled is not None:
            raise Conflict(
                f"a parcel of fulfillment {group.id} has a label ({labelled}); void it before "
                "packing again",
                code="labels_bought",
                label_id=labelled,
            )
    picked = {
        line.line_id: line.quantity_picked
        for line in await group_lines(session, group.id)
        if line.quantity_picked
    }
    contents = parcel_contents(data, picked)
    for shipment in earlier:
        shipment.status = "cancelled"
    created = []
    for position, (parcel, lines) in enumerate(zip(data.parcels, contents, strict=True), 1):
        shipment = ShipmentRow(
            id=new_id("shm"),
            order_id=group.order_id,
            fulfillment_id=group.id,
            position=position,
            status="packed",
            weight_grams=parcel.weight_grams,
            length_mm=parcel.length_mm,
            width_mm=parcel.width_mm,
            height_mm=parcel.height_mm,
            lines=lines,
        )
        session.add(shipment)
        created.append(shipment.id)
    group.status = "packed"
    group.packed_at = utcnow()
    await orders.record(
        session,
        order,
        actor,
        "packed",
        {
            "fulfillment_id": group.id,
            "shipments": created,
            "replaced": [s.id for s in earlier],
        },
    )
    await session.flush()
    return group
