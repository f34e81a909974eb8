"""`POST /routing/simulate` and `GET /routing/rules`: what routing would do, changing nothing.

A simulation reads stock in a session that never commits, and routes with the same pure
function as the real thing (`engine.plan_for`). For an existing order it answers what a
re-route would do now: its own reservations count as available again, every open unit is
placed. For an order body it answers what would happen if that order were placed now, holds
included.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.model import Order
from orderhub.hub.allocation import engine
from orderhub.hub.allocation.intake import run_checks
from orderhub.hub.allocation.policy import ChannelPolicy
from orderhub.hub.allocation.schemas import (
    ChannelRulesOut,
    HoldPreview,
    PlanGroupOut,
    PreorderOut,
    RuleOut,
    RulesOut,
    SimulateIn,
    SimulationOut,
    UnallocatedOut,
)
from orderhub.hub.allocation.snapshot import load_snapshot
from orderhub.hub.errors import InvalidInput
from orderhub.hub.orders import service
from orderhub.hub.orders.manual import MANUAL_CONNECTION, manual_order
from orderhub.hub.store.tables import ItemRow, LocationRow, ReservationRow

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub


async def _own_reservations(session: AsyncSession, order_id: str) -> dict[tuple[str, str], int]:
    rows = await session.execute(
        sa.select(ItemRow.sku, LocationRow.code, sa.func.sum(ReservationRow.quantity))
        .join(ItemRow, ItemRow.id == ReservationRow.item_id)
        .join(LocationRow, LocationRow.id == ReservationRow.location_id)
        .where(ReservationRow.order_id == order_id, ReservationRow.status == "active")
        .group_by(ItemRow.sku, LocationRow.code)
    )
    return {(sku, code): int(units) for sku, code, units in rows.all()}


async def _new_order(hub: Hub, session: AsyncSession, data: SimulateIn) -> Order:
    assert data.order is not None
    conn_id = data.order.connection or MANUAL_CONNECTION
    connection = hub.connections.get(conn_id)
    if connection is None:
        raise InvalidInput(f"no connection {conn_id!r}", code="unknown_connection")
    order, _ = await manual_order(
        session,
        data.order,
        connection=connection,
        number=data.order.reference or "simulation",
        external_id=data.order.reference or "simulation",
    )
    for index, line in enumerate(order.lines):
        line.id = str(index)
    return order


async def simulate(hub: Hub, session: AsyncSession, data: SimulateIn) -> SimulationOut:
    if (data.order_id is None) == (data.order is None):
        raise InvalidInput("give either order_id or order", code="invalid_simulation")
    add_back: dict[tuple[str, str], int] = {}
    if data.order_id is not None:
        order = await service.get_order(session, data.order_id)
        add_back = await _own_reservations(session, data.order_id)
        for line in order.lines:
            line.quantity_allocated = 0
            line.quantity_backordered = 0
    else:
        order = await _new_order(hub, session, data)
    policy: ChannelPolicy = hub.policies.for_connection(order.connection)
    snapshot = await load_snapshot(
        session,
        policy,
        engine.wanted_skus(order),
        with_incoming=engine.needs_incoming(policy),
        order_id=order.id,
        add_back=add_back,
    )
    known = set(
        await session.scalars(
            sa.select(ItemRow.sku).where(ItemRow.sku.in_(sorted(engine.wanted_skus(order))))
        )
    )
    holds = await run_checks(session, policy, order, snapshot, known_skus=frozenset(known))
    plan = engine.plan_for(order, snapshot, policy, hub.policies)
    promised, _, _ = engine.promise_for(order, plan, snapshot, hub.policies.promise)
    return SimulationOut(
        holds=[HoldPreview(reason=h.reason, detail=h.detail, check=h.check) for h in holds],
        groups=[
            PlanGroupOut(location=g.location, method=g.method, lines=dict(g.lines))
            for g in plan.groups
        ],
        backordered=dict(plan.backordered),
        preordered=[
            PreorderOut(
                line=p.line_id,
                quantity=p.quantity,
                location=p.location,
                expected_on=p.expected_on,
                reference=p.reference,
            )
            for p in plan.preordered
        ],
        unallocated=[
            UnallocatedOut(line=u.line_id, quantity=u.quantity, reason=u.reason)
            for u in plan.unallocated
        ],
        promised_date=promised,
        trace=list(plan.trace),
        explanation=plan.explain(),
    )


def _describe(rule: type) -> str:
    doc = inspect.getdoc(rule) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _channel(conn_id: str, policy: ChannelPolicy) -> ChannelRulesOut:
    routing = policy.routing
    return ChannelRulesOut(
        connection=conn_id,
        rules=list(routing.rules),
        allow_split=routing.allow_split,
        split_min_value=msgspec.to_builtins(routing.split_min_value),
        backorder=routing.backorder,
        preorder=routing.preorder,
        feeds_from=list(policy.feeds_from),
    )


def rules(hub: Hub) -> RulesOut:
    available = []
    for name, rule in sorted(hub.policies.rule_classes.items()):
        kind = "filter" if callable(getattr(rule, "check", None)) else "sort"
        available.append(RuleOut(name=name, kind=kind, description=_describe(rule)))
    return RulesOut(
        available=available,
        default=_channel("*", hub.policies.default),
        channels=[
            _channel(conn_id, hub.policies.for_connection(conn_id))
            for conn_id in sorted(hub.connections)
        ],
    )
