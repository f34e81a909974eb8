"""`/plugins`: what is installed, from which distribution and version, and what it adds."""

from __future__ import annotations

from litestar import get

from orderhub.hub.deps import HubDep, error_responses
from orderhub.hub.plugins.schemas import PluginList


@get(
    "/plugins",
    tags=["plugins"],
    summary="Installed plugins, loaded or blocked",
    responses=error_responses(),
)
async def list_plugins(hub: HubDep) -> PluginList:
    return PluginList(items=hub.plugins.info())
