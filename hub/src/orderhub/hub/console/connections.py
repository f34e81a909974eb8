"""Connections: each one's health, the inbox and outbox items that failed, and replay."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from orderhub.hub.auth.middleware import requires
from orderhub.hub.auth.tokens import Role
from orderhub.hub.connections.service import describe
from orderhub.hub.console.dashboard import OVERVIEW
from orderhub.hub.console.web import back_to, done, page, url
from orderhub.hub.deps import HubDep
from orderhub.hub.sync import dispatch, inbox, listing
from orderhub.hub.sync.outbox import job_id as outbox_job_id
from orderhub.hub.sync.schemas import InboxStatus, OutboxStatus

REPLAY = requires(Role.OPERATOR)
SHOWN = 50


@get("/connections", name="console-connections", guards=[OVERVIEW])
async def connections(
    request: Request[Any, Any, Any], hub: HubDep, connection: FromQuery[str | None] = None
) -> Template:
    async with hub.read() as session:
        described = await describe(
            session,
            sorted(hub.connections.values(), key=lambda c: c.id),
            hub.plugins.connectors(),
        )
        problems: dict[str, list[Any]] = {"inbox": [], "outbox": []}
        for status in (InboxStatus.DEAD, InboxStatus.FAILED):
            items, _ = await listing.list_inbox(
                session, status=status, connection=connection, limit=SHOWN
            )
            problems["inbox"] += items
        for status in (OutboxStatus.DEAD, OutboxStatus.FAILED):
            items, _ = await listing.list_outbox(
                session, status=status, connection=connection, limit=SHOWN
            )
            problems["outbox"] += items
        retrying, _ = await listing.list_outbox(
            session, status=OutboxStatus.PENDING, connection=connection, limit=SHOWN
        )
    problems["outbox"] += [row for row in retrying if row.attempts > 0]
    return page(
        request,
        "connections.html",
        section="connections",
        connections=described,
        inbox=sorted(problems["inbox"], key=lambda r: -r.id),
        outbox=sorted(problems["outbox"], key=lambda r: -r.id),
        connection=connection or "",
    )


@post("/inbox/{inbox_id:int}/replay", guards=[REPLAY], status_code=303)
async def replay_inbox(
    request: Request[Any, Any, Any], hub: HubDep, inbox_id: FromPath[int]
) -> Redirect:
    async with hub.transaction() as session:
        await inbox.replay(session, inbox_id)
    await hub.enqueue("process_inbox", inbox_id, job_id=inbox.job_id(inbox_id))
    return done(
        request,
        back_to(request, url("/connections")),
        f"Inbox event {inbox_id} queued to be processed again.",
    )


@post("/outbox/{outbox_id:int}/replay", guards=[REPLAY], status_code=303)
async def replay_outbox(
    request: Request[Any, Any, Any], hub: HubDep, outbox_id: FromPath[int]
) -> Redirect:
    async with hub.transaction() as session:
        await dispatch.replay(session, outbox_id)
    await hub.enqueue("dispatch_outbox", outbox_id, job_id=outbox_job_id(outbox_id, 0))
    return done(
        request,
        back_to(request, url("/connections")),
        f"Outbox item {outbox_id} queued to be sent again.",
    )
