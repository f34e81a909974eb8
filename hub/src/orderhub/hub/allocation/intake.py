"""Every order that enters: stored, checked, routed and reserved in one transaction.

`accept_order` is what `POST /orders`, the merge of channel events and the spreadsheet
import call instead of `orders.service.create_order`:

1. `create_order` stores it (an unknown SKU from a channel puts it on hold at once);
2. the channel's checks run (`run_checks`): the built-in ones configured for the channel,
   then the plugins', awaited when they are asynchronous. Each check that asks for a hold
   places one, with its reason and the check's name as the source;
3. an order without holds is allocated (`engine.allocate`).

A held order reserves nothing: when its last hold is released (`holds.release_hold`) it is
allocated with the stock there is then.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.model import Actor, ActorKind, Order
from orderhub.core.preprocess import run_checks_async
from orderhub.hub.allocation import engine
from orderhub.hub.allocation.engine import OrderRows
from orderhub.hub.allocation.policy import ChannelPolicy
from orderhub.hub.allocation.snapshot import Snapshot, load_snapshot
from orderhub.hub.orders.mapping import order_from_rows
from orderhub.hub.orders.service import store_order
from orderhub.hub.store.tables import OrderLineRow, OrderRow

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

PREPROCESS = Actor(kind=ActorKind.SYSTEM, name="preprocess")
"""Who the history names for holds the checks place."""

RECENT_WINDOW = timedelta(hours=24)
"""How far back (and forward) the duplicate and velocity checks look for the same customer."""
RECENT_LIMIT = 50

_STANDALONE_CHECKS = {"availability", "payment", "address"}
"""Built-in checks that never look at other orders: without others, no lookup is needed."""


async def recent_orders(session: AsyncSession, order: Order) -> list[Order]:
    """The same customer's orders (by e-mail) placed within a day of this one."""
    email = order.customer.email.lower() if order.customer and order.customer.email else None
    if not email:
        return []
    rows = list(
        await session.scalars(
            sa.select(OrderRow)
            .where(
                OrderRow.customer_email == email,
                OrderRow.id != order.id,
                OrderRow.placed_at >= order.placed_at - RECENT_WINDOW,
                OrderRow.placed_at <= order.placed_at + RECENT_WINDOW,
            )
            .order_by(OrderRow.placed_at.desc())
            .limit(RECENT_LIMIT)
        )
    )
    if not rows:
        return []
    lines: dict[str, list[OrderLineRow]] = {row.id: [] for row in rows}
    for line in await session.scalars(
        sa.select(OrderLineRow).where(OrderLineRow.order_id.in_(sorted(lines)))
    ):
        lines[line.order_id].append(line)
    return [order_from_rows(row, lines[row.id]) for row in rows]


async def run_checks(
    session: AsyncSession,
    policy: ChannelPolicy,
    order: Order,
    snapshot: Snapshot,
    *,
    known_skus: frozenset[str],
) -> list[HoldRequest]:
    """The holds the channel's checks ask for (nothing is written here). `known_skus`: the
    order's SKUs the catalog has."""
    if not policy.checks:
        return []
    names = {getattr(check, "name", None) for check in policy.checks}
    others = await recent_orders(session, order) if names - _STANDALONE_CHECKS else []
    context = CheckContext(
        order=order,
        known_skus=known_skus,
        channel_policy=policy.check_settings,
        recent_orders=others,
        available=snapshot.pooled_available(),
        incoming=snapshot.pooled_incoming(),
    )
    return await run_checks_async(context, policy.checks)


async def preprocess(
    hub: Hub, session: AsyncSession, rows: OrderRows, *, cause: str
) -> engine.Outcome | None:
    """Check the order, then allocate it unless a check held it. The order is locked or
    new in this transaction and has no active hold."""
    policy = hub.policies.for_connection(rows.row.connection_id)
    order = rows.order()
    snapshot = await load_snapshot(
        session,
        policy,
        engine.wanted_skus(order),
        with_incoming=engine.needs_incoming(policy),
        order_id=rows.id,
    )
    known = frozenset(line.sku for line in rows.lines if line.sku and line.item_id is not None)
    holds = await run_checks(session, policy, order, snapshot, known_skus=known)
    for hold in holds:
        await engine.hold_order(
            session,
            rows,
            hold.reason,
            hold.detail,
            source=f"preprocess.{hold.check}",
            actor=PREPROCESS,
        )
    if holds:
        return None
    return await engine.allocate(hub, session, rows, cause=cause, snapshot=snapshot)


async def accept_order(
    hub: Hub,
    session: AsyncSession,
    order: Order,
    *,
    actor: Actor,
    reject_unknown_skus: bool,
    known_items: dict[str, int] | None = None,
) -> Order:
    """Store a new order, check it, route it and reserve its stock, in the caller's
    transaction. Returns the order as stored (status, holds, quantities, promise).

    `known_items` (SKU -> item id) saves a catalog lookup when the caller just made it."""
    row, lines, holds = await store_order(
        session,
        order,
        actor=actor,
        reject_unknown_skus=reject_unknown_skus,
        known_items=known_items,
    )
    rows = OrderRows(row=row, lines=lines, holds=holds)
    if not rows.active_holds:
        await preprocess(hub, session, rows, cause="intake")
    return rows.order()
