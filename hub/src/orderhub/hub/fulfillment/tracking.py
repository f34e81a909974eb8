"""Tracking: carrier events from webhooks and polls, stored once each, moving shipments and
orders on.

Every event is kept in `tracking_events` with the carrier's raw status next to the canonical
one; (tracking number, time, raw status) is unique, so a webhook and a poll reporting the same
scan store it once. An event moves its shipment's status only if it is not older than the
latest one applied (events arrive out of order). When every parcel of a shipped order is
delivered, the order is DELIVERED.

An `exception` or `returned_to_sender` event flags the shipment for an operator: its
`attention` says what the carrier said (`attention_code = "tracking_exception"`), and the
order's history gets a `shipment_exception` entry. A shipped order cannot go on hold (the
lifecycle allows no hold after shipping), so the flag lives on the shipment, where the API
(`GET /shipments?needs_attention=true`) and the console find it; a later delivery clears it.

An event for a number no shipment has (yet) is stored as an orphan (`shipment_id` empty) and
attached when a label with that number is recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from orderhub.core.connectors import Capability, ConnectorError, TransientError
from orderhub.core.events import ShipmentChanged, TrackingObserved
from orderhub.core.model import Actor, ActorKind, OrderStatus, TrackingEvent, TrackingStatus
from orderhub.hub.orders import service as orders
from orderhub.hub.runtime import Hub
from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import LabelRow, OrderRow, ShipmentRow, TrackingEventRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import UnitOfWork
from orderhub.hub.sync.state import record_failure, record_success

log = logging.getLogger(__name__)

DONE = frozenset(
    {TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.CANCELLED}
)
"""Statuses after which a shipment is no longer polled."""
FLAGGED = frozenset({TrackingStatus.EXCEPTION, TrackingStatus.RETURNED_TO_SENDER})
TRACKING_ATTENTION = "tracking_exception"
TRACKED = ("labelled", "shipped")


def carrier_actor(connection_id: str) -> Actor:
    return Actor(kind=ActorKind.CONNECTION, name=connection_id)


async def find_shipment(
    session: UnitOfWork, connection_id: str, tracking_number: str, shipment_ref: str | None
) -> ShipmentRow | None:
    """The shipment with this number, or whose label the carrier knows as `shipment_ref`."""
    found = await session.scalar(
        sa.select(ShipmentRow)
        .where(ShipmentRow.tracking_number == tracking_number, ShipmentRow.status.in_(TRACKED))
        .order_by(ShipmentRow.created_at.desc())
        .limit(1)
    )
    if found is not None or shipment_ref is None:
        return found
    return await session.scalar(
        sa.select(ShipmentRow)
        .join(LabelRow, LabelRow.shipment_id == ShipmentRow.id)
        .where(
            LabelRow.connection_id == connection_id,
            LabelRow.provider_ref == shipment_ref,
            LabelRow.status == "purchased",
            ShipmentRow.status.in_(TRACKED),
        )
        .limit(1)
    )


async def _store(
    session: UnitOfWork,
    connection_id: str,
    event: TrackingEvent,
    shipment_id: str | None,
    source: str,
) -> bool:
    """Insert the event; False when it was stored before."""
    result = await session.execute(
        dialect_insert(session)(TrackingEventRow)
        .values(
            shipment_id=shipment_id,
            connection_id=connection_id,
            tracking_number=event.tracking_number,
            carrier=event.carrier,
            status=event.status.value,
            raw_status=event.raw_status[:128],
            occurred_at=event.occurred_at,
            description=event.description[:2048] if event.description else None,
            location=event.location[:512] if event.location else None,
            source=source,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["tracking_number", "occurred_at", "raw_status"])
        .returning(TrackingEventRow.id)
    )
    return result.scalar() is not None


async def record_events(
    session: UnitOfWork,
    connection_id: str,
    events: Sequence[TrackingEvent],
    *,
    source: str,
    shipment_ref: str | None = None,
) -> list[str]:
    """Store and apply events, oldest first; returns notes about orphans."""
    notes = []
    actor = carrier_actor(connection_id)
    for event in sorted(events, key=lambda e: e.occurred_at):
        shipment = await find_shipment(session, connection_id, event.tracking_number, shipment_ref)
        if not await _store(
            session, connection_id, event, shipment.id if shipment else None, source
        ):
            continue
        if shipment is None:
            notes.append(
                f"tracking {event.tracking_number} ({event.raw_status}) kept as an orphan: "
                "no shipment has this number yet"
            )
            continue
        await apply_event(session, shipment, event, actor=actor)
    return notes


async def merge_observed(
    session: UnitOfWork, connection_id: str, change: TrackingObserved
) -> str | None:
    """The merge of one `TrackingObserved` from a carrier's webhook."""
    notes = await record_events(
        session, connection_id, [change.event], source="webhook", shipment_ref=change.shipment_ref
    )
    return notes[0] if notes else None


async def apply_event(
    session: UnitOfWork, shipment: ShipmentRow, event: TrackingEvent, *, actor: Actor
) -> None:
    await session.flush()
    order = await orders.get_order_row(session, shipment.order_id, for_update=True)
    await session.refresh(shipment, with_for_update=True)  # as it is now the order is ours
    newer = shipment.tracking_at is None or event.occurred_at >= shipment.tracking_at
    if newer:
        shipment.tracking_status = event.status.value
        shipment.tracking_raw_status = event.raw_status[:128]
        shipment.tracking_at = event.occurred_at
    if event.status is TrackingStatus.DELIVERED and shipment.delivered_at is None:
        shipment.delivered_at = event.occurred_at
        if shipment.attention_code == TRACKING_ATTENTION:
            shipment.attention = shipment.attention_code = None
    if event.status in FLAGGED and newer:
        said = f": {event.description}" if event.description else ""
        shipment.attention = f"{event.carrier} reports {event.status.value}{said}"[:2048]
        shipment.attention_code = TRACKING_ATTENTION
        await orders.record(
            session,
            order,
            actor,
            "shipment_exception",
            {
                "shipment_id": shipment.id,
                "tracking_number": event.tracking_number,
                "status": event.status.value,
                "raw_status": event.raw_status,
            },
            event.description,
            bump=False,
        )
    shipment_changed(session, shipment)
    await session.flush()
    await settle_delivery(session, order, actor=actor)


def shipment_changed(session: UnitOfWork, shipment: ShipmentRow) -> None:
    """Tell plugins, once the transaction commits, where the parcel is now."""
    session.emit(
        ShipmentChanged(
            shipment_id=shipment.id,
            order_id=shipment.order_id,
            status=shipment.tracking_status or TrackingStatus.UNKNOWN.value,
            tracking_number=shipment.tracking_number,
            at=utcnow(),
        ),
    )


async def settle_delivery(session: UnitOfWork, order: OrderRow, *, actor: Actor) -> None:
    """A shipped order whose every parcel is delivered becomes DELIVERED."""
    if order.status != OrderStatus.SHIPPED.value:
        return
    waiting = await session.scalar(
        sa.select(sa.func.count())
        .select_from(ShipmentRow)
        .where(
            ShipmentRow.order_id == order.id,
            ShipmentRow.status == "shipped",
            ShipmentRow.delivered_at.is_(None),
        )
    )
    if waiting == 0:
        await orders.change_status(
            session, order, OrderStatus.DELIVERED, actor, reason="every parcel is delivered"
        )


async def attach_orphans(session: UnitOfWork, shipment: ShipmentRow, *, actor: Actor) -> int:
    """Give a newly labelled shipment the events stored before its number was known."""
    orphans = list(
        await session.scalars(
            sa.select(TrackingEventRow)
            .where(
                TrackingEventRow.tracking_number == shipment.tracking_number,
                TrackingEventRow.shipment_id.is_(None),
            )
            .order_by(TrackingEventRow.occurred_at, TrackingEventRow.id)
        )
    )
    for row in orphans:
        row.shipment_id = shipment.id
        await apply_event(
            session,
            shipment,
            TrackingEvent(
                tracking_number=row.tracking_number,
                carrier=row.carrier,
                status=TrackingStatus(row.status),
                raw_status=row.raw_status,
                occurred_at=row.occurred_at,
                description=row.description,
                location=row.location,
            ),
            actor=actor,
        )
    return len(orphans)


# ------------------------------------------------------------------------------ polling


async def due_for_polling(hub: Hub, now: datetime) -> dict[str, list[tuple[str, str]]]:
    """Connection -> (shipment id, tracking number) to ask about now, longest unasked first,
    at most `poll_batch` per connection."""
    config = hub.settings.fulfillment.tracking
    before = now - timedelta(minutes=config.poll_every_minutes)
    async with hub.read() as session:
        rows = (
            await session.execute(
                sa.select(ShipmentRow.id, ShipmentRow.connection_id, ShipmentRow.tracking_number)
                .where(
                    ShipmentRow.status == "shipped",
                    ShipmentRow.tracking_number.is_not(None),
                    ShipmentRow.connection_id.is_not(None),
                    sa.or_(
                        ShipmentRow.tracking_status.is_(None),
                        ShipmentRow.tracking_status.not_in([s.value for s in DONE]),
                    ),
                    sa.or_(ShipmentRow.polled_at.is_(None), ShipmentRow.polled_at < before),
                )
                .order_by(sa.nullsfirst(ShipmentRow.polled_at), ShipmentRow.id)
            )
        ).all()
    due: dict[str, list[tuple[str, str]]] = {}
    for shipment_id, conn_id, number in rows:
        if not hub.supports(conn_id, Capability.TRACKING):
            continue
        batch = due.setdefault(conn_id, [])
        if len(batch) < config.poll_batch:
            batch.append((shipment_id, number))
    return due


async def _poll_connection(hub: Hub, conn_id: str, batch: list[tuple[str, str]]) -> int:
    """Ask one carrier about its shipments, one call at a time, spaced by the pacing; stop
    at the first sign of overload (the next run carries on). Returns shipments asked."""
    spacing = hub.settings.fulfillment.tracking.poll_spacing_seconds
    connector = hub.connector(conn_id)
    asked = 0
    for index, (shipment_id, number) in enumerate(batch):
        if index and spacing:
            await asyncio.sleep(spacing)
        try:
            events = await connector.track(number)
        except TransientError as exc:
            log.info("tracking poll of %s paused: %s", conn_id, exc)
            async with hub.transaction() as session:
                await record_failure(session, conn_id, f"tracking: {exc}")
            break
        except ConnectorError as exc:
            events = []
            async with hub.transaction() as session:
                await record_failure(session, conn_id, f"tracking {number}: {exc}")
        async with hub.transaction() as session:
            await record_events(session, conn_id, events, source="poll")
            await session.execute(
                sa.update(ShipmentRow)
                .where(ShipmentRow.id == shipment_id)
                .values(polled_at=utcnow())
            )
            if events:
                await record_success(session, conn_id)
        asked += 1
    return asked


async def poll_once(hub: Hub, *, now: datetime | None = None) -> dict[str, int]:
    """Poll every carrier connection's due shipments, connections side by side."""
    due = await due_for_polling(hub, now or utcnow())
    counts = await asyncio.gather(
        *(_poll_connection(hub, conn_id, batch) for conn_id, batch in sorted(due.items()))
    )
    return dict(zip(sorted(due), counts, strict=True))
