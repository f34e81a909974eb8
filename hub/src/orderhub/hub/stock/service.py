"""Changing on-hand stock. Every change is one ledger row and one conditional update.

On hand never goes below zero: the update itself carries the condition, so two concurrent
adjustments cannot both pass a check made earlier in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from orderhub.core.events import StockChanged
from orderhub.core.model import MovementKind, StockLevel, StockMovement
from orderhub.hub.catalog.service import get_item_row
from orderhub.hub.errors import Conflict, InvalidInput
from orderhub.hub.locations.service import get_location_row
from orderhub.hub.store.tables import ItemRow, LocationRow, StockLevelRow, StockMovementRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import UnitOfWork


def _insert(session: UnitOfWork) -> type:
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


async def ensure_level(session: UnitOfWork, item_id: int, location_id: int) -> None:
    """Create the (item, location) row at zero if it is missing; never touches an existing one."""
    insert = _insert(session)
    await session.execute(
        insert(StockLevelRow)
        .values(item_id=item_id, location_id=location_id, updated_at=utcnow())
        .on_conflict_do_nothing()
    )


def _level(sku: str, location: str, row: StockLevelRow | sa.Row) -> StockLevel:
    return StockLevel(
        sku=sku,
        location=location,
        on_hand=row.on_hand,
        reserved=row.reserved,
        incoming=row.incoming,
        safety_stock=row.safety_stock,
    )


def _changed(level: StockLevel) -> StockChanged:
    return StockChanged(
        sku=level.sku,
        location=level.location,
        on_hand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
        at=utcnow(),
    )


async def adjust(
    session: UnitOfWork,
    sku: str,
    location: str,
    delta: int,
    *,
    kind: MovementKind = MovementKind.ADJUSTMENT,
    reason: str | None = None,
    reference: str | None = None,
    actor: str | None = None,
) -> StockLevel:
    """Add `delta` (may be negative) to on hand; 409 if on hand would go below zero."""
    if delta == 0:
        raise InvalidInput("a stock adjustment needs a non-zero delta", code="zero_quantity")
    item = await get_item_row(session, sku)
    loc = await get_location_row(session, location)
    await ensure_level(session, item.id, loc.id)
    table = StockLevelRow.__table__
    result = await session.execute(
        sa.update(table)
        .where(
            table.c.item_id == item.id, table.c.location_id == loc.id, table.c.on_hand + delta >= 0
        )
        .values(on_hand=table.c.on_hand + delta, updated_at=utcnow())
        .returning(table.c.on_hand, table.c.reserved, table.c.incoming, table.c.safety_stock)
    )
    row = result.first()
    if row is None:
        current = await session.scalar(
            sa.select(table.c.on_hand).where(
                table.c.item_id == item.id, table.c.location_id == loc.id
            )
        )
        raise Conflict(
            f"on hand of {sku} at {location} is {current}; it cannot go down by {-delta}",
            code="insufficient_stock",
            sku=sku,
            location=location,
            on_hand=current,
            delta=delta,
        )
    session.touch(item.id, loc.id)
    session.add(
        StockMovementRow(
            item_id=item.id,
            location_id=loc.id,
            kind=kind.value,
            delta=delta,
            on_hand_after=row.on_hand,
            reason=reason,
            reference=reference,
            actor=actor,
        )
    )
    level = _level(sku, location, row)
    session.emit(_changed(level))
    return level


async def set_on_hand(
    session: UnitOfWork,
    sku: str,
    location: str,
    quantity: int,
    *,
    kind: MovementKind = MovementKind.SET,
    reason: str | None = None,
    reference: str | None = None,
    actor: str | None = None,
    safety_stock: int | None = None,
) -> StockLevel:
    """Set on hand to an absolute number (a count, an import); the ledger gets the delta."""
    if quantity < 0:
        raise InvalidInput(
            "on hand cannot be negative", code="negative_quantity", quantity=quantity
        )
    if safety_stock is not None and safety_stock < 0:
        raise InvalidInput("safety stock cannot be negative", code="negative_quantity")
    item = await get_item_row(session, sku)
    loc = await get_location_row(session, location)
    await ensure_level(session, item.id, loc.id)
    row = await session.scalar(
        sa.select(StockLevelRow)
        .where(StockLevelRow.item_id == item.id, StockLevelRow.location_id == loc.id)
        .with_for_update()
    )
    assert row is not None
    delta = quantity - row.on_hand
    row.on_hand = quantity
    if safety_stock is not None:
        row.safety_stock = safety_stock
    if delta:
        session.add(
            StockMovementRow(
                item_id=item.id,
                location_id=loc.id,
                kind=kind.value,
                delta=delta,
                on_hand_after=quantity,
                reason=reason,
                reference=reference,
                actor=actor,
            )
        )
    await session.flush()
    level = _level(sku, location, row)
    if delta or safety_stock is not None:
        session.touch(item.id, loc.id)
        session.emit(_changed(level))
    return level


async def levels(
    session: UnitOfWork, *, skus: Sequence[str] | None = None, location: str | None = None
) -> list[StockLevel]:
    query = (
        sa.select(ItemRow.sku, LocationRow.code, StockLevelRow)
        .join(ItemRow, ItemRow.id == StockLevelRow.item_id)
        .join(LocationRow, LocationRow.id == StockLevelRow.location_id)
        .order_by(ItemRow.sku, LocationRow.code)
    )
    if skus is not None:
        query = query.where(ItemRow.sku.in_(list(skus)))
    if location is not None:
        query = query.where(LocationRow.code == location)
    return [_level(sku, code, row) for sku, code, row in (await session.execute(query)).all()]


async def movements(
    session: UnitOfWork,
    *,
    sku: str | None = None,
    location: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[tuple[int, StockMovement]]:
    query = (
        sa.select(StockMovementRow, ItemRow.sku, LocationRow.code)
        .join(ItemRow, ItemRow.id == StockMovementRow.item_id)
        .join(LocationRow, LocationRow.id == StockMovementRow.location_id)
        .order_by(StockMovementRow.id.desc())
        .limit(limit)
    )
    if sku is not None:
        query = query.where(ItemRow.sku == sku)
    if location is not None:
        query = query.where(LocationRow.code == location)
    if before_id is not None:
        query = query.where(StockMovementRow.id < before_id)
    out = []
    for row, item_sku, code in (await session.execute(query)).all():
        out.append(
            (
                row.id,
                StockMovement(
                    sku=item_sku,
                    location=code,
                    kind=MovementKind(row.kind),
                    delta=row.delta,
                    on_hand_after=row.on_hand_after,
                    reason=row.reason,
                    reference=row.reference,
                    actor=row.actor,
                    at=row.at,
                ),
            )
        )
    return out
