"""Polling a channel's orders: the first import, then reconciliation that catches missed webhooks.

For each connection able to PULL_ORDERS, a cron job (`poll_connections`, every
`worker.pull_interval_seconds`) queues one `pull_orders` job. The job asks the connector for
one page after the stored cursor, merges the page with the webhooks' own merge (idempotent,
stale snapshots ignored), and stores the connector's new cursor in `sync_cursors`, page by
page, so an interrupted pull resumes where it stopped. The cursor is the connector's and
opaque here; with no cursor yet the connector starts from its own lookback (Shopify:
`initial_lookback_days`), which is the first import.

No transaction is open while the provider is called. Two pulls of one connection (the cron
and an operator's trigger) may overlap: each page is merged idempotently, and the cursor is
only stored when it is still the one the page was read from, so it never moves backwards;
the pull that loses that race stops.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from orderhub.core.connectors import Capability, ConnectorError, PermanentError
from orderhub.core.events import InboundChange, OrderObserved
from orderhub.hub.errors import Conflict, HubError
from orderhub.hub.runtime import Hub
from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import SyncCursorRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import UnitOfWork
from orderhub.hub.sync import merge, ratelimit
from orderhub.hub.sync.state import clip, record_failure, record_success, revocation

log = logging.getLogger(__name__)

STREAM = "orders"
"""The `sync_cursors.stream` of order pulls."""
PAGES_PER_JOB = 20
"""Pages one job reads before handing over to a fresh job (a long backfill continues)."""
MERGE_TRIES = 3
"""A webhook can insert the same new order while we merge it: the loser re-reads."""
JOB = "pull_orders"


class PullReport(msgspec.Struct, kw_only=True):
    """What one pull did."""

    connection: str
    pages: int = 0
    orders: int = 0
    """Order snapshots read (new, updated, or ignored as not newer)."""
    changes: int = 0
    notes: list[str] = []
    """Changes that did not apply, and why (an order that failed to merge, a stale one)."""
    cursor: str | None = None
    """The cursor stored at the end."""
    more: bool = False
    """The provider has more pages than this pull read (a job queues a follow-up)."""
    stopped: str | None = None
    """Why the pull ended early (a provider error, another pull moved the cursor)."""
    retry_after: float | None = None
    """The provider asked to wait this long (throttled): a job queues a pull for then."""


def job_id(connection_id: str) -> str:
    """One pull job per connection at a time: Redis refuses a second one with this id."""
    return f"pull:{connection_id}"


# -------------------------------------------------------------------------------- cursors


async def read_cursor(session: UnitOfWork, connection_id: str) -> SyncCursorRow | None:
    return await session.scalar(
        sa.select(SyncCursorRow).where(
            SyncCursorRow.connection_id == connection_id, SyncCursorRow.stream == STREAM
        )
    )


async def store_cursor(
    session: UnitOfWork, connection_id: str, expected: str | None, cursor: str | None
) -> bool:
    """Store `cursor` if the stored one is still `expected`; False if another pull moved it."""
    table = SyncCursorRow.__table__
    result = await session.execute(
        sa.update(table)
        .where(
            table.c.connection_id == connection_id,
            table.c.stream == STREAM,
            table.c.cursor.is_(None) if expected is None else table.c.cursor == expected,
        )
        .values(cursor=cursor, updated_at=utcnow())
    )
    if result.rowcount == 1:
        return True
    if expected is not None:
        return False
    inserted = await session.execute(
        dialect_insert(session)(SyncCursorRow)
        .values(connection_id=connection_id, stream=STREAM, cursor=cursor, updated_at=utcnow())
        .on_conflict_do_nothing()
        .returning(SyncCursorRow.connection_id)
    )
    return inserted.scalar() is not None


async def reset_cursor(session: UnitOfWork, connection_id: str) -> None:
    """Forget the cursor: the next pull imports again from the connector's lookback."""
    await session.execute(
        sa.delete(SyncCursorRow).where(
            SyncCursorRow.connection_id == connection_id, SyncCursorRow.stream == STREAM
        )
    )


# -------------------------------------------------------------------------------- merging


def by_order(changes: Sequence[InboundChange]) -> list[list[InboundChange]]:
    """Each order snapshot with the changes that follow it (its cancellation...)."""
    groups: list[list[InboundChange]] = []
    for change in changes:
        if isinstance(change, OrderObserved) or not groups:
            groups.append([change])
        else:
            groups[-1].append(change)
    return groups


def _label(group: list[InboundChange]) -> str:
    first = group[0]
    if isinstance(first, OrderObserved):
        return f"order {first.order.external_id}"
    return type(first).__name__


async def _merge_group(
    session: UnitOfWork, hub: Hub, connection_id: str, group: list[InboundChange]
) -> list[str]:
    """Merge one order's changes in a savepoint, so one bad order does not sink the page.

    A rolled-back savepoint also takes back what it noted for after the commit."""
    connection = hub.connection(connection_id)
    label = _label(group)
    for turn in range(1, MERGE_TRIES + 1):
        try:
            async with session.savepoint():
                return await merge.apply_changes(session, connection, group, hub=hub)
        except sa.exc.IntegrityError as exc:
            if turn == MERGE_TRIES:
                return [f"{label}: not merged, kept conflicting: {exc.orig!r}"]
        except HubError as exc:
            return [f"{label}: not merged: {exc.code}: {exc.message}"]
        except merge.NotYetKnown as exc:
            return [f"{label}: not merged: {exc}"]
    return []


# -------------------------------------------------------------------------------- pulling


async def _check_pullable(hub: Hub, connection_id: str) -> None:
    hub.connection(connection_id)  # 404 unknown_connection
    if not hub.supports(connection_id, Capability.PULL_ORDERS):
        raise Conflict(
            f"connection {connection_id!r} is disabled or its connector cannot pull orders",
            code="pull_not_supported",
            connection=connection_id,
        )
    async with hub.read() as session:
        revoked = await revocation(session, connection_id)
    if revoked is not None:
        raise Conflict(
            f"connection {connection_id!r} was revoked: {revoked}",
            code="connection_revoked",
            connection=connection_id,
        )


async def pull_orders(
    hub: Hub, connection_id: str, *, restart: bool = False, max_pages: int | None = PAGES_PER_JOB
) -> PullReport:
    """Pull and merge up to `max_pages` pages (None: all) after the stored cursor.

    404 for an unknown connection; 409 `pull_not_supported` or `connection_revoked`.
    With `restart`, the cursor is forgotten first (a new import from the lookback).
    """
    await _check_pullable(hub, connection_id)
    report = PullReport(connection=connection_id)
    if restart:
        async with hub.transaction() as session:
            await reset_cursor(session, connection_id)
    connector = hub.connector(connection_id)
    async with hub.read() as session:
        row = await read_cursor(session, connection_id)
    cursor = row.cursor if row is not None else None
    report.cursor = cursor
    while max_pages is None or report.pages < max_pages:
        try:
            async with ratelimit.budget(hub, connection_id, JOB):
                page = await connector.pull_orders(cursor)
        except ConnectorError as exc:
            report.stopped = f"{type(exc).__name__}: {exc}"
            report.retry_after = getattr(exc, "retry_after", None)
            async with hub.transaction() as session:
                await record_failure(session, connection_id, f"pull_orders: {exc}")
            if isinstance(exc, PermanentError):
                log.warning("pull of %s stopped: %s", connection_id, exc)
            return report
        report.pages += 1
        report.orders += sum(isinstance(change, OrderObserved) for change in page.changes)
        report.changes += len(page.changes)
        async with hub.transaction() as session:
            for group in by_order(page.changes):
                report.notes.extend(await _merge_group(session, hub, connection_id, group))
            stored = await store_cursor(session, connection_id, cursor, page.cursor)
            await record_success(session, connection_id)
        if not stored:
            report.stopped = "another pull moved the cursor meanwhile; it carries on"
            return report
        cursor = report.cursor = page.cursor
        if not page.has_more:
            return report
    report.more = True
    return report


async def queue_pull(hub: Hub, connection_id: str, *, restart: bool = False) -> bool:
    """Ask a worker to pull now. False when a pull of that connection is queued or running.

    With `restart` the cursor is forgotten at once and a pull is always queued: a pull still
    running finds its cursor gone at its next page and stops.
    """
    await _check_pullable(hub, connection_id)
    if not restart:
        return await hub.enqueue(JOB, connection_id, job_id=job_id(connection_id))
    async with hub.transaction() as session:
        await reset_cursor(session, connection_id)
    return await hub.enqueue(
        JOB, connection_id, job_id=f"{job_id(connection_id)}:restart:{uuid.uuid4().hex}"
    )


# ----------------------------------------------------------------------------- worker jobs


async def pull_orders_job(ctx: dict[str, Any], connection_id: str) -> dict:
    """arq job: one pull (see `pull_orders`)."""
    hub: Hub = ctx["hub"]
    try:
        report = await pull_orders(hub, connection_id)
    except HubError as exc:  # disabled, revoked or gone since the job was queued
        log.info("pull of %s skipped: %s", connection_id, exc.message)
        return {"connection": connection_id, "skipped": exc.code}
    if report.notes:
        log.info("pull of %s: %s", connection_id, clip("; ".join(report.notes)))
    if report.more:
        # A long import goes on in a fresh job, so no job runs into the job timeout.
        await hub.enqueue(JOB, connection_id, job_id=f"{job_id(connection_id)}:{uuid.uuid4().hex}")
    elif report.retry_after is not None:
        # Throttled: carry on once the provider's bucket has refilled, not at the next poll.
        await hub.enqueue(
            JOB,
            connection_id,
            job_id=f"{job_id(connection_id)}:{uuid.uuid4().hex}",
            defer_by=report.retry_after,
        )
    return msgspec.to_builtins(report)


def pullable(hub: Hub) -> list[str]:
    """Connections a poll covers: enabled and able to pull orders."""
    return [
        conn_id
        for conn_id in sorted(hub.connections)
        if hub.supports(conn_id, Capability.PULL_ORDERS)
    ]


async def poll_connections(ctx: dict[str, Any]) -> dict[str, bool]:
    """arq cron job: queue a pull of every pullable connection that is not revoked."""
    hub: Hub = ctx["hub"]
    queued: dict[str, bool] = {}
    for connection_id in pullable(hub):
        async with hub.read() as session:
            if await revocation(session, connection_id) is not None:
                continue
        queued[connection_id] = await hub.enqueue(JOB, connection_id, job_id=job_id(connection_id))
    return queued
