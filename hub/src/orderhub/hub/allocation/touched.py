"""Which stock rows a transaction changed, so their channels can be told once it commits.

The stock services call `mark` for every (item, location) whose on hand, reserved or safety
stock they change; `availability.queue_pushes` drains the marks just before the commit and
writes one coalesced push per (connection, SKU) to the outbox.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "orderhub.stock_touched"


def mark(session: AsyncSession, item_id: int, location_id: int) -> None:
    session.info.setdefault(_KEY, set()).add((item_id, location_id))


def drain(session: AsyncSession) -> set[tuple[int, int]]:
    return session.info.pop(_KEY, set())
