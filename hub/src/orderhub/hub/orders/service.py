"""The order write and read paths shared by the API, the merge of inbound events and the CLI."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from orderhub.core import lifecycle
from orderhub.core.events import OrderChanged
from orderhub.core.model import (
    Actor,
    ActorKind,
    HistoryEntry,
    Hold,
    HoldReason,
    Money,
    Order,
    OrderStatus,
)
from orderhub.hub.allocation import preorders
from orderhub.hub.catalog.service import item_ids
from orderhub.hub.errors import Conflict, HubError, InvalidInput, NotFound
from orderhub.hub.ids import new_id
from orderhub.hub.orders.mapping import hold_from_row, line_rows, order_from_rows, order_row
from orderhub.hub.orders.schemas import OrderFilter, OrderSummary
from orderhub.hub.stock.reservations import free_order_reservations
from orderhub.hub.store.tables import OrderHistoryRow, OrderHoldRow, OrderLineRow, OrderRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import UnitOfWork


async def record(
    session: UnitOfWork,
    row: OrderRow,
    actor: Actor,
    action: str,
    detail: dict[str, Any] | None = None,
    reason: str | None = None,
    *,
    bump: bool = True,
) -> None:
    """Append a history entry and (by default) bump the order's version."""
    if bump:
        row.version += 1
        row.updated_at = utcnow()
    session.add(
        OrderHistoryRow(
            order_id=row.id,
            actor_kind=actor.kind.value,
            actor_name=actor.name,
            action=action,
            detail=detail or {},
            reason=reason,
            version=row.version,
        )
    )
    session.emit(
        OrderChanged(
            order_id=row.id,
            connection=row.connection_id,
            number=row.number,
            status=OrderStatus(row.status),
            action=action,
            version=row.version,
            at=utcnow(),
        ),
    )


async def find_order_row(
    session: UnitOfWork, connection: str, external_id: str, *, for_update: bool = False
) -> OrderRow | None:
    query = sa.select(OrderRow).where(
        OrderRow.connection_id == connection, OrderRow.external_id == external_id
    )
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def get_order_row(
    session: UnitOfWork, order_id: str, *, for_update: bool = False
) -> OrderRow:
    query = sa.select(OrderRow).where(OrderRow.id == order_id)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"no order {order_id!r}", code="unknown_order", order_id=order_id)
    return row


async def load_order(session: UnitOfWork, row: OrderRow) -> Order:
    lines = (
        await session.scalars(sa.select(OrderLineRow).where(OrderLineRow.order_id == row.id))
    ).all()
    holds = (
        await session.scalars(
            sa.select(OrderHoldRow)
            .where(OrderHoldRow.order_id == row.id)
            .order_by(OrderHoldRow.placed_at)
        )
    ).all()
    return order_from_rows(row, lines, holds)


async def get_order(session: UnitOfWork, order_id: str) -> Order:
    return await load_order(session, await get_order_row(session, order_id))


async def place_hold(
    session: UnitOfWork,
    row: OrderRow,
    reason: HoldReason,
    detail: str,
    *,
    source: str,
    actor: Actor,
) -> Hold:
    hold = await add_hold(session, row, reason, detail, source=source, actor=actor)
    await session.flush()
    return hold_from_row(hold)


async def add_hold(
    session: UnitOfWork,
    row: OrderRow,
    reason: HoldReason,
    detail: str,
    *,
    source: str,
    actor: Actor,
) -> OrderHoldRow:
    """`place_hold` without the flush: the hold row is added to the session, to be written
    with the rest of the caller's changes (a batch of orders flushes once)."""
    hold = OrderHoldRow(
        id=new_id("hld"),
        order_id=row.id,
        reason=reason.value,
        detail=detail,
        source=source,
        placed_at=utcnow(),
    )
    session.add(hold)
    if row.status != OrderStatus.ON_HOLD.value:
        await change_status(session, row, OrderStatus.ON_HOLD, actor, reason=detail, bump=False)
    await record(
        session, row, actor, "hold_placed", {"hold_id": hold.id, "reason": reason.value}, detail
    )
    return hold


async def create_order(
    session: UnitOfWork, order: Order, *, actor: Actor, reject_unknown_skus: bool
) -> Order:
    """Store a new order with fresh ids, bind its external id, and write its first history.

    With `reject_unknown_skus` (our own API), an unknown SKU is bad input (422). Otherwise
    (a channel told us), the order is stored and put on hold so nothing is lost.
    """
    row, lines, holds = await store_order(
        session, order, actor=actor, reject_unknown_skus=reject_unknown_skus
    )
    return order_from_rows(row, lines, holds)


async def store_order(
    session: UnitOfWork,
    order: Order,
    *,
    actor: Actor,
    reject_unknown_skus: bool,
    known_items: dict[str, int] | None = None,
) -> tuple[OrderRow, list[OrderLineRow], list[OrderHoldRow]]:
    """`create_order`, returning the rows it wrote (the session only holds them weakly, so
    callers that go on changing the order keep them instead of reading them back).

    `known_items` (SKU -> item id) saves the catalog lookup when the caller has just done it.
    """
    (stored,) = await store_orders(
        session, [(order, actor)], reject_unknown_skus=reject_unknown_skus, known_items=known_items
    )
    if isinstance(stored, HubError):
        raise stored
    await session.flush()
    return stored


StoredOrder = tuple[OrderRow, list[OrderLineRow], list[OrderHoldRow]]


def check_lines(order: Order) -> None:
    """Refuse (422) an order without lines or with a quantity below 1."""
    if not order.lines:
        raise InvalidInput("an order needs at least one line", code="no_lines")
    for index, line in enumerate(order.lines):
        if line.quantity <= 0:
            raise InvalidInput(
                f"line {index}: quantity must be at least 1",
                code="invalid_quantity",
                line=index,
                quantity=line.quantity,
            )


async def _existing_keys(session: UnitOfWork, orders: Sequence[Order]) -> set[tuple[str, str]]:
    """(connection, external id) of the orders already stored."""
    by_connection: dict[str, set[str]] = {}
    for order in orders:
        by_connection.setdefault(order.connection, set()).add(order.external_id)
    found: set[tuple[str, str]] = set()
    for connection, external_ids in by_connection.items():
        rows = await session.execute(
            sa.select(OrderRow.connection_id, OrderRow.external_id).where(
                OrderRow.connection_id == connection,
                OrderRow.external_id.in_(sorted(external_ids)),
            )
        )
        found.update((c, e) for c, e in rows.all())
    return found


async def store_orders(
    session: UnitOfWork,
    orders: Sequence[tuple[Order, Actor]],
    *,
    reject_unknown_skus: bool,
    known_items: dict[str, int] | None = None,
) -> list[StoredOrder | HubError]:
    """Store orders that arrive together (each with who sent it): one duplicate lookup, one
    catalog lookup and nothing flushed, whatever their number. The rows are added to the
    session; the caller's next flush or query writes them.

    An order that is bad input (no lines, a quantity below 1, an unknown SKU when
    `reject_unknown_skus`) or a duplicate gets its error in its place; the others are stored.
    """
    results: list[StoredOrder | HubError | None] = [None] * len(orders)
    valid: list[tuple[int, Order, Actor]] = []
    for index, (order, actor) in enumerate(orders):
        try:
            check_lines(order)
        except HubError as exc:
            results[index] = exc
            continue
        valid.append((index, order, actor))
    with session.no_autoflush:
        existing = await _existing_keys(session, [order for _, order, _ in valid])
        skus = {line.sku for _, order, _ in valid for line in order.lines if line.sku}
        if known_items is not None and skus <= set(known_items):
            known = {sku: known_items[sku] for sku in skus}
        else:
            known = await item_ids(session, skus)
    for index, order, actor in valid:
        key = (order.connection, order.external_id)
        if key in existing:
            results[index] = Conflict(
                f"order {order.external_id!r} from {order.connection} already exists",
                code="duplicate_order",
                connection=order.connection,
                external_id=order.external_id,
            )
            continue
        try:
            results[index] = await _add_order(
                session, order, actor, known, reject_unknown_skus=reject_unknown_skus
            )
        except HubError as exc:
            results[index] = exc
            continue
        existing.add(key)  # a second order with the same key in this batch is a duplicate
    return [result for result in results if result is not None]


async def _add_order(
    session: UnitOfWork,
    order: Order,
    actor: Actor,
    known: dict[str, int],
    *,
    reject_unknown_skus: bool,
) -> StoredOrder:
    skus = {line.sku for line in order.lines if line.sku}
    unknown = sorted(skus - set(known))
    missing_sku = [i for i, line in enumerate(order.lines) if not line.sku]
    if reject_unknown_skus and (unknown or missing_sku):
        raise InvalidInput(
            f"unknown SKU(s): {', '.join(unknown)}" if unknown else "every line needs a SKU",
            code="unknown_sku",
            skus=unknown,
            lines_without_sku=missing_sku,
        )
    order_id = new_id("ord")
    for line in order.lines:
        line.id = new_id("lin")
    order.status = OrderStatus.PENDING
    row = order_row(order, order_id)
    row.version = 1
    lines = line_rows(order, order_id, known)
    session.add(row)
    session.add_all(lines)
    await record(
        session,
        row,
        actor,
        "created",
        {
            "lines": len(order.lines),
            "total": row.total_amount,
            "currency": row.currency,
            "status": row.status,
        },
        bump=False,
    )
    holds: list[OrderHoldRow] = []
    if unknown or missing_sku:
        detail = (
            f"unknown SKU(s): {', '.join(unknown)}"
            if unknown
            else "line(s) without SKU: " + ", ".join(str(i) for i in missing_sku)
        )
        holds.append(
            await add_hold(
                session, row, HoldReason.UNKNOWN_SKU, detail, source="intake", actor=actor
            )
        )
    return row, lines, holds


async def change_status(
    session: UnitOfWork,
    row: OrderRow,
    target: OrderStatus,
    actor: Actor,
    *,
    reason: str | None = None,
    bump: bool = True,
) -> None:
    """Move an order to `target` if the lifecycle allows it (409 otherwise), with history."""
    current = OrderStatus(row.status)
    if current == target:
        return
    try:
        lifecycle.check_transition(current, target)
    except lifecycle.IllegalTransition as exc:
        raise Conflict(
            exc.reason, code="illegal_transition", current=current.value, target=target.value
        ) from exc
    row.status = target.value
    await record(
        session,
        row,
        actor,
        "status_changed",
        {"from": current.value, "to": target.value},
        reason,
        bump=bump,
    )


async def cancel_order(session: UnitOfWork, order_id: str, *, actor: Actor, reason: str) -> Order:
    """Cancel every open unit, give back reservations and preorders; refused (409) once
    shipped."""
    row = await get_order_row(session, order_id, for_update=True)
    await change_status(session, row, OrderStatus.CANCELLED, actor, reason=reason)
    row.cancel_reason = reason
    freed = await free_order_reservations(session, order_id)
    freed += await preorders.free_for_order(session, order_id)
    # Nothing waits on a cancelled order's holds: close them, so queues of waiting holds
    # (the dashboard, GET /holds) never show them.
    holds_closed = (
        await session.execute(
            sa.update(OrderHoldRow)
            .where(OrderHoldRow.order_id == order_id, OrderHoldRow.released_at.is_(None))
            .values(released_at=utcnow(), released_by=str(actor), release_note="order cancelled")
        )
    ).rowcount or 0
    lines = (
        await session.scalars(sa.select(OrderLineRow).where(OrderLineRow.order_id == order_id))
    ).all()
    cancelled: dict[str, int] = {}
    for line in lines:
        open_units = line.quantity - line.quantity_cancelled - line.quantity_shipped
        if open_units > 0:
            line.quantity_cancelled += open_units
            cancelled[line.id] = open_units
        line.quantity_allocated = 0
        line.quantity_backordered = 0
    await record(
        session,
        row,
        actor,
        "lines_cancelled",
        {"quantities": cancelled, "reservations_released": freed, "holds_closed": holds_closed},
        reason,
        bump=False,
    )
    await session.flush()
    return await load_order(session, row)


async def history(session: UnitOfWork, order_id: str) -> list[HistoryEntry]:
    await get_order_row(session, order_id)
    rows = await session.scalars(
        sa.select(OrderHistoryRow)
        .where(OrderHistoryRow.order_id == order_id)
        .order_by(OrderHistoryRow.id)
    )
    return [
        HistoryEntry(
            order_id=r.order_id,
            at=r.at,
            actor=Actor(kind=ActorKind(r.actor_kind), name=r.actor_name),
            action=r.action,
            detail=r.detail or {},
            reason=r.reason,
            version=r.version,
        )
        for r in rows
    ]


def encode_cursor(order_id: str) -> str:
    return base64.urlsafe_b64encode(order_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not one this API returned", code="invalid_cursor") from exc
    if not value.startswith("ord_"):
        raise InvalidInput("cursor is not one this API returned", code="invalid_cursor")
    return value


async def list_orders(
    session: UnitOfWork,
    filters: OrderFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
    where: Sequence[sa.ColumnElement[bool]] = (),
) -> tuple[list[OrderSummary], str | None]:
    """Newest first, keyset-paginated on the time-ordered id. `where` adds a caller's own
    conditions on `OrderRow` (the console's location and "late" filters)."""
    query = sa.select(OrderRow).where(*where).order_by(OrderRow.id.desc()).limit(limit + 1)
    if cursor:
        query = query.where(OrderRow.id < decode_cursor(cursor))
    if filters.status:
        query = query.where(OrderRow.status.in_([s.value for s in filters.status]))
    if filters.connection:
        query = query.where(OrderRow.connection_id == filters.connection)
    if filters.placed_from:
        query = query.where(OrderRow.placed_at >= filters.placed_from)
    if filters.placed_to:
        query = query.where(OrderRow.placed_at < filters.placed_to)
    if filters.customer:
        query = query.where(OrderRow.customer_email == filters.customer.lower())
    if filters.q:
        needle = filters.q.strip().lower()
        query = query.where(
            sa.or_(
                sa.func.lower(OrderRow.number) == needle,
                sa.func.lower(OrderRow.number) == f"#{needle.lstrip('#')}",
                OrderRow.customer_email.like(f"%{needle}%"),
            )
        )
    rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        OrderSummary(
            id=r.id,
            number=r.number,
            connection=r.connection_id,
            external_id=r.external_id,
            status=OrderStatus(r.status),
            financial_status=r.financial_status,
            placed_at=r.placed_at,
            customer_email=r.customer_email,
            total=Money(amount=r.total_amount, currency=r.currency),
            promised_date=r.promised_date,
            version=r.version,
        )
        for r in rows
    ]
    return items, encode_cursor(rows[-1].id) if more and rows else None


def placed_now() -> datetime:
    return utcnow()
