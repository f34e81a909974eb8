"""Reading and writing locations."""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.model import (
    Address,
    GeoPoint,
    Location,
    LocationCapability,
    LocationKind,
    PickSchedule,
)
from orderhub.hub.errors import NotFound
from orderhub.hub.store.tables import LocationRow


def location_from_row(row: LocationRow) -> Location:
    return Location(
        code=row.code,
        name=row.name,
        kind=LocationKind(row.kind),
        address=msgspec.convert(row.address, Address) if row.address else None,
        point=GeoPoint(lat=row.lat, lon=row.lon)
        if row.lat is not None and row.lon is not None
        else None,
        capabilities=[LocationCapability(c) for c in row.capabilities or []],
        priority=row.priority,
        schedule=msgspec.convert(row.schedule, PickSchedule) if row.schedule else PickSchedule(),
        active=row.active,
        ships_to=list(row.ships_to or []),
    )


async def upsert_location(session: AsyncSession, location: Location) -> tuple[LocationRow, bool]:
    row = await session.scalar(sa.select(LocationRow).where(LocationRow.code == location.code))
    created = row is None
    if row is None:
        row = LocationRow(code=location.code)
        session.add(row)
    row.name = location.name
    row.kind = location.kind.value
    row.address = msgspec.to_builtins(location.address) if location.address else None
    row.lat = location.point.lat if location.point else None
    row.lon = location.point.lon if location.point else None
    row.capabilities = [c.value for c in location.capabilities]
    row.priority = location.priority
    row.schedule = msgspec.to_builtins(location.schedule)
    row.active = location.active
    row.ships_to = [code.upper() for code in location.ships_to]
    await session.flush()
    return row, created


async def get_location_row(session: AsyncSession, code: str) -> LocationRow:
    row = await session.scalar(sa.select(LocationRow).where(LocationRow.code == code))
    if row is None:
        raise NotFound(f"no location with code {code!r}", code="unknown_location", location=code)
    return row


async def location_ids(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(sa.select(LocationRow.code, LocationRow.id))
    return dict(rows.all())


async def list_locations(session: AsyncSession) -> list[Location]:
    rows = await session.scalars(
        sa.select(LocationRow).order_by(LocationRow.priority, LocationRow.code)
    )
    return [location_from_row(row) for row in rows]
