"""Reading fulfillment rows: lookups that answer 404 with a code, and the API views."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connectors import Rate
from orderhub.core.model import Money, TrackingStatus
from orderhub.hub.errors import NotFound
from orderhub.hub.fulfillment.schemas import (
    FulfillmentLineOut,
    FulfillmentOut,
    LabelOut,
    ParcelOut,
    ShipmentOut,
    TrackingEventOut,
)
from orderhub.hub.store.tables import (
    FulfillmentLineRow,
    FulfillmentRow,
    LabelRow,
    LocationRow,
    OrderLineRow,
    OrderRow,
    ShipmentRow,
    TrackingEventRow,
)

OPEN_GROUP = ("planned", "released", "picking", "packed")
"""Group statuses whose units are still reserved at their location."""
LIVE_SHIPMENT = ("packed", "labelled", "shipped")
"""Shipment statuses of parcels that exist (not replaced by a re-pack, not voided)."""
LIVE_LABEL = ("purchasing", "purchased", "unknown")
"""Label statuses that stop a new purchase for the same parcel."""


async def get_fulfillment_row(
    session: AsyncSession, fulfillment_id: str, *, for_update: bool = False
) -> FulfillmentRow:
    query = sa.select(FulfillmentRow).where(FulfillmentRow.id == fulfillment_id)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(
            f"no fulfillment {fulfillment_id!r}",
            code="unknown_fulfillment",
            fulfillment_id=fulfillment_id,
        )
    return row


async def get_shipment_row(
    session: AsyncSession, shipment_id: str, *, for_update: bool = False
) -> ShipmentRow:
    query = sa.select(ShipmentRow).where(ShipmentRow.id == shipment_id)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(
            f"no shipment {shipment_id!r}", code="unknown_shipment", shipment_id=shipment_id
        )
    return row


async def location_of(session: AsyncSession, group: FulfillmentRow) -> LocationRow:
    row = await session.get(LocationRow, group.location_id)
    assert row is not None  # a foreign key
    return row


async def group_lines(session: AsyncSession, fulfillment_id: str) -> list[FulfillmentLineRow]:
    return list(
        await session.scalars(
            sa.select(FulfillmentLineRow)
            .where(FulfillmentLineRow.fulfillment_id == fulfillment_id)
            .order_by(FulfillmentLineRow.id)
        )
    )


async def group_shipments(
    session: AsyncSession, fulfillment_id: str, *, live: bool = True, for_update: bool = False
) -> list[ShipmentRow]:
    query = (
        sa.select(ShipmentRow)
        .where(ShipmentRow.fulfillment_id == fulfillment_id)
        .order_by(ShipmentRow.position, ShipmentRow.created_at)
    )
    if live:
        query = query.where(ShipmentRow.status.in_(LIVE_SHIPMENT))
    if for_update:
        query = query.with_for_update()
    return list(await session.scalars(query))


async def latest_label(session: AsyncSession, shipment_id: str) -> LabelRow | None:
    return await session.scalar(
        sa.select(LabelRow)
        .where(LabelRow.shipment_id == shipment_id)
        .order_by(LabelRow.created_at.desc(), LabelRow.id.desc())
        .limit(1)
    )


def money(amount: int | None, currency: str | None) -> Money | None:
    return Money(amount=amount, currency=currency) if amount is not None and currency else None


# ---------------------------------------------------------------------------- views


async def fulfillment_views(
    session: AsyncSession, groups: Sequence[FulfillmentRow]
) -> list[FulfillmentOut]:
    if not groups:
        return []
    ids = [group.id for group in groups]
    lines = (
        await session.execute(
            sa.select(FulfillmentLineRow, OrderLineRow.name)
            .join(OrderLineRow, OrderLineRow.id == FulfillmentLineRow.line_id)
            .where(FulfillmentLineRow.fulfillment_id.in_(ids))
            .order_by(OrderLineRow.position, FulfillmentLineRow.id)
        )
    ).all()
    shipments = (
        await session.execute(
            sa.select(ShipmentRow.fulfillment_id, ShipmentRow.id)
            .where(
                ShipmentRow.fulfillment_id.in_(ids),
                ShipmentRow.status != "cancelled",
            )
            .order_by(ShipmentRow.position)
        )
    ).all()
    numbers = dict(
        (
            await session.execute(
                sa.select(OrderRow.id, OrderRow.number).where(
                    OrderRow.id.in_({group.order_id for group in groups})
                )
            )
        ).all()
    )
    codes = dict(
        (
            await session.execute(
                sa.select(LocationRow.id, LocationRow.code).where(
                    LocationRow.id.in_({group.location_id for group in groups})
                )
            )
        ).all()
    )
    return [
        FulfillmentOut(
            id=group.id,
            order_id=group.order_id,
            order_number=numbers[group.order_id],
            location=codes[group.location_id],
            method=group.method,
            status=group.status,
            release_rule=group.release_rule,
            planned_at=group.planned_at,
            released_at=group.released_at,
            picked_at=group.picked_at,
            packed_at=group.packed_at,
            shipped_at=group.shipped_at,
            lines=[
                FulfillmentLineOut(
                    line_id=line.line_id,
                    sku=line.sku,
                    name=name,
                    quantity=line.quantity,
                    quantity_picked=line.quantity_picked,
                    quantity_short=line.quantity_short,
                )
                for line, name in lines
                if line.fulfillment_id == group.id
            ],
            shipments=[sid for fid, sid in shipments if fid == group.id],
        )
        for group in groups
    ]


async def fulfillment_view(session: AsyncSession, group: FulfillmentRow) -> FulfillmentOut:
    return (await fulfillment_views(session, [group]))[0]


def label_view(row: LabelRow) -> LabelOut:
    return LabelOut(
        id=row.id,
        status=row.status,
        connection=row.connection_id,
        carrier=row.carrier,
        service=row.service,
        label_format=row.label_format,
        tracking_number=row.tracking_number,
        provider_ref=row.provider_ref,
        cost=money(row.cost_amount, row.cost_currency),
        error_code=row.error_code,
        error_message=row.error_message,
        created_at=row.created_at,
        purchased_at=row.purchased_at,
        voided_at=row.voided_at,
    )


async def shipment_views(
    session: AsyncSession, rows: Sequence[ShipmentRow], *, with_events: bool = False
) -> list[ShipmentOut]:
    if not rows:
        return []
    ids = [row.id for row in rows]
    codes = dict(
        (
            await session.execute(
                sa.select(FulfillmentRow.id, LocationRow.code)
                .join(LocationRow, LocationRow.id == FulfillmentRow.location_id)
                .where(FulfillmentRow.id.in_({row.fulfillment_id for row in rows}))
            )
        ).all()
    )
    labels: dict[str, LabelRow] = {}
    for label in await session.scalars(
        sa.select(LabelRow)
        .where(LabelRow.shipment_id.in_(ids))
        .order_by(LabelRow.created_at, LabelRow.id)
    ):
        labels[label.shipment_id] = label  # the latest wins
    events: dict[str, list[TrackingEventOut]] = {}
    if with_events:
        for event in await session.scalars(
            sa.select(TrackingEventRow)
            .where(TrackingEventRow.shipment_id.in_(ids))
            .order_by(TrackingEventRow.occurred_at, TrackingEventRow.id)
        ):
            events.setdefault(event.shipment_id or "", []).append(
                TrackingEventOut(
                    status=TrackingStatus(event.status),
                    raw_status=event.raw_status,
                    occurred_at=event.occurred_at,
                    description=event.description,
                    location=event.location,
                    carrier=event.carrier,
                    source=event.source,
                )
            )
    out = []
    for row in rows:
        label = labels.get(row.id)
        out.append(
            ShipmentOut(
                id=row.id,
                order_id=row.order_id,
                fulfillment_id=row.fulfillment_id,
                location=codes[row.fulfillment_id],
                position=row.position,
                status=row.status,
                parcel=ParcelOut(
                    weight_grams=row.weight_grams,
                    length_mm=row.length_mm,
                    width_mm=row.width_mm,
                    height_mm=row.height_mm,
                ),
                lines={key: int(value) for key, value in (row.lines or {}).items()},
                connection=row.connection_id,
                carrier=row.carrier,
                service=row.service,
                rate=msgspec.convert(row.rate, Rate) if row.rate else None,
                rate_choice=row.rate_choice,
                tracking_number=row.tracking_number,
                tracking_url=row.tracking_url,
                tracking_status=TrackingStatus(row.tracking_status)
                if row.tracking_status
                else None,
                tracking_raw_status=row.tracking_raw_status,
                tracking_at=row.tracking_at,
                cost=money(row.cost_amount, row.cost_currency),
                attention=row.attention,
                attention_code=row.attention_code,
                shipped_at=row.shipped_at,
                delivered_at=row.delivered_at,
                label=label_view(label) if label else None,
                events=events.get(row.id, []),
            )
        )
    return out
