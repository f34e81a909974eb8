"""Stock arriving, moving and counted: incoming lots, receipts, transfers, counts.

Receipts (and transfers that arrive, and counts that find more than expected) raise on hand;
in the same transaction the units go to backordered lines of orders that can use this
location, oldest order first (`orderhub.core.routing.allocate_receipt`), before any new
order can see them. A line that waited on a preorder keeps the rest of its preorder.

Counts are absolute snapshots of the shelf. The rule: **a count includes reserved units**
(picked-but-not-shipped goods are still on the shelf), so on hand becomes the counted number
and reservations are left as they are — nothing is counted twice. When the count is lower
than what is reserved there, the reservations it cannot cover are taken back from the
newest orders not yet released, and those orders are routed again (another location, or a
backorder). Reservations of released orders are never taken back: if they alone exceed the
count, available stays below zero (channels are told 0) until someone fixes the count.

Locking: the stock row first, then orders with SKIP LOCKED — an order another transaction
is changing right now is passed over, never waited for, so no lock cycle can form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from orderhub.core import lifecycle
from orderhub.core.model import Actor, MovementKind, OrderStatus
from orderhub.core.promise import promise_delivery
from orderhub.core.routing import BackorderDemand, allocate_receipt, split_permission
from orderhub.hub.allocation import engine
from orderhub.hub.allocation.schemas import (
    CountIn,
    CountLineOut,
    CountOut,
    FillOut,
    IncomingIn,
    IncomingOut,
    ReceiptIn,
    ReceiptOut,
    TransferIn,
    TransferOut,
)
from orderhub.hub.catalog.service import get_item_row
from orderhub.hub.errors import Conflict, InvalidInput
from orderhub.hub.ids import new_id
from orderhub.hub.locations.service import get_location_row, location_from_row
from orderhub.hub.orders import aggregate, service
from orderhub.hub.orders.mapping import line_from_row
from orderhub.hub.stock import service as stock
from orderhub.hub.stock.reservations import ReservationRequest, reserve
from orderhub.hub.store.tables import (
    IncomingStockRow,
    ItemRow,
    LocationRow,
    OrderLineRow,
    OrderRow,
    PreorderRow,
    ReservationRow,
    StockLevelRow,
    StockMovementRow,
)
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

LEVELS = StockLevelRow.__table__
INCOMING = IncomingStockRow.__table__
WAITING_STATUSES = (OrderStatus.BACKORDERED.value, OrderStatus.PARTIALLY_ALLOCATED.value)
"""Orders whose backordered lines a receipt may fill (not held, not released)."""
PAGE = 200


def _positive(quantity: int, field: str = "quantity") -> None:
    if quantity <= 0:
        raise InvalidInput(
            f"{field} must be at least 1", code="invalid_quantity", field=field, quantity=quantity
        )


async def _level(session: UnitOfWork, item_id: int, location_id: int) -> Any:
    return (
        await session.execute(
            sa.select(LEVELS.c.on_hand, LEVELS.c.reserved, LEVELS.c.safety_stock).where(
                LEVELS.c.item_id == item_id, LEVELS.c.location_id == location_id
            )
        )
    ).one()


# ------------------------------------------------------------------------------ incoming


def _incoming_out(row: IncomingStockRow, sku: str, location: str) -> IncomingOut:
    return IncomingOut(
        id=row.id,
        sku=sku,
        location=location,
        quantity=row.quantity,
        received=row.received,
        promised=row.promised,
        expected_on=row.expected_on,
        reference=row.reference,
        status=row.status,
        created_at=row.created_at,
    )


async def add_incoming(session: UnitOfWork, data: IncomingIn) -> IncomingOut:
    """Record a purchase order or transfer line on its way; preorders may then use it."""
    _positive(data.quantity)
    item = await get_item_row(session, data.sku)
    location = await get_location_row(session, data.location)
    row = IncomingStockRow(
        item_id=item.id,
        location_id=location.id,
        quantity=data.quantity,
        expected_on=data.expected_on,
        reference=data.reference,
        status="open",
        received=0,
        promised=0,
    )
    session.add(row)
    await stock.ensure_level(session, item.id, location.id)
    await session.execute(
        sa.update(LEVELS)
        .where(LEVELS.c.item_id == item.id, LEVELS.c.location_id == location.id)
        .values(incoming=LEVELS.c.incoming + data.quantity, updated_at=utcnow())
    )
    await session.flush()
    return _incoming_out(row, item.sku, location.code)


async def list_incoming(
    session: UnitOfWork,
    *,
    sku: str | None = None,
    location: str | None = None,
    status: str | None = "open",
    limit: int = 100,
) -> list[IncomingOut]:
    query = (
        sa.select(IncomingStockRow, ItemRow.sku, LocationRow.code)
        .join(ItemRow, ItemRow.id == IncomingStockRow.item_id)
        .join(LocationRow, LocationRow.id == IncomingStockRow.location_id)
        .order_by(IncomingStockRow.expected_on, IncomingStockRow.id)
        .limit(limit)
    )
    if sku is not None:
        query = query.where(ItemRow.sku == sku)
    if location is not None:
        query = query.where(LocationRow.code == location)
    if status is not None:
        query = query.where(IncomingStockRow.status == status)
    return [_incoming_out(row, s, c) for row, s, c in (await session.execute(query)).all()]


async def _receive_lot(
    session: UnitOfWork, item_id: int, location_id: int, reference: str, quantity: int
) -> int | None:
    """Count received units against the open lot with this reference; its id, if any."""
    lot = await session.scalar(
        sa.select(IncomingStockRow)
        .where(
            IncomingStockRow.item_id == item_id,
            IncomingStockRow.location_id == location_id,
            IncomingStockRow.reference == reference,
            IncomingStockRow.status == "open",
        )
        .order_by(IncomingStockRow.expected_on, IncomingStockRow.id)
        .limit(1)
        .with_for_update()
    )
    if lot is None:
        return None
    expected = max(0, lot.quantity - lot.received)
    lot.received += quantity
    if lot.received >= lot.quantity:
        lot.status = "received"
    arrived = min(quantity, expected)
    await session.execute(
        sa.update(LEVELS)
        .where(LEVELS.c.item_id == item_id, LEVELS.c.location_id == location_id)
        .values(
            incoming=sa.case((LEVELS.c.incoming > arrived, LEVELS.c.incoming - arrived), else_=0)
        )
    )
    return lot.id


# ------------------------------------------------------------------------------ backorders


async def _lock_orders(session: UnitOfWork, order_ids: list[str]) -> set[str]:
    """Lock the orders nobody else is changing right now; the others are passed over."""
    if not order_ids:
        return set()
    rows = await session.scalars(
        sa.select(OrderRow.id)
        .where(OrderRow.id.in_(sorted(set(order_ids))))
        .order_by(OrderRow.id)
        .with_for_update(skip_locked=True)
    )
    return set(rows)


async def _reserved_elsewhere(
    session: UnitOfWork, order_ids: list[str], location_id: int
) -> set[str]:
    rows = await session.scalars(
        sa.select(ReservationRow.order_id)
        .distinct()
        .where(
            ReservationRow.order_id.in_(sorted(set(order_ids))),
            ReservationRow.status == "active",
            ReservationRow.location_id != location_id,
        )
    )
    return set(rows)


async def _settle_preorders(session: UnitOfWork, order_id: str, line_id: str, units: int) -> None:
    """Units of a line arrived: its open preorders shrink by as many (oldest lots first)."""
    rows = await session.scalars(
        sa.select(PreorderRow)
        .where(
            PreorderRow.order_id == order_id,
            PreorderRow.line_id == line_id,
            PreorderRow.status == "open",
        )
        .order_by(PreorderRow.incoming_id, PreorderRow.id)
        .with_for_update()
    )
    left = units
    for preorder in rows:
        if left == 0:
            break
        take = min(left, preorder.quantity)
        await session.execute(
            sa.update(INCOMING)
            .where(INCOMING.c.id == preorder.incoming_id)
            .values(promised=INCOMING.c.promised - take)
        )
        if take == preorder.quantity:
            preorder.status = "filled"
        else:
            preorder.quantity -= take
        left -= take


async def fill_backorders(
    hub: Hub,
    session: UnitOfWork,
    *,
    item_id: int,
    sku: str,
    location: LocationRow,
    actor: Actor,
    cause: str,
) -> list[FillOut]:
    """Give the location's available units of a SKU to waiting lines, oldest order first.

    The stock row must already be locked by this transaction (the receipt's update).
    """
    fills: list[FillOut] = []
    level = await _level(session, item_id, location.id)
    units = level.on_hand - level.reserved - level.safety_stock
    seen: set[str] = set()
    place = location_from_row(location)
    while units > 0:
        query = (
            sa.select(
                OrderLineRow.id,
                OrderLineRow.order_id,
                OrderLineRow.quantity_backordered,
                OrderRow.placed_at,
                OrderRow.connection_id,
                OrderRow.pickup_location,
            )
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .where(
                OrderLineRow.item_id == item_id,
                OrderLineRow.quantity_backordered > 0,
                OrderRow.status.in_(WAITING_STATUSES),
            )
            .order_by(OrderRow.placed_at, OrderRow.id, OrderLineRow.id)
            .limit(PAGE)
        )
        if seen:
            query = query.where(OrderLineRow.id.not_in(sorted(seen)))
        page = (await session.execute(query)).all()
        if not page:
            break
        seen.update(line_id for line_id, *_ in page)
        usable = [
            r
            for r in page
            if hub.policies.for_connection(r.connection_id).fed_by(location.code)
            and r.pickup_location in (None, location.code)
        ]
        locked = await _lock_orders(session, [r.order_id for r in usable])
        usable = [r for r in usable if r.order_id in locked]
        elsewhere = await _reserved_elsewhere(session, [r.order_id for r in usable], location.id)
        rows_by_order: dict[str, aggregate.OrderRows] = {}
        demands = []
        for r in usable:
            if r.order_id in elsewhere:
                rows = rows_by_order.get(r.order_id) or await aggregate.lock_order(
                    session, r.order_id
                )
                rows_by_order[r.order_id] = rows
                policy = hub.policies.for_connection(r.connection_id)
                allowed, _ = split_permission(rows.order(), policy.routing)
                if not allowed:
                    continue  # it waits to ship from where the rest of it is
            demands.append(
                BackorderDemand(
                    order_id=r.order_id,
                    line_id=r.id,
                    quantity=r.quantity_backordered,
                    placed_at=r.placed_at,
                )
            )
        shared = allocate_receipt(units, demands)
        by_order: dict[str, list[tuple[str, int]]] = {}
        for fill in shared.fills:
            by_order.setdefault(fill.order_id, []).append((fill.line_id, fill.quantity))
        for order_id, lines in by_order.items():
            rows = rows_by_order.get(order_id) or await aggregate.lock_order(session, order_id)
            refused = await reserve(
                session,
                order_id,
                [
                    ReservationRequest(
                        line_id=line_id, item_id=item_id, location_id=location.id, quantity=qty
                    )
                    for line_id, qty in lines
                ],
            )
            if refused:  # cannot happen while we hold the stock row, but never oversell
                raise Conflict(
                    f"stock of {sku} at {location.code} moved during the receipt",
                    code="stock_moved",
                )
            for line_id, qty in lines:
                line = rows.line(line_id)
                line.quantity_backordered -= qty
                line.quantity_allocated += qty
                await _settle_preorders(session, order_id, line_id, qty)
                fills.append(
                    FillOut(
                        order_id=order_id,
                        order_number=rows.row.number,
                        line_id=line_id,
                        quantity=qty,
                    )
                )
            await _after_fill(hub, session, rows, place, sku, lines, actor, cause)
        units = shared.left_over
        if len(page) < PAGE:
            break
    return fills


async def _after_fill(
    hub: Hub,
    session: UnitOfWork,
    rows: aggregate.OrderRows,
    place: Any,
    sku: str,
    lines: list[tuple[str, int]],
    actor: Actor,
    cause: str,
) -> None:
    row = rows.row
    waiting = any(line.quantity_backordered for line in rows.lines)
    if not waiting:
        try:
            promise = promise_delivery(
                place,
                rows.order().shipping_address,
                utcnow(),
                pickup=row.pickup_location is not None,
                config=hub.policies.promise,
            )
            row.promised_date = promise.deliver_on
        except ValueError:
            row.promised_date = None
    units = sum(qty for _, qty in lines)
    await service.record(
        session,
        row,
        actor,
        "allocated_on_receipt",
        {
            "cause": cause,
            "sku": sku,
            "location": place.code,
            "lines": dict(lines),
            "promised_date": row.promised_date.isoformat() if row.promised_date else None,
        },
        f"{units} × {sku} allocated at {place.code} from stock that arrived ({cause}); "
        "backorders are filled oldest order first",
    )
    target = lifecycle.settle_status(
        OrderStatus(row.status), [line_from_row(line, row.currency) for line in rows.lines]
    )
    await service.change_status(session, row, target, actor, reason=f"{sku} arrived", bump=False)


# ------------------------------------------------------------------------------ receipts


async def receive(
    hub: Hub, session: UnitOfWork, sku: str, location: str, data: ReceiptIn, *, actor: Actor
) -> ReceiptOut:
    """On hand up by the received units, then backorders filled from them."""
    _positive(data.quantity)
    item = await get_item_row(session, sku)
    place = await get_location_row(session, location)
    level = await stock.adjust(
        session,
        sku,
        location,
        data.quantity,
        kind=MovementKind.RECEIPT,
        reason=data.reason or "received",
        reference=data.reference,
        actor=str(actor),
    )
    lot_id = None
    if data.reference is not None:
        lot_id = await _receive_lot(session, item.id, place.id, data.reference, data.quantity)
    fills = await fill_backorders(
        hub, session, item_id=item.id, sku=sku, location=place, actor=actor, cause="receipt"
    )
    after = await _level(session, item.id, place.id)
    return ReceiptOut(
        sku=sku,
        location=location,
        received=data.quantity,
        on_hand=level.on_hand,
        reserved=after.reserved,
        available=after.on_hand - after.reserved - after.safety_stock,
        filled=fills,
        incoming_id=lot_id,
    )


# ------------------------------------------------------------------------------ transfers


async def transfer(hub: Hub, session: UnitOfWork, data: TransferIn, *, actor: Actor) -> TransferOut:
    """Move available units between locations (reserved units stay where they are)."""
    _positive(data.quantity)
    if data.from_location == data.to_location:
        raise InvalidInput("a transfer needs two different locations", code="same_location")
    item = await get_item_row(session, data.sku)
    source = await get_location_row(session, data.from_location)
    target = await get_location_row(session, data.to_location)
    reference = data.reference or new_id("trf")
    await stock.ensure_level(session, item.id, source.id)
    moved = await session.execute(
        sa.update(LEVELS)
        .where(
            LEVELS.c.item_id == item.id,
            LEVELS.c.location_id == source.id,
            LEVELS.c.on_hand - LEVELS.c.reserved - LEVELS.c.safety_stock >= data.quantity,
        )
        .values(on_hand=LEVELS.c.on_hand - data.quantity, updated_at=utcnow())
        .returning(LEVELS.c.on_hand)
    )
    on_hand = moved.scalar()
    if on_hand is None:
        level = await _level(session, item.id, source.id)
        raise Conflict(
            f"{data.from_location} has {level.on_hand - level.reserved - level.safety_stock} "
            f"units of {data.sku} available; it cannot send {data.quantity}",
            code="insufficient_stock",
            sku=data.sku,
            location=data.from_location,
            available=level.on_hand - level.reserved - level.safety_stock,
        )
    session.touch(item.id, source.id)
    session.add(
        StockMovementRow(
            item_id=item.id,
            location_id=source.id,
            kind=MovementKind.TRANSFER_OUT.value,
            delta=-data.quantity,
            on_hand_after=on_hand,
            reason=f"transfer to {data.to_location}",
            reference=reference,
            actor=str(actor),
        )
    )
    incoming_id = None
    fills: list[FillOut] = []
    if data.expected_on is not None:
        lot = await add_incoming(
            session,
            IncomingIn(
                sku=data.sku,
                location=data.to_location,
                quantity=data.quantity,
                expected_on=data.expected_on,
                reference=reference,
            ),
        )
        incoming_id = lot.id
    else:
        await stock.adjust(
            session,
            data.sku,
            data.to_location,
            data.quantity,
            kind=MovementKind.TRANSFER_IN,
            reason=f"transfer from {data.from_location}",
            reference=reference,
            actor=str(actor),
        )
        fills = await fill_backorders(
            hub,
            session,
            item_id=item.id,
            sku=data.sku,
            location=target,
            actor=actor,
            cause="transfer",
        )
    return TransferOut(
        reference=reference,
        sku=data.sku,
        from_location=data.from_location,
        to_location=data.to_location,
        quantity=data.quantity,
        incoming_id=incoming_id,
        filled=fills,
    )


# ------------------------------------------------------------------------------ counts


async def _take_back(
    hub: Hub,
    session: UnitOfWork,
    *,
    item_id: int,
    location_id: int,
    short: int,
    actor: Actor,
) -> int:
    """Take back at least `short` reserved units at (item, location) from the newest orders
    that are not released; those orders are routed again. Units taken back."""
    candidates = (
        await session.execute(
            sa.select(ReservationRow.order_id)
            .join(OrderRow, OrderRow.id == ReservationRow.order_id)
            .where(
                ReservationRow.item_id == item_id,
                ReservationRow.location_id == location_id,
                ReservationRow.status == "active",
                OrderRow.status.in_([s.value for s in lifecycle.EDITABLE]),
            )
            .group_by(ReservationRow.order_id, OrderRow.placed_at)
            .order_by(OrderRow.placed_at.desc(), ReservationRow.order_id.desc())
        )
    ).scalars()
    order_ids = list(candidates)
    locked = await _lock_orders(session, order_ids)
    taken = 0
    for order_id in order_ids:
        if taken >= short:
            break
        if order_id not in locked:
            continue
        rows = await aggregate.lock_order(session, order_id)
        reservations = list(
            await session.scalars(
                sa.select(ReservationRow)
                .where(
                    ReservationRow.order_id == order_id,
                    ReservationRow.item_id == item_id,
                    ReservationRow.location_id == location_id,
                    ReservationRow.status == "active",
                )
                .with_for_update()
            )
        )
        lines: dict[str, int] = {}
        for reservation in reservations:
            reservation.status = "released"
            lines[reservation.line_id] = lines.get(reservation.line_id, 0) + reservation.quantity
        units = sum(lines.values())
        await session.execute(
            sa.update(LEVELS)
            .where(LEVELS.c.item_id == item_id, LEVELS.c.location_id == location_id)
            .values(reserved=LEVELS.c.reserved - units, updated_at=utcnow())
        )
        session.touch(item_id, location_id)
        for line_id, qty in lines.items():
            rows.line(line_id).quantity_allocated -= qty
        taken += units
        await service.record(
            session,
            rows.row,
            actor,
            "reservation_lost",
            {"lines": lines, "location_id": location_id},
            "a stock count found fewer units than were reserved: routed again",
        )
        if rows.active_holds:
            continue
        await service.change_status(
            session, rows.row, OrderStatus.PENDING, actor, reason="stock count", bump=False
        )
        await engine.allocate(hub, session, rows, cause="count", actor=actor)
    return taken


async def count(hub: Hub, session: UnitOfWork, data: CountIn, *, actor: Actor) -> CountOut:
    """Apply absolute counts (see the module docstring for how reservations are kept)."""
    if not data.counts:
        raise InvalidInput("a count needs at least one line", code="empty_count")
    keys = set()
    for index, line in enumerate(data.counts):
        if line.counted < 0:
            raise InvalidInput(
                f"counts[{index}]: a count cannot be negative",
                code="negative_quantity",
                quantity=line.counted,
            )
        if (line.sku, line.location) in keys:
            raise InvalidInput(
                f"counts[{index}]: {line.sku} at {line.location} is counted twice",
                code="duplicate_count",
            )
        keys.add((line.sku, line.location))
    resolved = []
    for line in data.counts:  # every SKU and location known before anything changes
        item = await get_item_row(session, line.sku)
        place = await get_location_row(session, line.location)
        resolved.append((item, place, line))
    out = []
    for item, place, line in sorted(resolved, key=lambda x: (x[0].id, x[1].id)):
        await stock.ensure_level(session, item.id, place.id)
        before = (
            await session.execute(
                sa.select(LEVELS.c.on_hand)
                .where(LEVELS.c.item_id == item.id, LEVELS.c.location_id == place.id)
                .with_for_update()
            )
        ).scalar_one()
        level = await stock.set_on_hand(
            session,
            line.sku,
            line.location,
            line.counted,
            kind=MovementKind.COUNT,
            reason="counted (reserved units included)",
            reference=data.reference,
            actor=str(actor),
        )
        given_back = 0
        if level.reserved > line.counted:
            given_back = await _take_back(
                hub,
                session,
                item_id=item.id,
                location_id=place.id,
                short=level.reserved - line.counted,
                actor=actor,
            )
        fills = await fill_backorders(
            hub,
            session,
            item_id=item.id,
            sku=line.sku,
            location=place,
            actor=actor,
            cause="count",
        )
        after = await _level(session, item.id, place.id)
        out.append(
            CountLineOut(
                sku=line.sku,
                location=line.location,
                counted=line.counted,
                on_hand_before=before,
                reserved=after.reserved,
                available=after.on_hand - after.reserved - after.safety_stock,
                reservations_given_back=given_back,
                filled=fills,
            )
        )
    return CountOut(items=out)
