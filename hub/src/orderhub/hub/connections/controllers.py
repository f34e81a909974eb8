"""`/connections`: every configured connection with its capabilities and health."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath

from orderhub.hub.connections.schemas import ConnectionList, ConnectionOut
from orderhub.hub.connections.service import describe
from orderhub.hub.deps import HubDep, error_responses


class ConnectionController(Controller):
    path = "/connections"
    tags = ["connections"]

    @get("/", summary="List connections with their health", responses=error_responses())
    async def list_connections(self, hub: HubDep) -> ConnectionList:
        connections = [hub.connections[conn_id] for conn_id in sorted(hub.connections)]
        async with hub.read() as session:
            items = await describe(session, connections, hub.plugins.connectors())
        return ConnectionList(items=items)

    @get(
        "/{connection_id:str}",
        summary="One connection with its health",
        responses=error_responses(400, 404),
    )
    async def get_connection(self, hub: HubDep, connection_id: FromPath[str]) -> ConnectionOut:
        connection = hub.connection(connection_id)
        async with hub.read() as session:
            (item,) = await describe(session, [connection], hub.plugins.connectors())
        return item
