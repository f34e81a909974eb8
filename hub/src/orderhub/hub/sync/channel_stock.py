"""Where a channel's stock numbers go, and which of its stock reports count.

A connection maps provider locations to OrderHub locations (`connections.<id>.locations`).
A mapped location whose OrderHub code feeds the channel (`feeds_from`, empty: every
location) is a *publishing* location: OrderHub tells the channel how much it may sell
there. The channel's availability for a SKU goes to the first publishing location in the
mapping's order, with the provider's item id when an item binding knows it (Shopify's
inventory item, learnt from polled orders), so the connector need not look it up.

Once OrderHub has published a SKU to a channel, the levels that channel reports for it at
a publishing location are not counts: they are the number OrderHub pushed, minus what the
channel's own orders took meanwhile (Shopify moves ordered units from available to
committed at once). Taking them as on hand would count every order twice and shrink the
stock with each echo of a push. Such reports are recorded as notes and change nothing.
Reports count when they come from a location the channel does not publish to (a shop whose
stock the channel's POS keeps), or before OrderHub ever published that SKU there (the
first levels of a newly connected store).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connection import Connection
from orderhub.core.connectors import StockUpdate
from orderhub.core.model import Order
from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import BindingRow, PublishedAvailabilityRow

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

ITEM = "item"
"""Binding entity of a provider's item id (its stock-keeping unit: Shopify's inventory item)."""
ITEM_BINDING_KEYS = ("inventory_item_id",)
"""Line binding keys that name the provider's item id; the merge binds them to the SKU."""


def feeds(connection: Connection, code: str) -> bool:
    return not connection.feeds_from or code in connection.feeds_from


def publishing_locations(connection: Connection) -> list[str]:
    """Provider location ids OrderHub publishes to, in the mapping's order."""
    return [ref for ref, code in connection.locations.items() if feeds(connection, code)]


async def bind_items(session: AsyncSession, connection_id: str, order: Order) -> int:
    """Bind the provider item ids an order's lines carry to their SKUs, so the channel's stock
    reports (which name only the item) find the SKU. Returns how many were new."""
    pairs = {
        (line.bindings[key], line.sku)
        for line in order.lines
        if line.sku
        for key in ITEM_BINDING_KEYS
        if line.bindings.get(key)
    }
    if not pairs:
        return 0
    result = await session.execute(
        dialect_insert(session)(BindingRow)
        .values(
            [
                {
                    "connection_id": connection_id,
                    "entity": ITEM,
                    "external_id": ref,
                    "internal_id": sku,
                }
                for ref, sku in sorted(pairs)
            ]
        )
        .on_conflict_do_nothing()
        .returning(BindingRow.id)
    )
    return len(result.all())


async def item_ref(session: AsyncSession, connection_id: str, sku: str) -> str | None:
    """The provider's item id for a SKU, when exactly one is bound to it."""
    refs = (
        await session.scalars(
            sa.select(BindingRow.external_id)
            .where(
                BindingRow.connection_id == connection_id,
                BindingRow.entity == ITEM,
                BindingRow.internal_id == sku,
            )
            .limit(2)
        )
    ).all()
    return refs[0] if len(refs) == 1 else None


async def addressed(
    session: AsyncSession, connection: Connection, update: StockUpdate
) -> StockUpdate:
    """The update with the provider location and item it is for, where OrderHub knows them."""
    location = update.location_ref
    if location is None:
        publishing = publishing_locations(connection)
        location = publishing[0] if publishing else None
    item = update.item_ref
    if item is None:
        item = await item_ref(session, connection.id, update.sku)
    if (location, item) == (update.location_ref, update.item_ref):
        return update
    return msgspec.structs.replace(update, location_ref=location, item_ref=item)


async def address_all(
    hub: Hub, connection_id: str, updates: Sequence[StockUpdate]
) -> list[StockUpdate]:
    """`addressed` for each update the outbox is about to send."""
    connection = hub.connection(connection_id)
    async with hub.read() as session:
        return [await addressed(session, connection, update) for update in updates]


async def derived_report(
    session: AsyncSession, connection: Connection, location_ref: str, sku: str
) -> str | None:
    """Why a stock report is not a count (see the module), or None when it is one."""
    code = connection.locations.get(location_ref)
    if code is None or not feeds(connection, code):
        return None
    published = await session.scalar(
        sa.select(PublishedAvailabilityRow.quantity).where(
            PublishedAvailabilityRow.connection_id == connection.id,
            PublishedAvailabilityRow.sku == sku,
        )
    )
    if published is None:
        return None
    return (
        f"stock for {sku} at {location_ref!r} not counted: OrderHub publishes this SKU's "
        f"availability there (last told {published}); the channel's level follows it"
    )
