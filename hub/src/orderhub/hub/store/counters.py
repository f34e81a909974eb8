"""Named counters that hand out 1, 2, 3... inside the caller's transaction.

The increment is one conditional UPDATE, so concurrent transactions queue on the row and never
get the same value; a rollback gives the value back, so numbers have no gaps.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import CounterRow


async def next_value(session: AsyncSession, name: str, *, start: int = 1) -> int:
    """The next value of counter `name`; the first call returns `start`."""
    insert = dialect_insert(session)
    await session.execute(
        insert(CounterRow).values(name=name, value=start - 1).on_conflict_do_nothing()
    )
    table = CounterRow.__table__
    result = await session.execute(
        sa.update(table)
        .where(table.c.name == name)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    )
    return int(result.scalar_one())
