"""Named counters that hand out 1, 2, 3... inside the caller's transaction.

The increment is one conditional UPDATE, so concurrent transactions queue on the row and never
get the same value; a rollback gives the value back, so numbers have no gaps.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import CounterRow


async def next_values(session: AsyncSession, name: str, count: int, *, start: int = 1) -> range:
    """The next `count` values of counter `name`, taken in one update; the first call's
    first value is `start`."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    insert = dialect_insert(session)
    await session.execute(
        insert(CounterRow).values(name=name, value=start - 1).on_conflict_do_nothing()
    )
    table = CounterRow.__table__
    result = await session.execute(
        sa.update(table)
        .where(table.c.name == name)
        .values(value=table.c.value + count)
        .returning(table.c.value)
    )
    last = int(result.scalar_one())
    return range(last - count + 1, last + 1)
