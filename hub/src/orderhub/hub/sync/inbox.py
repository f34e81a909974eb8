"""The inbox: storing verified webhooks, and the job that turns each into merged changes.

Intake only stores (milliseconds, no decoding). The `process_inbox` job claims a row (see
`claims`), decodes it through the connector with no transaction open, then merges every
change and marks the row done in ONE transaction, so a crash leaves either nothing or
everything, and a worker that lost its claim rolls back instead of merging twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connectors import Capability, InboundEvent, PayloadError
from orderhub.hub.errors import HubError
from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import InboxRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.sync import merge
from orderhub.hub.sync.claims import WorkTable
from orderhub.hub.sync.state import clip

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

log = logging.getLogger(__name__)

INBOX = InboxRow.__table__
MERGE_TRIES = 3
"""Two events of one new order merged at once: the loser's insert conflicts; it re-reads."""

_SECRET_HEADER_PARTS = ("authorization", "cookie", "signature", "hmac", "token", "secret", "key")
"""Header names containing these are not stored: the signature was checked at intake."""


def job_id(inbox_id: int, attempts: int = 0) -> str:
    """The arq job id for processing a row after `attempts` attempts.

    Intake queues `inbox:<id>`; each retry gets its own id, so it can be queued while the
    failed job still runs, and the sweeper can queue it again if Redis lost it.
    """
    return f"inbox:{inbox_id}" if attempts == 0 else f"inbox:{inbox_id}:{attempts}"


def storable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers decoding may need, without credentials or signatures."""
    return {
        name: value
        for name, value in headers.items()
        if not any(part in name for part in _SECRET_HEADER_PARTS)
    }


async def store(
    session: AsyncSession,
    *,
    connection_id: str,
    event_id: str,
    topic: str,
    headers: Mapping[str, str],
    body: bytes,
) -> int | None:
    """Insert a verified event. Returns its id, or None if (connection, event) was seen."""
    now = utcnow()
    result = await session.execute(
        dialect_insert(session)(InboxRow)
        .values(
            connection_id=connection_id,
            event_id=event_id,
            topic=topic,
            headers=storable_headers(headers),
            body=body,
            status="pending",
            attempts=0,
            received_at=now,
            next_attempt_at=now,
        )
        .on_conflict_do_nothing(index_elements=["connection_id", "event_id"])
        .returning(InboxRow.id)
    )
    return result.scalar()


# ------------------------------------------------------------------------------ the job

WORK = WorkTable(
    INBOX,
    job="process_inbox",
    job_id=job_id,
    waiting=("pending", "failed"),
    retry_status="failed",
    replayable=("done", "failed", "dead"),
    noun="inbox event",
)
_EVENT_COLUMNS = (
    INBOX.c.connection_id,
    INBOX.c.event_id,
    INBOX.c.topic,
    INBOX.c.headers,
    INBOX.c.body,
    INBOX.c.received_at,
)


class _ClaimLost(Exception):
    """Another worker took the row over while we worked on it."""


async def process_inbox(ctx: dict[str, Any], inbox_id: int, attempts: int = 0) -> str:
    """arq job: decode one inbox row, after `attempts` attempts, and merge its changes.
    Returns what happened ("skipped" when the row is not there for this attempt)."""
    hub: Hub = ctx["hub"]
    return await WORK.run(hub, inbox_id, attempts, _EVENT_COLUMNS, lambda row: _process(hub, row))


async def _process(hub: Hub, row: Any) -> str:
    connection = hub.connections.get(row.connection_id)
    if connection is None or not hub.supports(row.connection_id, Capability.RECEIVE_WEBHOOKS):
        return await WORK.dead(
            hub,
            row,
            f"connection {row.connection_id!r} is not configured, enabled and able to "
            "receive webhooks; replay the event once it is",
        )
    event = InboundEvent(
        event_id=row.event_id,
        topic=row.topic,
        body=row.body,
        headers=row.headers or {},
        received_at=row.received_at,
    )
    try:
        changes = list(hub.connector(row.connection_id).decode_webhook(event))
    except PayloadError as exc:
        return await WORK.dead(hub, row, f"payload error: {exc}")
    except Exception as exc:
        log.exception("inbox %s: decoding failed", row.id)
        return await WORK.retry_later(hub, row, f"decode failed: {exc!r}")

    turn = 0
    while True:
        turn += 1
        try:
            async with hub.transaction() as session:
                notes = await merge.apply_changes(session, connection, changes, hub=hub)
                if not await WORK.settle(
                    session,
                    row,
                    status="done",
                    processed_at=utcnow(),
                    last_error=clip("; ".join(notes)) if notes else None,
                ):
                    raise _ClaimLost
            return "done"
        except _ClaimLost:
            log.info("inbox %s: claim lost to another worker, changes rolled back", row.id)
            return "lost"
        except HubError as exc:
            return await WORK.dead(hub, row, f"{exc.code}: {exc.message}")
        except merge.NotYetKnown as exc:
            return await WORK.retry_later(hub, row, str(exc))
        except sa.exc.IntegrityError as exc:
            if turn >= MERGE_TRIES:
                return await WORK.retry_later(hub, row, f"conflict: {exc.orig!r}")
        except Exception as exc:
            log.exception("inbox %s: merge failed", row.id)
            return await WORK.retry_later(hub, row, f"merge failed: {exc!r}")


# ---------------------------------------------------------------------------- operators


async def replay(session: AsyncSession, inbox_id: int) -> None:
    """Send a done, failed or dead row through processing again, attempts reset.

    Merging is idempotent, so a done row may be replayed too: that is how an event ignored
    for a missing location mapping is applied once the mapping exists. 404 if there is no
    such row; 409 `not_replayable` while it is pending or processing.
    """
    await WORK.lock_for_replay(session, inbox_id)
    await WORK.reset(session, inbox_id)
