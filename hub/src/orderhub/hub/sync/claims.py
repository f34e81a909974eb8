"""Claiming, finishing, retrying and giving back rows of a work table (the inbox, the outbox).

A worker takes a row with one conditional UPDATE that moves it to `processing` and counts the
attempt; only a row waiting for exactly that attempt (or left in processing by a dead worker
longer than `stale_after_seconds`) matches, so two workers never both take it, and a job
queued for an earlier attempt finds the count moved on and does nothing: backoff holds without
comparing clocks. Every outcome is written only if the claim still holds (same status, same
attempt count), so a worker that lost its row to the sweeper changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.errors import Conflict, NotFound
from orderhub.hub.store.types import utcnow
from orderhub.hub.sync.retry import next_delay
from orderhub.hub.sync.state import clip

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

log = logging.getLogger(__name__)

OnFailure = Callable[[AsyncSession, Any, str], Awaitable[None]]
"""Called in the transaction that records a failure: (session, claimed row, error)."""


class WorkTable:
    """One work table as the worker handles it."""

    def __init__(
        self,
        table: sa.Table,
        *,
        job: str,
        job_id: Callable[[int, int], str],
        waiting: tuple[str, ...],
        retry_status: str,
        replayable: tuple[str, ...],
        noun: str,
        on_failure: OnFailure | None = None,
    ) -> None:
        self.table = table
        self.job = job
        """The arq function that processes one row."""
        self.job_id = job_id
        self.waiting = waiting
        """Statuses of rows waiting for a worker."""
        self.retry_status = retry_status
        """Status of a row waiting out its backoff."""
        self.replayable = replayable
        """Statuses an operator may send through again."""
        self.noun = noun
        """What a row is called in messages ("inbox event")."""
        self.on_failure = on_failure

    def claimable(self, now: datetime, stale_after: float, max_attempts: int) -> Any:
        """Rows a worker may take: waiting ones, and ones a dead worker left in processing."""
        c = self.table.c
        return sa.or_(
            c.status.in_(self.waiting),
            sa.and_(
                c.status == "processing",
                c.claimed_at < now - timedelta(seconds=stale_after),
                c.attempts < max_attempts,
            ),
        )

    async def claim(self, hub: Hub, row_id: int, attempts: int, *columns: Any) -> Any:
        """Take the row for attempt `attempts + 1`: its id, attempts and `columns`, or None."""
        config = hub.settings.worker
        now = utcnow()
        c = self.table.c
        async with hub.transaction() as session:
            result = await session.execute(
                sa.update(self.table)
                .where(
                    c.id == row_id,
                    c.attempts == attempts,
                    self.claimable(now, config.stale_after_seconds, config.max_attempts),
                )
                .values(status="processing", claimed_at=now, attempts=c.attempts + 1)
                .returning(c.id, c.attempts, *columns)
            )
            return result.first()

    async def settle(self, session: AsyncSession, row: Any, **values: Any) -> bool:
        """Write the row's outcome if our claim still holds."""
        c = self.table.c
        result = await session.execute(
            sa.update(self.table)
            .where(c.id == row.id, c.status == "processing", c.attempts == row.attempts)
            .values(**values)
        )
        return result.rowcount == 1

    async def dead(self, hub: Hub, row: Any, error: str) -> str:
        """Give up: an operator replays the row once the cause is fixed."""
        async with hub.transaction() as session:
            settled = await self.settle(
                session, row, status="dead", processed_at=utcnow(), last_error=clip(error)
            )
            if settled and self.on_failure is not None:
                await self.on_failure(session, row, error)
        log.warning("%s %s dead: %s", self.table.name, row.id, error)
        return "dead"

    async def retry_later(
        self, hub: Hub, row: Any, error: str, retry_after: float | None = None
    ) -> str:
        """Try again after a backoff, or give up once `max_attempts` are spent."""
        config = hub.settings.worker
        if row.attempts >= config.max_attempts:
            return await self.dead(hub, row, f"gave up after {row.attempts} attempts: {error}")
        delay = next_delay(config, row.attempts, retry_after)
        async with hub.transaction() as session:
            settled = await self.settle(
                session,
                row,
                status=self.retry_status,
                next_attempt_at=utcnow() + timedelta(seconds=delay),
                last_error=clip(error),
            )
            if settled and self.on_failure is not None:
                await self.on_failure(session, row, error)
        if settled:
            await hub.enqueue(
                self.job,
                row.id,
                row.attempts,
                job_id=self.job_id(row.id, row.attempts),
                defer_by=delay,
            )
        log.info(
            "%s %s attempt %s failed, retry in %.1fs: %s",
            self.table.name,
            row.id,
            row.attempts,
            delay,
            error,
        )
        return "retry"

    async def give_back(self, hub: Hub, row: Any) -> None:
        """Give the row back at once, this attempt not counted, so arq's own re-run of the
        cancelled job claims it again."""
        async with hub.transaction() as session:
            await self.settle(
                session,
                row,
                status="pending",
                attempts=row.attempts - 1,
                next_attempt_at=utcnow(),
            )

    async def run(
        self,
        hub: Hub,
        row_id: int,
        attempts: int,
        columns: tuple[Any, ...],
        work: Callable[[Any], Awaitable[str]],
    ) -> str:
        """Claim the row and hand it to `work`; "skipped" when it is not there for this
        attempt. A cancelled job (worker shutting down) gives the row back."""
        row = await self.claim(hub, row_id, attempts, *columns)
        if row is None:
            return "skipped"
        try:
            return await work(row)
        except asyncio.CancelledError:
            await asyncio.shield(self.give_back(hub, row))
            raise

    # ------------------------------------------------------------------------ replay

    async def lock_for_replay(self, session: AsyncSession, row_id: int, *columns: Any) -> Any:
        """The row (status and `columns`), locked, if an operator may replay it.

        404 `unknown_<noun>` without such a row; 409 `not_replayable` in any other status.
        """
        c = self.table.c
        row = (
            await session.execute(
                sa.select(c.status, *columns).where(c.id == row_id).with_for_update()
            )
        ).first()
        code = "unknown_" + self.noun.replace(" ", "_")
        if row is None:
            raise NotFound(f"no {self.noun} {row_id}", code=code, id=row_id)
        if row.status not in self.replayable:
            raise Conflict(
                f"{self.noun} {row_id} is {row.status}; only "
                + ", ".join(self.replayable)
                + " ones are replayed",
                code="not_replayable",
                status=row.status,
            )
        return row

    async def reset(self, session: AsyncSession, row_id: int) -> None:
        """Back to pending with its attempts reset; the caller queues attempt 0."""
        await session.execute(
            sa.update(self.table)
            .where(self.table.c.id == row_id)
            .values(status="pending", attempts=0, next_attempt_at=utcnow(), claimed_at=None)
        )
