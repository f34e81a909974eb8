"""The sweeper: the database is the truth, Redis only carries jobs.

Every `sweep_interval_seconds` it queues again the inbox and outbox rows that are due but may
have no job (Redis flushed or restarted, a queue call that failed after the commit), and the
rows a killed worker left in `processing` longer than `stale_after_seconds`. Queuing a row
that still has its job is harmless: arq refuses a job id that exists, and the claim makes a
second run a no-op. A row whose worker died on its last allowed attempt is dead-lettered.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa

from orderhub.hub.store.types import utcnow
from orderhub.hub.sync import dispatch, inbox
from orderhub.hub.sync.claims import WorkTable

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

log = logging.getLogger(__name__)

BATCH = 1000
"""Rows per table per sweep; the next sweep takes the rest."""


class SweepReport(msgspec.Struct, kw_only=True):
    inbox_queued: int = 0
    outbox_queued: int = 0
    dead: int = 0


def _due(work: WorkTable, now: Any, stale_before: Any) -> Any:
    c = work.table.c
    return sa.or_(
        sa.and_(c.status.in_(work.waiting), c.next_attempt_at <= now),
        sa.and_(c.status == "processing", c.claimed_at < stale_before),
    )


async def sweep_once(hub: Hub, *, batch: int = BATCH) -> SweepReport:
    config = hub.settings.worker
    now = utcnow()
    stale_before = now - timedelta(seconds=config.stale_after_seconds)
    report = SweepReport()
    for work in (inbox.WORK, dispatch.WORK):
        c = work.table.c
        async with hub.read() as session:
            rows = (
                await session.execute(
                    sa.select(c.id, c.status, c.attempts, c.connection_id)
                    .where(_due(work, now, stale_before))
                    .order_by(c.id)
                    .limit(batch)
                )
            ).all()
        for row in rows:
            if row.status == "processing" and row.attempts >= config.max_attempts:
                error = f"the worker stopped during attempt {row.attempts}, the last allowed"
                await work.dead(hub, row, error)
                report.dead += 1
                continue
            queued = await hub.enqueue(
                work.job, row.id, row.attempts, job_id=work.job_id(row.id, row.attempts)
            )
            if work is inbox.WORK:
                report.inbox_queued += queued
            else:
                report.outbox_queued += queued
    if report.inbox_queued or report.outbox_queued or report.dead:
        log.info("sweep: %s", report)
    return report


async def sweep(ctx: dict[str, Any]) -> dict[str, int]:
    """arq cron job."""
    return msgspec.to_builtins(await sweep_once(ctx["hub"]))
