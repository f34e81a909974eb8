"""The dashboard: what needs attention now, each item one click from its page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Redirect, Template

from orderhub.hub.auth.middleware import requires
from orderhub.hub.auth.tokens import Role
from orderhub.hub.connections.service import describe
from orderhub.hub.console import queries
from orderhub.hub.console.web import page, url
from orderhub.hub.deps import HubDep
from orderhub.hub.store.types import utcnow

OVERVIEW = requires(Role.OPERATOR, Role.READ_ONLY)
"""Pages about the whole business (dashboard, connections, routing): not for warehouse users,
who see only their locations' work."""


@get("/", name="console-home")
async def dashboard(request: Request[Any, Any, Any], hub: HubDep) -> Template | Redirect:
    if request.user.role is Role.WAREHOUSE:
        return Redirect(path=url("/warehouse"), status_code=303)
    async with hub.read() as session:
        data = await queries.dashboard(session)
        connections = await describe(
            session,
            sorted(hub.connections.values(), key=lambda c: c.id),
            hub.plugins.connectors(),
        )
    return page(
        request,
        "dashboard.html",
        section="dashboard",
        data=data,
        connections=connections,
        today=queries.start_of_day(utcnow()).date(),
    )
