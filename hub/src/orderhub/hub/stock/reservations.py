"""Reservations: units of on-hand stock promised to an order line.

`stock_levels.reserved` always equals the sum of active reservations for that row. Both are
changed in one transaction, and rows are touched in (item_id, location_id) order so that two
transactions never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import sqlalchemy as sa

from orderhub.core.model import MovementKind, ReservationStatus
from orderhub.hub.store.tables import ReservationRow, StockLevelRow, StockMovementRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import UnitOfWork


class ReservationRequest(msgspec.Struct, frozen=True, kw_only=True):
    line_id: str
    item_id: int
    location_id: int
    quantity: int


async def reserve(
    session: UnitOfWork, order_id: str, requests: Sequence[ReservationRequest]
) -> list[ReservationRequest]:
    """Reserve each request if its location has the units available, all in this transaction.

    The check and the increment are one conditional UPDATE, so concurrent transactions — in
    any number of processes — cannot both take the last unit: available never goes below zero.
    Requests are applied in (item, location) order, the same order every caller uses, so row
    locks are always taken in one order and never deadlock. Returns the requests that could
    not be reserved (nothing is reserved for those).
    """
    table = StockLevelRow.__table__
    refused: list[ReservationRequest] = []
    granted: list[ReservationRow] = []
    now = utcnow()
    for request in sorted(requests, key=lambda r: (r.item_id, r.location_id, r.line_id)):
        if request.quantity <= 0:
            raise ValueError(f"reservation quantity must be positive, got {request.quantity}")
        result = await session.execute(
            sa.update(table)
            .where(
                table.c.item_id == request.item_id,
                table.c.location_id == request.location_id,
                table.c.on_hand - table.c.reserved - table.c.safety_stock >= request.quantity,
            )
            .values(reserved=table.c.reserved + request.quantity, updated_at=now)
        )
        if result.rowcount != 1:
            refused.append(request)
            continue
        session.touch(request.item_id, request.location_id)
        granted.append(
            ReservationRow(
                order_id=order_id,
                line_id=request.line_id,
                item_id=request.item_id,
                location_id=request.location_id,
                quantity=request.quantity,
                status=ReservationStatus.ACTIVE.value,
            )
        )
    # Added once the updates are done: one INSERT for all (an add before the next UPDATE
    # would be autoflushed row by row).
    session.add_all(granted)
    await session.flush()
    return refused


DEADLOCK = "40P01"


async def reserve_all(
    session: UnitOfWork, order_id: str, requests: Sequence[ReservationRequest]
) -> bool:
    """Reserve every request for one order, or report False: see `reserve_many`."""
    return await reserve_many(session, [(order_id, request) for request in requests])


async def reserve_many(
    session: UnitOfWork, requests: Sequence[tuple[str, ReservationRequest]]
) -> bool:
    """Reserve every (order id, request), or report False: then some may be applied, and the
    caller must roll back (its savepoint) — all or nothing is the caller's transaction
    boundary.

    The ledger rows are written first and the stock rows last: on PostgreSQL they are locked
    in (item, location) order, then changed by one conditional UPDATE (`UPDATE ... FROM
    (VALUES ...)`, the units of one key summed, whichever orders they go to): the hot rows
    are locked for as short a time as possible, two round trips before the commit. SQLite (one writer at a
    time) takes the rows one by one. A deadlock PostgreSQL breaks by failing this statement
    is reported as a refusal too.
    """
    if not requests:
        return True
    for _, request in requests:
        if request.quantity <= 0:
            raise ValueError(f"reservation quantity must be positive, got {request.quantity}")
    if session.bind.dialect.name != "postgresql":
        by_order: dict[str, list[ReservationRequest]] = {}
        for order_id, request in requests:
            by_order.setdefault(order_id, []).append(request)
        refused = False
        for order_id, wanted_here in by_order.items():
            refused = bool(await reserve(session, order_id, wanted_here)) or refused
        return not refused
    session.add_all(
        ReservationRow(
            order_id=order_id,
            line_id=request.line_id,
            item_id=request.item_id,
            location_id=request.location_id,
            quantity=request.quantity,
            status=ReservationStatus.ACTIVE.value,
        )
        for order_id, request in requests
    )
    await session.flush()
    wanted: dict[tuple[int, int], int] = {}
    for _, request in requests:
        key = (request.item_id, request.location_id)
        wanted[key] = wanted.get(key, 0) + request.quantity
    keys = sa.values(
        sa.column("item_id", sa.Integer),
        sa.column("location_id", sa.Integer),
        sa.column("quantity", sa.Integer),
        name="wanted",
    ).data([(item, location, qty) for (item, location), qty in sorted(wanted.items())])
    table = StockLevelRow.__table__
    try:
        # Lock the rows in key order first: an UPDATE joined to a VALUES list locks them in
        # whatever order its plan visits them, and two such updates could wait on each other.
        await session.execute(
            sa.select(table.c.item_id)
            .where(sa.tuple_(table.c.item_id, table.c.location_id).in_(sorted(wanted)))
            .order_by(table.c.item_id, table.c.location_id)
            .with_for_update()
        )
        result = await session.execute(
            sa.update(table)
            .where(
                table.c.item_id == keys.c.item_id,
                table.c.location_id == keys.c.location_id,
                table.c.on_hand - table.c.reserved - table.c.safety_stock >= keys.c.quantity,
            )
            .values(reserved=table.c.reserved + keys.c.quantity, updated_at=utcnow())
            .returning(table.c.item_id, table.c.location_id)
        )
    except sa.exc.DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == DEADLOCK:
            return False
        raise
    granted = {tuple(row) for row in result.all()}
    for item, location in granted:
        session.touch(item, location)
    return granted == set(wanted)


async def consume(
    session: UnitOfWork, order_id: str, line_id: str, location_id: int, quantity: int
) -> int:
    """Turn reserved units into a shipment: reserved and on hand both go down.

    Returns how many units were consumed (at most what is reserved for the line there).
    """
    table = StockLevelRow.__table__
    left = quantity
    for reservation in await _line_reservations(session, order_id, line_id, location_id):
        if left <= 0:
            break
        take = min(left, reservation.quantity)
        on_hand_after = (
            await session.execute(
                sa.update(table)
                .where(table.c.item_id == reservation.item_id, table.c.location_id == location_id)
                .values(
                    reserved=table.c.reserved - take,
                    on_hand=table.c.on_hand - take,
                    updated_at=utcnow(),
                )
                .returning(table.c.on_hand)
            )
        ).scalar_one()
        session.touch(reservation.item_id, location_id)
        session.add(
            StockMovementRow(
                item_id=reservation.item_id,
                location_id=location_id,
                kind=MovementKind.SHIPMENT.value,
                delta=-take,
                on_hand_after=on_hand_after,
                reference=order_id,
                reason="shipped",
            )
        )
        _mark_part(session, reservation, take, ReservationStatus.CONSUMED)
        left -= take
    await session.flush()
    return quantity - left


async def free_order_reservations(
    session: UnitOfWork, order_id: str, *, line_ids: set[str] | None = None
) -> int:
    """Give back every active reservation of an order (or of some of its lines).

    Returns the number of units freed.
    """
    query = (
        sa.select(ReservationRow)
        .where(
            ReservationRow.order_id == order_id,
            ReservationRow.status == ReservationStatus.ACTIVE.value,
        )
        .order_by(ReservationRow.item_id, ReservationRow.location_id, ReservationRow.id)
        .with_for_update()
    )
    if line_ids is not None:
        query = query.where(ReservationRow.line_id.in_(sorted(line_ids)))
    freed = 0
    table = StockLevelRow.__table__
    for reservation in await session.scalars(query):
        await session.execute(
            sa.update(table)
            .where(
                table.c.item_id == reservation.item_id,
                table.c.location_id == reservation.location_id,
            )
            .values(reserved=table.c.reserved - reservation.quantity, updated_at=utcnow())
        )
        session.touch(reservation.item_id, reservation.location_id)
        reservation.status = ReservationStatus.RELEASED.value
        freed += reservation.quantity
    await session.flush()
    return freed


async def free_units(
    session: UnitOfWork, order_id: str, line_id: str, location_id: int, quantity: int
) -> int:
    """Give back `quantity` units of a line's active reservations at one location (a short
    pick: the rest stays reserved for the units that were found), newest first.

    Returns the units freed (at most what is reserved for the line there).
    """
    table = StockLevelRow.__table__
    left = quantity
    for reservation in await _line_reservations(
        session, order_id, line_id, location_id, newest_first=True
    ):
        if left <= 0:
            break
        give = min(left, reservation.quantity)
        await session.execute(
            sa.update(table)
            .where(table.c.item_id == reservation.item_id, table.c.location_id == location_id)
            .values(reserved=table.c.reserved - give, updated_at=utcnow())
        )
        session.touch(reservation.item_id, location_id)
        _mark_part(session, reservation, give, ReservationStatus.RELEASED)
        left -= give
    await session.flush()
    return quantity - left


async def _line_reservations(
    session: UnitOfWork,
    order_id: str,
    line_id: str,
    location_id: int,
    *,
    newest_first: bool = False,
) -> list[ReservationRow]:
    """The active reservations of an order line at one location, locked."""
    return list(
        await session.scalars(
            sa.select(ReservationRow)
            .where(
                ReservationRow.order_id == order_id,
                ReservationRow.line_id == line_id,
                ReservationRow.location_id == location_id,
                ReservationRow.status == ReservationStatus.ACTIVE.value,
            )
            .order_by(ReservationRow.id.desc() if newest_first else ReservationRow.id)
            .with_for_update()
        )
    )


def _mark_part(
    session: UnitOfWork, reservation: ReservationRow, units: int, status: ReservationStatus
) -> None:
    """`units` of a reservation take `status`: the whole row, or a row split off it (the
    rest stays active)."""
    if units == reservation.quantity:
        reservation.status = status.value
        return
    reservation.quantity -= units
    session.add(
        ReservationRow(
            order_id=reservation.order_id,
            line_id=reservation.line_id,
            item_id=reservation.item_id,
            location_id=reservation.location_id,
            quantity=units,
            status=status.value,
        )
    )
