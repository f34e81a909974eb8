"""`/inbox` and `/outbox`: what came in and what went out, and replaying what failed.

Every role may read; replays need an operator or admin token.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery

from orderhub.hub.auth.middleware import requires
from orderhub.hub.auth.tokens import Role
from orderhub.hub.deps import Cursor, HubDep, Limit
from orderhub.hub.sync import dispatch, inbox, listing
from orderhub.hub.sync.outbox import job_id as outbox_job_id
from orderhub.hub.sync.schemas import (
    InboxEvent,
    InboxPage,
    InboxStatus,
    OutboxEntry,
    OutboxPage,
    OutboxStatus,
)

REPLAY = requires(Role.OPERATOR)


class InboxController(Controller):
    path = "/inbox"
    tags = ["sync"]

    @get("/", summary="Received webhooks, newest first (without their bodies)")
    async def list_inbox(
        self,
        hub: HubDep,
        status: FromQuery[InboxStatus | None] = None,
        connection: FromQuery[str | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> InboxPage:
        async with hub.read() as session:
            items, next_cursor = await listing.list_inbox(
                session, status=status, connection=connection, limit=limit, cursor=cursor
            )
        return InboxPage(items=items, next_cursor=next_cursor)

    @get("/{inbox_id:int}", summary="One received webhook with its headers and body")
    async def get_inbox(self, hub: HubDep, inbox_id: FromPath[int]) -> InboxEvent:
        async with hub.read() as session:
            return await listing.get_inbox(session, inbox_id)

    @post(
        "/{inbox_id:int}/replay",
        guards=[REPLAY],
        status_code=200,
        summary="Process a done, failed or dead webhook again",
    )
    async def replay_inbox(self, hub: HubDep, inbox_id: FromPath[int]) -> InboxEvent:
        """409 `not_replayable` while the event is pending or processing."""
        async with hub.transaction() as session:
            await inbox.replay(session, inbox_id)
        await hub.enqueue("process_inbox", inbox_id, job_id=inbox.job_id(inbox_id))
        async with hub.read() as session:
            return await listing.get_inbox(session, inbox_id)


class OutboxController(Controller):
    path = "/outbox"
    tags = ["sync"]

    @get("/", summary="Outbound effects, newest first")
    async def list_outbox(
        self,
        hub: HubDep,
        status: FromQuery[OutboxStatus | None] = None,
        connection: FromQuery[str | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> OutboxPage:
        async with hub.read() as session:
            items, next_cursor = await listing.list_outbox(
                session, status=status, connection=connection, limit=limit, cursor=cursor
            )
        return OutboxPage(items=items, next_cursor=next_cursor)

    @get("/{outbox_id:int}", summary="One outbound effect with its payload and result")
    async def get_outbox(self, hub: HubDep, outbox_id: FromPath[int]) -> OutboxEntry:
        async with hub.read() as session:
            return await listing.get_outbox(session, outbox_id)

    @post(
        "/{outbox_id:int}/replay",
        guards=[REPLAY],
        status_code=200,
        summary="Send a dead effect again, attempts reset",
    )
    async def replay_outbox(self, hub: HubDep, outbox_id: FromPath[int]) -> OutboxEntry:
        """409 `not_replayable` unless dead or failed; 409 `superseded` when a newer pending
        row with the same coalesce key will send the latest state anyway."""
        async with hub.transaction() as session:
            await dispatch.replay(session, outbox_id)
        await hub.enqueue("dispatch_outbox", outbox_id, job_id=outbox_job_id(outbox_id, 0))
        async with hub.read() as session:
            return await listing.get_outbox(session, outbox_id)
