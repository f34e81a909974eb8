"""Routing an order and applying the plan, in the caller's transaction.

`allocate` places every open unit of an order that holds no reservation yet:

1. units that were waiting (backordered, preordered) are placed again with the rest, so a
   re-run can find them stock that has arrived since;
2. a snapshot of stock for the order's SKUs at the locations feeding its channel is read
   (`snapshot`), and `orderhub.core.routing.plan_allocation` turns it into a plan;
3. short lines get substitutes proposed or applied, per the channel's policy
   (`orderhub.core.substitution`), and the order is planned again once;
4. in a savepoint, the plan's outcome is written — line quantities (allocated,
   backordered), routing trace, delivery promise (`orderhub.core.promise`), status
   (`orderhub.core.lifecycle.settle_status`) or an availability hold when the channel lets
   nothing wait, history entries with their cause — and then the preorder promises and,
   last, the reservations are taken with conditional updates
   (`orderhub.hub.stock.reservations.reserve_all`), so the hot stock rows stay locked only
   from that statement to the commit;
5. when a reservation is refused (another order took the stock since the snapshot), the
   savepoint is rolled back — the writes, and the row locks it took, so locks are always
   taken in one order and never deadlock — and the order is planned again from fresh
   numbers, up to `replan_attempts` times. After that, what is left waits as a backorder:
   refusing is safe, overselling never happens.

Lock order: an order's row before any stock row, and stock rows in (item, location) order.
Every caller locks the order first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import sqlalchemy as sa

from orderhub.core import lifecycle
from orderhub.core.model import (
    Actor,
    ActorKind,
    HoldReason,
    Item,
    Order,
    OrderStatus,
)
from orderhub.core.promise import DeliveryPromise, PromiseConfig, promise_delivery
from orderhub.core.routing import (
    AllocationPlan,
    TraceDecision,
    TraceEntry,
    plan_allocation,
)
from orderhub.core.substitution import SubstitutionOutcome, substitute_line
from orderhub.hub.allocation import preorders
from orderhub.hub.allocation.policy import ChannelPolicy, Policies
from orderhub.hub.allocation.snapshot import Snapshot, load_snapshot
from orderhub.hub.catalog.service import item_from_row
from orderhub.hub.ids import new_id
from orderhub.hub.orders import service
from orderhub.hub.orders.aggregate import OrderRows, hold_order
from orderhub.hub.orders.mapping import line_from_row
from orderhub.hub.stock.reservations import ReservationRequest, free_order_reservations, reserve_all
from orderhub.hub.store.tables import ItemRow, OrderLineRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

ROUTING = Actor(kind=ActorKind.SYSTEM, name="routing")
"""Who the history names for what routing decides on its own."""


# ------------------------------------------------------------------------------ giving back


async def give_back(
    session: UnitOfWork, rows: OrderRows, *, line_ids: set[str] | None = None
) -> int:
    """Free the order's reservations and preorders (or some lines'); units given back.

    The lines' allocated and backordered counts go to zero for those lines.
    """
    freed = await free_order_reservations(session, rows.id, line_ids=line_ids)
    freed += await preorders.free_for_order(session, rows.id, line_ids=line_ids)
    for line in rows.lines:
        if line_ids is None or line.id in line_ids:
            line.quantity_allocated = 0
            line.quantity_backordered = 0
    return freed


# ------------------------------------------------------------------------------ outcome


class Refused(Exception):
    """A reservation or preorder of the plan could not be taken: the stock moved."""


@dataclass
class Outcome:
    plan: AllocationPlan
    attempts: int
    promise: list[DeliveryPromise] = field(default_factory=list)
    promised_date: date | None = None
    substitutions: list[SubstitutionOutcome] = field(default_factory=list)

    @property
    def summary(self) -> str:
        last = self.plan.trace[-1] if self.plan.trace else None
        return last.reason if last is not None else "nothing to allocate"


def _note(rule: str, location: str | None, decision: TraceDecision, reason: str) -> TraceEntry:
    return TraceEntry(rule=rule, location=location, decision=decision, reason=reason)


# ------------------------------------------------------------------------------ planning


def wanted_skus(order: Order) -> set[str]:
    return {
        line.sku
        for line in order.lines
        if line.sku and line.quantity_open - line.quantity_allocated > 0
    }


def needs_incoming(policy: ChannelPolicy) -> bool:
    routing = policy.routing
    checks = {getattr(check, "name", None) for check in policy.checks}
    return routing.preorder or routing.backorder == "when_incoming" or "availability" in checks


def plan_for(
    order: Order,
    snapshot: Snapshot,
    policy: ChannelPolicy,
    policies: Policies,
    *,
    force_location: str | None = None,
    stockless: bool = False,
) -> AllocationPlan:
    """Routing's plan on this snapshot. Pure, so `POST /routing/simulate` uses it too.

    `force_location`: an operator's choice; the channel's filters and sorts do not apply.
    `stockless`: plan as if nothing were on hand or incoming (the last resort once stock kept
    moving under every attempt).
    """
    candidates = snapshot.candidates(order.currency, policies.settings)
    routing = policy.routing
    if force_location is not None:
        candidates = [c for c in candidates if c.location == force_location]
        routing = msgspec.structs.replace(routing, rules=[])
    if stockless:
        candidates = [msgspec.structs.replace(c, available={}, incoming=[]) for c in candidates]
    plan = plan_allocation(order, candidates, routing, policies.registry)
    if force_location is not None:
        plan.trace.insert(
            0,
            _note(
                "operator",
                force_location,
                TraceDecision.KEPT,
                "an operator chose this location: the channel's routing rules do not apply",
            ),
        )
    return plan


# ------------------------------------------------------------------------------ reserving


def reservation_requests(
    order: Order, plan: AllocationPlan, snapshot: Snapshot
) -> list[ReservationRequest]:
    """The units the plan reserves: one request per line and location."""
    sku_of = {line.id: line.sku for line in order.lines}
    return [
        ReservationRequest(
            line_id=line_id,
            item_id=snapshot.item_ids[sku_of[line_id]],
            location_id=snapshot.location_ids[group.location],
            quantity=quantity,
        )
        for group in plan.groups
        for line_id, quantity in group.lines.items()
    ]


async def _take(
    session: UnitOfWork, order: Order, plan: AllocationPlan, snapshot: Snapshot
) -> None:
    """Promise the plan's preorders and reserve its units (the hot stock rows last), or
    raise `Refused`: the caller's savepoint then undoes all of it."""
    assert order.id is not None
    sku_of = {line.id: line.sku for line in order.lines}
    free = {lot.id: lot.free for lot in snapshot.lots}
    for pre in plan.preordered:
        sku = sku_of[pre.line_id]
        left = pre.quantity
        for lot in snapshot.lots:
            if left == 0:
                break
            if (lot.sku, lot.location, lot.expected_on, lot.reference) != (
                sku,
                pre.location,
                pre.expected_on,
                pre.reference,
            ) or free[lot.id] <= 0:
                continue
            units = min(left, free[lot.id])
            if not await preorders.promise(session, order.id, pre.line_id, lot.id, units):
                raise Refused(
                    f"preorder of {units} × {sku} on {lot.reference} refused: "
                    "another order was promised those units"
                )
            free[lot.id] -= units
            left -= units
        if left:
            raise Refused(f"preorder of {left} × {sku} refused: the incoming lot is taken")
    if not await reserve_all(session, order.id, reservation_requests(order, plan, snapshot)):
        taken = ", ".join(
            f"{units} × {sku_of[line_id]} at {group.location}"
            for group in plan.groups
            for line_id, units in group.lines.items()
        )
        raise Refused(f"reservation of {taken} refused: another order took the stock")


# ------------------------------------------------------------------------------ substitution


async def _items(session: UnitOfWork, skus: Iterable[str]) -> dict[str, Item]:
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.scalars(sa.select(ItemRow).where(ItemRow.sku.in_(wanted)))
    return {row.sku: item_from_row(row) for row in rows}


async def _substitute(
    session: UnitOfWork,
    rows: OrderRows,
    policy: ChannelPolicy,
    plan: AllocationPlan,
    actor: Actor,
) -> list[SubstitutionOutcome]:
    """Propose or apply substitutes for the lines the plan leaves short."""
    short: dict[str, int] = {}
    for line_id, units in plan.backordered.items():
        short[line_id] = short.get(line_id, 0) + units
    for pre in plan.preordered:
        short[pre.line_id] = short.get(pre.line_id, 0) + pre.quantity
    for missing in plan.unallocated:
        short[missing.line_id] = short.get(missing.line_id, 0) + missing.quantity
    if not short:
        return []
    by_id = {line.id: line for line in rows.lines}
    items = await _items(session, {by_id[i].sku for i in short if by_id[i].sku})
    substitutes = {sku for item in items.values() for sku in item.substitutes} - set(items)
    if not any(item.substitutes for item in items.values()):
        return []
    items.update(await _items(session, substitutes))
    stock = await load_snapshot(
        session,
        policy,
        {sku for item in items.values() for sku in item.substitutes},
        with_incoming=False,
    )
    available = stock.pooled_available()
    outcomes = []
    for line_id, units in short.items():
        outcome = substitute_line(
            rows.order(),
            line_id,
            units,
            items=items,
            available=available,
            policy=policy.substitution,
        )
        if outcome.action == "none":
            continue
        outcomes.append(outcome)
        if outcome.action == "applied":
            chosen = outcome.options[0]
            added = next(line for line in outcome.lines if line.id == "")
            original = by_id[line_id]
            original.quantity_cancelled += added.quantity
            new_line = OrderLineRow(
                id=new_id("lin"),
                order_id=rows.id,
                position=original.position + 1,
                sku=chosen.sku,
                item_id=stock.item_ids.get(chosen.sku),
                name=chosen.name,
                quantity=added.quantity,
                unit_price_amount=original.unit_price_amount,
                total_discount_amount=0,
                taxes=[],
                bindings={},
                requires_shipping=original.requires_shipping,
            )
            for line in rows.lines:
                if line.position > original.position:
                    line.position += 1
            session.add(new_line)
            rows.lines.insert(rows.lines.index(original) + 1, new_line)
            available[chosen.sku] = available.get(chosen.sku, 0) - added.quantity
            detail = {**outcome.detail, "new_line_id": new_line.id}
            await service.record(
                session, rows.row, actor, "line_substituted", detail, outcome.description
            )
        else:
            await service.record(
                session,
                rows.row,
                actor,
                "substitute_proposed",
                outcome.detail,
                outcome.description,
                bump=False,
            )
    await session.flush()
    return outcomes


# ------------------------------------------------------------------------------ promise


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _start_of(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_zone(timezone)).astimezone(UTC)


def promise_for(
    order: Order, plan: AllocationPlan, snapshot: Snapshot, config: PromiseConfig
) -> tuple[date | None, list[DeliveryPromise], list[str]]:
    """The delivery date of the plan (its latest parcel), each parcel's promise, and notes.

    None while units wait for stock without a date (a backorder), or when nothing ships.
    """
    now = utcnow()
    pickup = order.pickup_location is not None
    promises: list[DeliveryPromise] = []
    notes: list[str] = []
    starts: list[tuple[str, datetime]] = [(group.location, now) for group in plan.groups]
    for pre in plan.preordered:
        location = snapshot.locations.get(pre.location)
        if location is not None:
            starts.append(
                (pre.location, max(now, _start_of(pre.expected_on, location.schedule.timezone)))
            )
    for code, placed in starts:
        location = snapshot.locations.get(code)
        if location is None:
            continue
        booked = None
        if location.schedule.daily_capacity is not None:
            zone_now = placed.astimezone(_zone(location.schedule.timezone))
            booked = {zone_now.date(): snapshot.orders_today.get(code, 0)}
        try:
            promises.append(
                promise_delivery(
                    location,
                    order.shipping_address,
                    placed,
                    booked=booked,
                    pickup=pickup,
                    config=config,
                )
            )
        except ValueError as exc:
            notes.append(f"no delivery promise from {code}: {exc}")
    if plan.backordered or plan.unallocated or not promises or notes:
        return None, promises, notes
    return max(p.deliver_on for p in promises), promises, notes


# ------------------------------------------------------------------------------ allocate


def _detail(order: Order, plan: AllocationPlan, cause: str, attempts: int) -> dict[str, Any]:
    sku_of = {line.id: line.sku for line in order.lines}
    return {
        "cause": cause,
        "attempts": attempts,
        "reserved": [
            {
                "line_id": line_id,
                "sku": sku_of.get(line_id),
                "location": group.location,
                "method": group.method.value,
                "quantity": units,
            }
            for group in plan.groups
            for line_id, units in group.lines.items()
        ],
        "backordered": {line_id: units for line_id, units in plan.backordered.items()},
        "preordered": [
            {
                "line_id": pre.line_id,
                "location": pre.location,
                "quantity": pre.quantity,
                "expected_on": pre.expected_on.isoformat(),
                "reference": pre.reference,
            }
            for pre in plan.preordered
        ],
        "unallocated": [
            {"line_id": u.line_id, "quantity": u.quantity, "reason": u.reason}
            for u in plan.unallocated
        ],
    }


async def write_plan(
    session: UnitOfWork,
    rows: OrderRows,
    order: Order,
    plan: AllocationPlan,
    snapshot: Snapshot,
    *,
    policies: Policies,
    cause: str,
    attempts: int,
    actor: Actor,
) -> Outcome:
    """Write what the plan decides: line quantities, trace, promise, history, status/hold."""
    preordered: dict[str, int] = {}
    for pre in plan.preordered:
        preordered[pre.line_id] = preordered.get(pre.line_id, 0) + pre.quantity
    for line in rows.lines:
        line.quantity_allocated += plan.allocated(line.id)
        line.quantity_backordered = plan.backordered.get(line.id, 0) + preordered.get(line.id, 0)
    outcome = Outcome(plan=plan, attempts=attempts)
    promised, outcome.promise, promise_notes = promise_for(order, plan, snapshot, policies.promise)
    outcome.promised_date = promised
    for text in promise_notes:
        plan.trace.append(_note("promise", None, TraceDecision.DROPPED, text))
    row = rows.row
    row.routing_trace = msgspec.to_builtins(plan.trace)
    row.promised_date = promised
    detail = _detail(order, plan, cause, attempts)
    if outcome.promise:
        detail["promise"] = [
            {
                "ship_on": p.ship_on.isoformat(),
                "deliver_on": p.deliver_on.isoformat(),
                "zone": p.zone,
                "explanation": p.text,
            }
            for p in outcome.promise
        ]
    detail["promised_date"] = promised.isoformat() if promised else None
    await service.record(session, row, actor, "allocated", detail, outcome.summary)
    if plan.unallocated:
        reasons = "; ".join(sorted({u.reason for u in plan.unallocated}))
        await hold_order(
            session, rows, HoldReason.AVAILABILITY, reasons, source="routing", actor=actor
        )
    else:
        lines = [line_from_row(line, row.currency) for line in rows.lines]
        target = lifecycle.settle_status(OrderStatus(row.status), lines)
        await service.change_status(session, row, target, actor, reason=outcome.summary, bump=False)
    return outcome


async def allocate(
    hub: Hub,
    session: UnitOfWork,
    rows: OrderRows,
    *,
    cause: str,
    actor: Actor = ROUTING,
    force_location: str | None = None,
    snapshot: Snapshot | None = None,
) -> Outcome:
    """Place every open unit of the order without a reservation (see the module docstring).

    The order must be locked (or new in this transaction) and not on hold. `snapshot` may
    be one just read for the same order (intake reads it for the checks).

    Everything the plan decides is written first and the reservations are taken last, in
    one savepoint: the hot stock rows stay locked only from the reservations to the commit.
    A refused reservation rolls the whole attempt back (writes and row locks alike).
    """
    policies: Policies = hub.policies
    policy = policies.for_connection(rows.row.connection_id)
    if any(line.quantity_backordered for line in rows.lines):
        await preorders.free_for_order(session, rows.id)  # preorders exist only then
        for line in rows.lines:
            line.quantity_backordered = 0
    include = {force_location} if force_location else set()
    with_incoming = needs_incoming(policy)
    substitution_pending = policy.substitution.mode != "off"
    substitutions: list[SubstitutionOutcome] = []
    notes: list[TraceEntry] = []

    async def fresh(order: Order) -> Snapshot:
        return await load_snapshot(
            session,
            policy,
            wanted_skus(order),
            with_incoming=with_incoming,
            include=include,
            order_id=rows.id,
        )

    for attempt in range(1, policies.replan_attempts + 1):
        order = rows.order()
        if snapshot is None or attempt > 1:
            snapshot = await fresh(order)
        plan = plan_for(order, snapshot, policy, policies, force_location=force_location)
        if substitution_pending:
            substitution_pending = False
            substitutions = await _substitute(session, rows, policy, plan, actor)
            if any(sub.action == "applied" for sub in substitutions):
                order = rows.order()
                snapshot = await fresh(order)
                plan = plan_for(order, snapshot, policy, policies, force_location=force_location)
        plan.trace[:0] = notes
        holds_before = len(rows.holds)
        try:
            async with session.savepoint():
                outcome = await write_plan(
                    session,
                    rows,
                    order,
                    plan,
                    snapshot,
                    policies=policies,
                    cause=cause,
                    attempts=attempt,
                    actor=actor,
                )
                await _take(session, order, plan, snapshot)
            outcome.substitutions = substitutions
            return outcome
        except Refused as exc:
            # What the savepoint wrote is gone, and the rows it touched are expired: read
            # them again before planning anew.
            del rows.holds[holds_before:]
            for obj in (rows.row, *rows.lines, *rows.holds):
                await session.refresh(obj)
            notes.append(
                _note(
                    "reservation",
                    None,
                    TraceDecision.DROPPED,
                    f"attempt {attempt}: {exc}; planned again with fresh stock numbers",
                )
            )
    order = rows.order()
    assert snapshot is not None
    plan = plan_for(
        order, snapshot, policy, policies, force_location=force_location, stockless=True
    )
    notes.append(
        _note(
            "reservation",
            None,
            TraceDecision.DROPPED,
            f"stock kept moving under {policies.replan_attempts} plans: nothing more is "
            "reserved now; what is left waits",
        )
    )
    plan.trace[:0] = notes
    outcome = await write_plan(
        session,
        rows,
        order,
        plan,
        snapshot,
        policies=policies,
        cause=cause,
        attempts=policies.replan_attempts,
        actor=actor,
    )
    outcome.substitutions = substitutions
    return outcome
