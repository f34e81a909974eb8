"""Telling a channel that a shipment it was told about has new tracking details.

A shipment is confirmed to its order's channel once (`push_fulfillment`, idempotency key
``fulfillment:<shipment id>``); the channel answers with its own id for that fulfillment,
which the outbox keeps as the row's result. When the carrier, number or URL change later
(an operator corrects them), an ``update_tracking`` row is queued. It is sent with the
connector's `update_tracking(fulfillment_ref, notice)` (optional: not part of the channel
protocol) once the confirmation itself has gone out; until then it waits its turn.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connectors import (
    Capability,
    FulfillmentNotice,
    PermanentError,
    TransientError,
)
from orderhub.core.model import Actor
from orderhub.hub.errors import Conflict, NotFound
from orderhub.hub.fulfillment.notices import fulfillment_notice
from orderhub.hub.orders import service as orders
from orderhub.hub.store.tables import OrderLineRow, OutboxRow, ShipmentRow
from orderhub.hub.sync import outbox

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

OPERATION = "update_tracking"
CONFIRMATION_WAIT_SECONDS = 5.0
"""How long an update waits before looking again for its shipment's confirmation."""


class TrackingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """New tracking details of a shipped parcel (what is left out stays as it was)."""

    tracking_number: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    carrier: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    tracking_url: Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=1024)] | None = None


class TrackingChange(msgspec.Struct, kw_only=True):
    shipment_id: str
    order_id: str
    carrier: str | None
    tracking_number: str
    tracking_url: str | None
    outbox_id: int | None
    """The `update_tracking` row for the order's channel (None: it takes no fulfillments, or
    the details did not change)."""


class TrackingUpdate(msgspec.Struct, kw_only=True, frozen=True):
    """The outbox payload: the new details, as a notice for the same shipment."""

    notice: FulfillmentNotice


def decode(payload: dict[str, Any]) -> TrackingUpdate:
    return msgspec.convert(payload, TrackingUpdate)


def confirmation_key(shipment_id: str) -> str:
    return f"fulfillment:{shipment_id}"


async def queue(
    session: AsyncSession, hub: Hub, connection_id: str, notice: FulfillmentNotice
) -> int | None:
    """Queue new tracking details for the channel, if its connector takes fulfillments.

    Pending updates of one shipment replace each other (the latest details win); the same
    details twice are written once. Returns the outbox row id, or None.
    """
    if not hub.supports(connection_id, Capability.PUSH_FULFILLMENT):
        return None
    details = "|".join(
        part or "" for part in (notice.carrier, notice.tracking_number, notice.tracking_url)
    )
    digest = hashlib.sha256(details.encode()).hexdigest()[:16]
    return await outbox.enqueue(
        session,
        connection_id=connection_id,
        operation=OPERATION,
        payload=msgspec.to_builtins(TrackingUpdate(notice=notice)),
        idempotency_key=f"tracking:{notice.shipment_id}:{digest}",
        coalesce_key=f"tracking:{notice.shipment_id}",
    )


async def change_tracking(
    session: AsyncSession, hub: Hub, shipment_id: str, data: TrackingIn, *, actor: Actor
) -> TrackingChange:
    """Correct a shipped parcel's tracking details and queue them for the order's channel.

    404 `unknown_shipment`; 409 `not_shipped` before it shipped (its label decides then).
    """
    shipment = await session.scalar(
        sa.select(ShipmentRow).where(ShipmentRow.id == shipment_id).with_for_update()
    )
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id!r}", code="unknown_shipment", id=shipment_id)
    if shipment.status != "shipped":
        raise Conflict(
            f"shipment {shipment_id} is {shipment.status}; tracking is changed once it shipped",
            code="not_shipped",
            status=shipment.status,
        )
    before = (shipment.carrier, shipment.tracking_number, shipment.tracking_url)
    shipment.tracking_number = data.tracking_number
    shipment.carrier = data.carrier or shipment.carrier
    shipment.tracking_url = data.tracking_url or (
        shipment.tracking_url if before[1] == data.tracking_number else None
    )
    after = (shipment.carrier, shipment.tracking_number, shipment.tracking_url)
    order = await orders.get_order_row(session, shipment.order_id, for_update=True)
    row_id = None
    if after != before:
        await orders.record(
            session,
            order,
            actor,
            "tracking_changed",
            {
                "shipment_id": shipment_id,
                "from": dict(
                    zip(("carrier", "tracking_number", "tracking_url"), before, strict=True)
                ),
                "to": dict(zip(("carrier", "tracking_number", "tracking_url"), after, strict=True)),
            },
        )
        external = dict(
            (
                await session.execute(
                    sa.select(OrderLineRow.id, OrderLineRow.external_id).where(
                        OrderLineRow.order_id == order.id
                    )
                )
            ).all()
        )
        notice = fulfillment_notice(order, external, shipment)
        row_id = await queue(session, hub, order.connection_id, notice)
    return TrackingChange(
        shipment_id=shipment_id,
        order_id=order.id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        outbox_id=row_id,
    )


async def fulfillment_ref(session: AsyncSession, connection_id: str, shipment_id: str) -> str:
    """The channel's id of the shipment's confirmation; waits (TransientError) while it has
    not gone out, and gives up (PermanentError) when it never will without an operator."""
    row = (
        await session.execute(
            sa.select(OutboxRow.id, OutboxRow.status, OutboxRow.result).where(
                OutboxRow.connection_id == connection_id,
                OutboxRow.idempotency_key == confirmation_key(shipment_id),
            )
        )
    ).first()
    if row is None:
        raise PermanentError(f"shipment {shipment_id} was never confirmed to {connection_id}")
    if row.status == "dead":
        raise PermanentError(
            f"the confirmation of shipment {shipment_id} (outbox row {row.id}) is dead: "
            "replay it, then this update"
        )
    if row.status != "done":
        raise TransientError(
            f"the confirmation of shipment {shipment_id} (outbox row {row.id}) is "
            f"{row.status}; the tracking update follows it",
            retry_after=CONFIRMATION_WAIT_SECONDS,
        )
    ref = (row.result or {}).get("id")
    if not ref:
        raise PermanentError(
            f"the channel gave no id for the confirmation of shipment {shipment_id}"
        )
    return str(ref)


async def send(
    hub: Hub, connection_id: str, connector: Any, update: TrackingUpdate
) -> dict[str, str]:
    """Dispatch one update: find the confirmation's id, then call the connector."""
    call = getattr(connector, OPERATION, None)
    if not callable(call):
        raise PermanentError(
            f"the {getattr(connector, 'name', '?')} connector cannot update tracking details"
        )
    async with hub.read() as session:
        ref = await fulfillment_ref(session, connection_id, update.notice.shipment_id)
    await call(ref, update.notice)
    return {"fulfillment_ref": ref}
