"""Merging what a connection tells us into the store, idempotently and keyed by business ids.

Each inbound change is applied by its natural key (the connection plus the provider's id), so
the same change delivered twice, or by a webhook and a poll, has the effect of one. Order
snapshots carry the channel's last-modified time: an older snapshot than the one applied is
ignored, so events arriving out of order converge to the newest state.

A change that cannot apply but is not an error (stock at an unmapped location) becomes a
*note*: the inbox row is done and the note is shown to operators in its `last_error`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connection import Connection
from orderhub.core.events import (
    ConnectionRevoked,
    InboundChange,
    OrderCancelObserved,
    OrderObserved,
    RefundObserved,
    StockObserved,
    TrackingObserved,
)
from orderhub.core.model import Actor, ActorKind, MovementKind, Order, OrderStatus
from orderhub.hub.allocation.intake import accept_order
from orderhub.hub.catalog.service import item_ids
from orderhub.hub.errors import Conflict
from orderhub.hub.fulfillment import tracking
from orderhub.hub.orders import service as orders
from orderhub.hub.orders.mapping import order_row
from orderhub.hub.stock import service as stock
from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import BindingRow, LocationRow, OrderRow
from orderhub.hub.sync import channel_stock
from orderhub.hub.sync.state import record_revoked

UPDATABLE_FIELDS = (
    "financial_status",
    "customer",
    "customer_email",
    "shipping_address",
    "billing_address",
    "tags",
    "notes",
    "attributes",
    "payments",
    "totals",
    "total_amount",
)
"""Order columns a newer channel snapshot may change. Lines change through edits, not here."""


if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub


class NotYetKnown(Exception):
    """The change refers to an order we have not received yet: try again later."""


def connection_actor(connection_id: str) -> Actor:
    return Actor(kind=ActorKind.CONNECTION, name=connection_id)


async def apply_changes(
    session: AsyncSession, connection: Connection, changes: Sequence[InboundChange], *, hub: Hub
) -> list[str]:
    """Apply every change in order, in the caller's transaction. Returns the notes."""
    notes: list[str] = []
    for change in changes:
        note = await apply_change(session, connection, change, hub=hub)
        if note:
            notes.append(note)
    return notes


async def apply_change(
    session: AsyncSession, connection: Connection, change: InboundChange, *, hub: Hub
) -> str | None:
    """Apply one change. The connection is the inbox row's, whatever the change claims."""
    match change:
        case OrderObserved(order=order):
            return await merge_order(session, connection.id, order, hub=hub)
        case OrderCancelObserved():
            return await merge_cancellation(session, connection.id, change)
        case RefundObserved():
            return await merge_refund(session, connection.id, change)
        case StockObserved():
            return await merge_stock(session, connection, change)
        case ConnectionRevoked(reason=reason):
            await record_revoked(session, connection.id, reason)
            return None
        case TrackingObserved():
            return await tracking.merge_observed(session, connection.id, change)
    raise TypeError(f"not an inbound change: {type(change).__name__}")


# ------------------------------------------------------------------------------ bindings


async def bind(
    session: AsyncSession, connection_id: str, entity: str, external_id: str, internal_id: str
) -> bool:
    """Record that `external_id` on the connection is our `internal_id`. False if known."""
    result = await session.execute(
        dialect_insert(session)(BindingRow)
        .values(
            connection_id=connection_id,
            entity=entity,
            external_id=external_id,
            internal_id=internal_id,
        )
        .on_conflict_do_nothing()
        .returning(BindingRow.id)
    )
    return result.scalar() is not None


async def bound(
    session: AsyncSession, connection_id: str, entity: str, external_id: str
) -> str | None:
    return await session.scalar(
        sa.select(BindingRow.internal_id).where(
            BindingRow.connection_id == connection_id,
            BindingRow.entity == entity,
            BindingRow.external_id == external_id,
        )
    )


# -------------------------------------------------------------------------------- orders


def is_stale(incoming: datetime | None, applied: datetime | None) -> bool:
    """A snapshot not newer than the one applied is stale. Without timestamps we cannot
    tell, and apply it: the field comparison makes re-applying the same state a no-op."""
    return incoming is not None and applied is not None and incoming <= applied


async def merge_order(
    session: AsyncSession, connection_id: str, order: Order, *, hub: Hub
) -> str | None:
    """A new order is accepted (checked, routed, reserved: `allocation.intake`); a known one
    takes the updatable fields of a newer snapshot."""
    actor = connection_actor(connection_id)
    if order.connection != connection_id:
        order = msgspec.structs.replace(order, connection=connection_id)
    row = await orders.find_order_row(session, connection_id, order.external_id, for_update=True)
    await channel_stock.bind_items(session, connection_id, order)
    if row is None:
        created = await accept_order(hub, session, order, actor=actor, reject_unknown_skus=False)
        assert created.id is not None
        await bind(session, connection_id, "order", order.external_id, created.id)
        return None
    if is_stale(order.source_updated_at, row.source_updated_at):
        return (
            f"order {order.external_id}: snapshot of {order.source_updated_at.isoformat()} "
            f"ignored, {row.source_updated_at.isoformat()} already applied"
        )
    changed = _update_fields(row, order)
    if order.source_updated_at is not None:
        row.source_updated_at = order.source_updated_at
    if changed:
        detail: dict[str, Any] = {"fields": changed}
        if order.source_updated_at is not None:
            detail["source_updated_at"] = order.source_updated_at.isoformat()
        await orders.record(session, row, actor, "updated_from_channel", detail)
    return None


def _update_fields(row: OrderRow, order: Order) -> list[str]:
    """Copy the updatable fields of a snapshot onto the row; the names of those that changed."""
    fresh = order_row(order, row.id)
    changed = []
    for name in UPDATABLE_FIELDS:
        value = getattr(fresh, name)
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    return changed


async def _order_for(session: AsyncSession, connection_id: str, external_id: str) -> OrderRow:
    row = await orders.find_order_row(session, connection_id, external_id, for_update=True)
    if row is None:
        raise NotYetKnown(f"no order {external_id!r} from {connection_id} yet")
    return row


async def merge_cancellation(
    session: AsyncSession, connection_id: str, change: OrderCancelObserved
) -> str | None:
    """Cancel as the channel did; nothing is pushed back to it. Refused once shipped."""
    row = await _order_for(session, connection_id, change.external_id)
    if row.status == OrderStatus.CANCELLED.value:
        return None
    actor = connection_actor(connection_id)
    reason = change.reason or "cancelled on the channel"
    try:
        await orders.cancel_order(session, row.id, actor=actor, reason=reason)
    except Conflict as exc:
        await orders.record(
            session,
            row,
            actor,
            "channel_cancel_refused",
            {"status": row.status, "channel_reason": reason},
            exc.message,
            bump=False,
        )
        return f"order {change.external_id}: cancellation not applied: {exc.message}"
    return None


async def merge_refund(
    session: AsyncSession, connection_id: str, change: RefundObserved
) -> str | None:
    """Note the refund in the order's history, once per refund id."""
    row = await _order_for(session, connection_id, change.order_external_id)
    if not await bind(session, connection_id, "refund", change.refund_id, row.id):
        return None
    await orders.record(
        session,
        row,
        connection_actor(connection_id),
        "refund_observed",
        {
            "refund_id": change.refund_id,
            "amount": change.amount.amount,
            "currency": change.amount.currency,
            "line_quantities": dict(change.line_quantities),
            "restock": change.restock,
        },
    )
    return None


# --------------------------------------------------------------------------------- stock


async def merge_stock(
    session: AsyncSession, connection: Connection, change: StockObserved
) -> str | None:
    """Take the reported count as on hand at the mapped location."""
    code = connection.locations.get(change.location_ref)
    if code is None:
        return (
            f"stock at location {change.location_ref!r} ignored: not mapped in "
            f"connections.{connection.id}.locations"
        )
    sku = change.sku
    if sku is None and change.item_ref is not None:
        sku = await bound(session, connection.id, "item", change.item_ref)
        if sku is None:
            return f"stock for item {change.item_ref!r} ignored: no item is bound to it"
    if sku is None:
        return "stock ignored: the change names neither a SKU nor an item"
    derived = await channel_stock.derived_report(session, connection, change.location_ref, sku)
    if derived is not None:
        return derived
    if not await item_ids(session, [sku]):
        return f"stock for SKU {sku!r} ignored: no such item"
    if await session.scalar(sa.select(LocationRow.id).where(LocationRow.code == code)) is None:
        return f"stock at location {code!r} ignored: no such location"
    quantity = max(change.quantity, 0)
    await stock.set_on_hand(
        session,
        sku,
        code,
        quantity,
        kind=MovementKind.COUNT,
        reason=f"reported by {connection.id}",
        actor=str(connection_actor(connection.id)),
    )
    if change.quantity < 0:
        return f"stock for {sku} at {code}: {change.quantity} reported, recorded as 0"
    return None
