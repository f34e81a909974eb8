"""Every order that enters: stored, checked, routed and reserved in one transaction.

`accept_orders` is what `POST /orders` (a batch of the requests that arrive together), the
merge of channel events and the spreadsheet import (one order at a time, `accept_order`)
call instead of `orders.service.create_order`:

1. `store_orders` stores them (an unknown SKU from a channel puts its order on hold at once;
   bad input and duplicates get their error, the others go on);
2. for each order, in arrival order, the channel's checks run (`run_checks`): the built-in
   ones configured for the channel, then the plugins', awaited when they are asynchronous.
   Each check that asks for a hold places one, with its reason and the check's name as the
   source. The same customer's orders earlier in the batch count as recent orders;
3. each unheld order is planned (`engine.plan_for`) on one snapshot of stock read for the
   whole batch, taking its units from it in turn, and its plan written (`engine.write_plan`),
   exactly as `engine.allocate` does on a first attempt;
4. the reservations of the whole batch are taken last, in one conditional statement
   (`reserve_many`), and the transaction commits once: one short lock window on the hot
   rows and one durable commit for many orders.

The snapshot is read without locks, so the checks (a plugin's may take its time) never hold
the hot rows. When the conditional reservation is refused — another transaction took units
the batch planned on — the batch's savepoint is rolled back and the batch done again with
the stock rows locked after the checks (`snapshot.lock_levels`) and read under the lock:
that second time nothing can be refused. While stock is plentiful, refusals do not happen;
they come only where a location is about to run out.

An order whose plan needs more than that — substitutes for short lines, units promised on
incoming stock — is allocated by `engine.allocate` after the batch's reservations, in the
same transaction.

A held order reserves nothing: when its last hold is cleared (`holds.clear_hold`) it is
allocated with the stock there is then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.model import Actor, ActorKind, Order
from orderhub.core.preprocess import run_checks_async
from orderhub.core.routing import AllocationPlan
from orderhub.hub.allocation import engine
from orderhub.hub.allocation.policy import ChannelPolicy
from orderhub.hub.allocation.snapshot import Snapshot, load_snapshot, lock_levels
from orderhub.hub.errors import HubError
from orderhub.hub.orders import aggregate
from orderhub.hub.orders.aggregate import OrderRows
from orderhub.hub.orders.mapping import order_from_rows
from orderhub.hub.orders.service import store_orders
from orderhub.hub.stock.reservations import ReservationRequest, reserve_many
from orderhub.hub.store.tables import ItemRow, OrderLineRow, OrderRow
from orderhub.hub.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

PREPROCESS = Actor(kind=ActorKind.SYSTEM, name="preprocess")
"""Who the history names for holds the checks place."""

RECENT_WINDOW = timedelta(hours=24)
"""How far back (and forward) the duplicate and velocity checks look for the same customer."""
RECENT_LIMIT = 50

_STANDALONE_CHECKS = {"availability", "payment", "address"}
"""Built-in checks that never look at other orders: without others, no lookup is needed."""


async def recent_orders(session: UnitOfWork, order: Order) -> list[Order]:
    """The same customer's orders (by e-mail) placed within a day of this one."""
    email = _email(order)
    if not email:
        return []
    found = await _recent_by_email(session, [order])
    return _near(order, [other for other in found.get(email, []) if other.id != order.id])


def _near(order: Order, others: list[Order]) -> list[Order]:
    """Of the customer's orders (newest first), those within a day of `order`."""
    near = [o for o in others if abs(o.placed_at - order.placed_at) <= RECENT_WINDOW]
    return near[:RECENT_LIMIT]


async def run_checks(
    session: UnitOfWork,
    policy: ChannelPolicy,
    order: Order,
    snapshot: Snapshot,
    *,
    known_skus: frozenset[str],
    others: list[Order] | None = None,
) -> list[HoldRequest]:
    """The holds the channel's checks ask for (nothing is written here). `known_skus`: the
    order's SKUs the catalog has; `others`: the customer's recent orders when the caller has
    read them (`recent_orders` otherwise)."""
    if not policy.checks:
        return []
    if others is None:
        others = await recent_orders(session, order) if needs_others(policy) else []
    context = CheckContext(
        order=order,
        known_skus=known_skus,
        channel_policy=policy.check_settings,
        recent_orders=others,
        available=snapshot.pooled_available(),
        incoming=snapshot.pooled_incoming(),
    )
    return await run_checks_async(context, policy.checks)


def needs_others(policy: ChannelPolicy) -> bool:
    """Whether a check of the channel looks at the customer's other orders."""
    names = {getattr(check, "name", None) for check in policy.checks}
    return bool(policy.checks) and bool(names - _STANDALONE_CHECKS)


async def preprocess(
    hub: Hub, session: UnitOfWork, rows: OrderRows, *, cause: str
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
    if await _hold_if_checks_ask(session, policy, rows, order, snapshot):
        return None
    return await engine.allocate(hub, session, rows, cause=cause, snapshot=snapshot)


async def _hold_if_checks_ask(
    session: UnitOfWork,
    policy: ChannelPolicy,
    rows: OrderRows,
    order: Order,
    snapshot: Snapshot,
    *,
    others: list[Order] | None = None,
) -> bool:
    """Run the order's checks and place a hold for each that asks; whether any did."""
    known = frozenset(line.sku for line in rows.lines if line.sku and line.item_id is not None)
    holds = await run_checks(session, policy, order, snapshot, known_skus=known, others=others)
    for hold in holds:
        await aggregate.hold_order(
            session,
            rows,
            hold.reason,
            hold.detail,
            source=f"preprocess.{hold.check}",
            actor=PREPROCESS,
        )
    return bool(holds)


async def accept_order(
    hub: Hub,
    session: UnitOfWork,
    order: Order,
    *,
    actor: Actor,
    reject_unknown_skus: bool,
    known_items: dict[str, int] | None = None,
) -> Order:
    """Store a new order, check it, route it and reserve its stock, in the caller's
    transaction. Returns the order as stored (status, holds, quantities, promise); raises
    its error when it is bad input or a duplicate.

    `known_items` (SKU -> item id) saves a catalog lookup when the caller just made it."""
    (accepted,) = await accept_orders(
        hub,
        session,
        [(order, actor)],
        reject_unknown_skus=reject_unknown_skus,
        known_items=known_items,
    )
    if isinstance(accepted, HubError):
        raise accepted
    return accepted


class _StockMoved(Exception):
    """Another transaction took stock a batch planned on, between its snapshot and its
    reservations: the batch is undone and planned again on locked rows."""


async def accept_orders(
    hub: Hub,
    session: UnitOfWork,
    arrivals: Sequence[tuple[Order, Actor]],
    *,
    reject_unknown_skus: bool,
    known_items: dict[str, int] | None = None,
) -> list[Order | HubError]:
    """Store, check, route and reserve orders that arrive together (each with who sent it),
    in the caller's transaction (see the module docstring). Each order's result is in its
    place: the order as stored, or the error that kept it out (bad input, a duplicate)."""
    try:
        return await _accept(hub, session, arrivals, reject_unknown_skus, known_items, exact=False)
    except _StockMoved:
        return await _accept(hub, session, arrivals, reject_unknown_skus, known_items, exact=True)


async def _accept(
    hub: Hub,
    session: UnitOfWork,
    arrivals: Sequence[tuple[Order, Actor]],
    reject_unknown_skus: bool,
    known_items: dict[str, int] | None,
    *,
    exact: bool,
) -> list[Order | HubError]:
    # A refused batch (`_StockMoved`) rolls the savepoint back with what it noted.
    async with session.savepoint():
        stored = await store_orders(
            session, arrivals, reject_unknown_skus=reject_unknown_skus, known_items=known_items
        )
        batch = [
            OrderRows(row=row, lines=lines, holds=holds)
            for result in stored
            if not isinstance(result, HubError)
            for row, lines, holds in [result]
        ]
        to_route = [rows for rows in batch if not rows.active_holds]
        deferred = await _route_together(hub, session, to_route, exact=exact)
    for rows in deferred:
        await engine.allocate(hub, session, rows, cause="intake")
    await session.flush()
    accepted = iter(batch)
    return [result if isinstance(result, HubError) else next(accepted).order() for result in stored]


async def _route_together(
    hub: Hub, session: UnitOfWork, batch: list[OrderRows], *, exact: bool
) -> list[OrderRows]:
    """Check, plan and reserve the batch; the orders left for `engine.allocate`.

    Not `exact`: planned on the snapshot the checks read, without locks, and the reservations
    taken last by one conditional update; `_StockMoved` when it refuses. `exact`: the stock
    rows are locked after the checks and read again, and nothing can be refused."""
    if not batch:
        return []
    policies = hub.policies
    policy_of = {rows.id: policies.for_connection(rows.row.connection_id) for rows in batch}
    orders = {rows.id: rows.order() for rows in batch}
    skus = set().union(*(engine.wanted_skus(order) for order in orders.values()))
    with session.no_autoflush:
        seen = await load_snapshot(
            session,
            None,
            skus,
            with_incoming=any(engine.needs_incoming(policy) for policy in policy_of.values()),
        )
        with_substitutes = await _skus_with_substitutes(session, skus, policy_of.values())
    held = await _check_together(session, batch, orders, policy_of, seen)
    batch = [rows for rows in batch if rows.id not in held]
    snapshot = seen
    if exact and batch:
        with session.no_autoflush:
            # The checks are over (a plugin's may take its time): only now are the hot rows
            # locked, and the numbers read under the lock are the ones the batch plans on.
            wanted = set().union(*(engine.wanted_skus(orders[rows.id]) for rows in batch))
            await lock_levels(session, wanted)
            snapshot = await load_snapshot(
                session,
                None,
                wanted,
                with_incoming=any(engine.needs_incoming(policy_of[rows.id]) for rows in batch),
            )
    requests: list[tuple[str, ReservationRequest]] = []
    deferred: list[OrderRows] = []
    views: dict[str, Snapshot] = {}  # one per channel: they share the stock numbers
    for rows in batch:
        policy = policy_of[rows.id]
        order = orders[rows.id]
        channel = rows.row.connection_id
        view = views.get(channel) or views.setdefault(channel, snapshot.view(policy))
        plan = engine.plan_for(order, view, policy, policies)
        if plan.preordered or _substitutes_wanted(order, plan, policy, with_substitutes):
            deferred.append(rows)
            continue
        await engine.write_plan(
            session,
            rows,
            order,
            plan,
            view,
            policies=policies,
            cause="intake",
            attempts=1,
            actor=engine.ROUTING,
        )
        sku_of = {line.id: line.sku for line in order.lines}
        booked: set[str] = set()
        for group in plan.groups:
            for line_id, units in group.lines.items():
                snapshot.take(
                    sku_of[line_id], group.location, units, new_order=group.location not in booked
                )
                booked.add(group.location)
        requests += [
            (rows.id, request) for request in engine.reservation_requests(order, plan, snapshot)
        ]
    if not await reserve_many(session, requests):
        if exact:
            # The rows are locked and every plan took its units from the snapshot read
            # under the lock: a refusal means that arithmetic and the database disagree.
            raise RuntimeError("a reservation on locked stock rows was refused")
        raise _StockMoved()
    return deferred


async def _skus_with_substitutes(
    session: UnitOfWork, skus: set[str], policies: Iterable[ChannelPolicy]
) -> set[str]:
    """The SKUs whose items name substitutes, when a channel of the batch substitutes."""
    if not skus or all(policy.substitution.mode == "off" for policy in policies):
        return set()
    rows = await session.execute(
        sa.select(ItemRow.sku, ItemRow.substitutes).where(ItemRow.sku.in_(sorted(skus)))
    )
    return {sku for sku, substitutes in rows.all() if substitutes}


def _substitutes_wanted(
    order: Order, plan: AllocationPlan, policy: ChannelPolicy, with_substitutes: set[str]
) -> bool:
    """Whether the plan leaves short a line that has substitutes the channel would use:
    then `engine.allocate` proposes or applies them."""
    if policy.substitution.mode == "off":
        return False
    short = set(plan.backordered) | {pre.line_id for pre in plan.preordered}
    short |= {missing.line_id for missing in plan.unallocated}
    return any(line.sku in with_substitutes for line in order.lines if line.id in short)


async def _check_together(
    session: UnitOfWork,
    batch: list[OrderRows],
    orders: dict[str, Order],
    policy_of: dict[str, ChannelPolicy],
    seen: Snapshot,
) -> set[str]:
    """Run each order's checks and place the holds they ask for; the ids of the orders held.

    The checks see stock as committed when the batch began (no lock is held while they
    run), and the same customer's orders earlier in the batch as recent orders."""
    checked = [rows for rows in batch if policy_of[rows.id].checks]
    if not checked:
        return set()
    with session.no_autoflush:
        # Read before the batch is written, so an order never finds itself.
        recent = await _recent_by_email(
            session, [orders[rows.id] for rows in checked if needs_others(policy_of[rows.id])]
        )
    held: set[str] = set()
    views: dict[str, Snapshot] = {}  # one per channel
    for rows in checked:
        policy = policy_of[rows.id]
        channel = rows.row.connection_id
        order = orders[rows.id]
        email = _email(order)
        others = recent.setdefault(email, []) if email else []
        if await _hold_if_checks_ask(
            session,
            policy,
            rows,
            order,
            views.get(channel) or views.setdefault(channel, seen.view(policy)),
            others=_near(order, others),
        ):
            held.add(rows.id)
        if email:
            others.insert(0, order)
    return held


def _email(order: Order) -> str | None:
    return order.customer.email.lower() if order.customer and order.customer.email else None


async def _recent_by_email(session: UnitOfWork, orders: list[Order]) -> dict[str, list[Order]]:
    """E-mail -> that customer's stored orders placed within a day of the batch's orders,
    newest first (what `recent_orders` reads for one order, for many at once)."""
    emails = sorted({email for order in orders if (email := _email(order))})
    if not emails:
        return {}
    earliest = min(order.placed_at for order in orders) - RECENT_WINDOW
    latest = max(order.placed_at for order in orders) + RECENT_WINDOW
    rows = list(
        await session.scalars(
            sa.select(OrderRow)
            .where(
                OrderRow.customer_email.in_(emails),
                OrderRow.placed_at >= earliest,
                OrderRow.placed_at <= latest,
            )
            .order_by(OrderRow.placed_at.desc())
        )
    )
    if not rows:
        return {}
    lines: dict[str, list[OrderLineRow]] = {row.id: [] for row in rows}
    for line in await session.scalars(
        sa.select(OrderLineRow).where(OrderLineRow.order_id.in_(sorted(lines)))
    ):
        lines[line.order_id].append(line)
    found: dict[str, list[Order]] = {}
    for row in rows:
        assert row.customer_email is not None
        found.setdefault(row.customer_email, []).append(order_from_rows(row, lines[row.id]))
    return found
