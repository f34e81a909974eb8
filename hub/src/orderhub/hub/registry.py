"""The connections this process serves and one connector instance per connection."""

from __future__ import annotations

from typing import Any

from orderhub.core.connection import Connection
from orderhub.core.connectors import Capability, Connector
from orderhub.core.plugins import PluginManager
from orderhub.hub.errors import NotFound


class Connectors:
    """What a service needs to reach a provider: look a connection up, get its connector,
    ask what it can do. Made once per process (`runtime.Hub.connectors`)."""

    def __init__(self, plugins: PluginManager, connections: dict[str, Connection]) -> None:
        self.connections = connections
        self._classes: dict[str, type[Connector]] = plugins.connectors()
        self._instances: dict[str, Any] = {}

    def connection(self, connection_id: str) -> Connection:
        """The configured connection; 404 `unknown_connection` when there is none."""
        connection = self.connections.get(connection_id)
        if connection is None:
            raise NotFound(
                f"no connection {connection_id!r}",
                code="unknown_connection",
                connection=connection_id,
            )
        return connection

    def connector(self, connection_id: str) -> Any:
        """The connector instance serving a connection (one per connection per process).

        Typed `Any` on purpose: callers narrow it to the capability protocol they use."""
        instance = self._instances.get(connection_id)
        if instance is None:
            connection = self.connection(connection_id)
            cls = self._classes[connection.connector]
            instance = self._instances[connection_id] = cls(connection)
        return instance

    def supports(self, connection_id: str, capability: Capability) -> bool:
        """Whether the connection is enabled and its connector declares `capability`."""
        connection = self.connections.get(connection_id)
        if connection is None or not connection.enabled:
            return False
        cls = self._classes.get(connection.connector)
        return cls is not None and capability in cls.capabilities

    def able(self, capability: Capability) -> list[str]:
        """Ids of the connections that can do `capability` now, in id order."""
        return [
            conn_id for conn_id in sorted(self.connections) if self.supports(conn_id, capability)
        ]

    async def aclose(self) -> None:
        for instance in self._instances.values():
            close = getattr(instance, "aclose", None)
            if close is not None:
                await close()
        self._instances.clear()
