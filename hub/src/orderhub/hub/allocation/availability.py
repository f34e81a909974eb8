"""Per-channel availability (ATP): queued in the transaction, computed when it is sent.

Every stock change touches its (item, location) row on the unit of work (`touch`). Just before the transaction
commits, `queue_pushes` writes one outbox row per (connection, SKU) for each connection that
can push stock and is fed by a changed location: operation ``push_stock``, coalesce key
``stock:<sku>``, payload ``{"sku": ...}``. The insert does nothing when a pending row for the
key exists already, so a flash sale of a thousand orders on one SKU leaves one pending push per
channel, and no transaction ever updates a shared row to say so.

The number itself is computed when the worker sends the row (`prepare_push`): from the
database at that moment, so the latest number always wins, shaped by the channel's policy
(`orderhub.core.atp`). It is not sent when it equals what the channel was last told
(`published_availability`), nor when the policy says to publish nothing (a feeding location
whose stock is unknown). After a successful push, `record_pushed` stores the number and looks
again: stock that changed while the call was in flight queues one more push.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from orderhub.core.atp import ChannelAtp, available_to_promise
from orderhub.core.connectors import Capability, StockUpdate
from orderhub.core.model import StockLevel
from orderhub.hub.allocation.policy import ChannelPolicy
from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import (
    ItemRow,
    LocationRow,
    OutboxRow,
    PublishedAvailabilityRow,
    StockLevelRow,
)
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import StockRow, UnitOfWork

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

PUSH_STOCK = "push_stock"
LEVELS = StockLevelRow.__table__


def coalesce_key(sku: str) -> str:
    return f"stock:{sku}"


def push_targets(hub: Hub) -> list[tuple[str, ChannelPolicy]]:
    """Connections told about stock: enabled, able to push stock, in id order."""
    return [
        (conn_id, hub.policies.for_connection(conn_id))
        for conn_id in sorted(hub.connections)
        if hub.supports(conn_id, Capability.PUSH_STOCK)
    ]


class Names:
    """Item id -> SKU and location id -> code. Neither changes once a row exists, so a
    process learns each pair once (one `Names` per hub, made where it is assembled)."""

    def __init__(self) -> None:
        self.skus: dict[int, str] = {}
        self.codes: dict[int, str] = {}

    async def learn(self, session: UnitOfWork, items: set[int], locations: set[int]) -> None:
        missing_items = sorted(items - set(self.skus))
        if missing_items:
            rows = await session.execute(
                sa.select(ItemRow.id, ItemRow.sku).where(ItemRow.id.in_(missing_items))
            )
            self.skus.update(dict(rows.all()))
        missing_locations = sorted(locations - set(self.codes))
        if missing_locations:
            rows = await session.execute(
                sa.select(LocationRow.id, LocationRow.code).where(
                    LocationRow.id.in_(missing_locations)
                )
            )
            self.codes.update(dict(rows.all()))


async def insert_pushes(session: UnitOfWork, pushes: list[tuple[str, str]]) -> list[int]:
    """One pending ``push_stock`` row per (connection, SKU) unless one is pending already.

    Rows are written in (connection, SKU) order, so two transactions waiting on each other's
    new pending rows always wait in the same order. Returns the ids of the rows written.
    """
    if not pushes:
        return []
    now = utcnow()
    values = [
        {
            "connection_id": conn_id,
            "operation": PUSH_STOCK,
            "idempotency_key": f"stock:{sku}:{uuid.uuid4().hex}",
            "coalesce_key": coalesce_key(sku),
            "payload": {"sku": sku},
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for conn_id, sku in sorted(set(pushes))
    ]
    result = await session.execute(
        dialect_insert(session)(OutboxRow)
        .values(values)
        .on_conflict_do_nothing()
        .returning(OutboxRow.id)
    )
    written = list(result.scalars())
    for row_id in written:
        session.queue_dispatch(row_id)
    return written


async def queue_pushes(
    session: UnitOfWork, *, targets: list[tuple[str, ChannelPolicy]], names: Names
) -> list[int]:
    """Queue the pushes the stock changes of this transaction call for (see the module).

    Runs once, just before the commit (a before-commit hook)."""
    changed: set[StockRow] = session.touched
    if not changed or not targets:
        return []
    await names.learn(session, {item for item, _ in changed}, {loc for _, loc in changed})
    pushes = []
    for conn_id, policy in targets:
        for item_id, location_id in changed:
            sku, code = names.skus.get(item_id), names.codes.get(location_id)
            if sku is not None and code is not None and policy.fed_by(code):
                pushes.append((conn_id, sku))
    return await insert_pushes(session, pushes)


def is_computed_push(operation: str, payload: dict[str, Any] | None) -> bool:
    """A push whose quantity is computed at send time (written by `queue_pushes`)."""
    return operation == PUSH_STOCK and set(payload or {}) == {"sku"}


async def channel_quantity(
    session: UnitOfWork, policy: ChannelPolicy, sku: str
) -> tuple[int | None, str]:
    """What the channel may sell of `sku` now, or None to publish nothing; and why."""
    item = (
        await session.execute(sa.select(ItemRow.id, ItemRow.sku_group).where(ItemRow.sku == sku))
    ).first()
    if item is None:
        return None, f"no item {sku!r}: nothing published"
    locations = dict(
        (
            await session.execute(
                sa.select(LocationRow.id, LocationRow.code).where(LocationRow.active.is_(True))
            )
        ).all()
    )
    feeding = sorted(code for code in locations.values() if policy.fed_by(code))
    rows = await session.execute(
        sa.select(
            LEVELS.c.location_id, LEVELS.c.on_hand, LEVELS.c.reserved, LEVELS.c.safety_stock
        ).where(LEVELS.c.item_id == item.id)
    )
    levels = [
        StockLevel(
            sku=sku,
            location=locations[location_id],
            on_hand=on_hand,
            reserved=reserved,
            safety_stock=safety,
        )
        for location_id, on_hand, reserved, safety in rows.all()
        if location_id in locations
    ]
    atp = ChannelAtp(
        locations=feeding,
        policy=policy.availability.policy,
        groups=policy.availability.groups,
    )
    rule = atp.policy_for(item.sku_group)
    quantity = available_to_promise(levels, feeding, rule)
    if quantity is None:
        known = {level.location for level in levels}
        unknown = [code for code in feeding if code not in known] or ["no location feeds it"]
        return None, f"stock unknown at {', '.join(unknown)}: nothing published"
    return quantity, "computed"


async def published(session: UnitOfWork, connection_id: str, sku: str) -> int | None:
    return await session.scalar(
        sa.select(PublishedAvailabilityRow.quantity).where(
            PublishedAvailabilityRow.connection_id == connection_id,
            PublishedAvailabilityRow.sku == sku,
        )
    )


async def prepare_push(
    hub: Hub, connection_id: str, sku: str, key: str
) -> tuple[StockUpdate | None, str]:
    """The update to send for one queued push, or None and why nothing is sent."""
    policy = hub.policies.for_connection(connection_id)
    async with hub.read() as session:
        quantity, why = await channel_quantity(session, policy, sku)
        if quantity is None:
            return None, why
        last = await published(session, connection_id, sku)
    if last == quantity:
        return None, f"unchanged: the channel was last told {quantity}"
    return (
        StockUpdate(sku=sku, quantity=quantity, previous_quantity=last, idempotency_key=key),
        f"{quantity} (was {'unknown' if last is None else last})",
    )


async def record_pushed(
    hub: Hub, session: UnitOfWork, connection_id: str, sent: StockUpdate
) -> None:
    """Remember what the channel now shows; queue another push if stock moved meanwhile."""
    now = utcnow()
    await session.execute(
        dialect_insert(session)(PublishedAvailabilityRow)
        .values(connection_id=connection_id, sku=sent.sku, quantity=sent.quantity, updated_at=now)
        .on_conflict_do_update(
            index_elements=["connection_id", "sku"],
            set_={"quantity": sent.quantity, "updated_at": now},
        )
    )
    policy = hub.policies.for_connection(connection_id)
    current, _ = await channel_quantity(session, policy, sent.sku)
    if current is not None and current != sent.quantity:
        await insert_pushes(session, [(connection_id, sent.sku)])
