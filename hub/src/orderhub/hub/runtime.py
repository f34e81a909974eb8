"""The running hub: settings, store, plugins, connections and the queue, made once per process."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from sqlalchemy.ext.asyncio import AsyncEngine

from orderhub.core.connection import Connection
from orderhub.core.connectors import Capability
from orderhub.core.plugins import PluginManager
from orderhub.hub.config import Settings, build_connections
from orderhub.hub.errors import NotFound
from orderhub.hub.store.db import create_engine
from orderhub.hub.store.unit_of_work import Transactions, UnitOfWork

log = logging.getLogger(__name__)

BUILTIN_CONNECTIONS = ("manual", "spreadsheet")
"""Connections that exist without configuration, one per built-in channel connector."""


def load_plugins(settings: Settings) -> PluginManager:
    plugins = PluginManager(allow=settings.plugins.allow, deny=settings.plugins.deny)
    plugins.load_entrypoints()
    plugins.check_pending()
    return plugins


def resolve_connections(settings: Settings, plugins: PluginManager) -> dict[str, Connection]:
    connectors = plugins.connectors()
    connections = build_connections(settings, connectors)
    for name in BUILTIN_CONNECTIONS:
        if name in connectors and name not in connections:
            connections[name] = Connection(
                id=name, connector=name, settings=connectors[name].Settings(), title=name.title()
            )
    return connections


class Hub:
    """The composition root: what the app, the worker and the CLI are built from.

    It holds the process's shared things (settings, plugins, connections, the database and
    the queue) and imports no business area: `orderhub.hub.assembly.open_hub` builds one and
    wires the business areas' commit hooks into its `transactions`. Services take what they
    use from it, not the hub itself.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        plugins: PluginManager,
        connections: dict[str, Connection],
        engine: AsyncEngine,
        policies: Any,
    ) -> None:
        self.settings = settings
        self.plugins = plugins
        self.connections = connections
        self.engine = engine
        self.transactions = Transactions(engine)
        """Units of work and the hooks around their commit (`orderhub.hub.store.unit_of_work`)."""
        self._connectors: dict[str, Any] = {}
        self.policies = policies
        """Each channel's allocation policy (`orderhub.hub.allocation.policy.Policies`)."""
        self._queue: ArqRedis | None = None
        self._closers: list[Any] = []

    @classmethod
    def open(cls, settings: Settings, *, plugins: PluginManager, policies: Any) -> Hub:
        """Validate config against the installed plugins and create the engine (no I/O yet)."""
        return cls(
            settings,
            plugins=plugins,
            connections=resolve_connections(settings, plugins),
            engine=create_engine(settings.database_url),
            policies=policies,
        )

    def on_close(self, close: Any) -> None:
        """Have `aclose()` await `close()` first (things built around the hub)."""
        self._closers.append(close)

    # ------------------------------------------------------------------ transactions

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """One unit of work (`Transactions.begin`)."""
        return self.transactions.begin()

    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.transactions.read()

    # ------------------------------------------------------------------ connections

    def connection(self, connection_id: str) -> Connection:
        connection = self.connections.get(connection_id)
        if connection is None:
            raise NotFound(
                f"no connection {connection_id!r}",
                code="unknown_connection",
                connection=connection_id,
            )
        return connection

    def connector(self, connection_id: str) -> Any:
        """The connector instance serving a connection (one per connection per process)."""
        instance = self._connectors.get(connection_id)
        if instance is None:
            connection = self.connection(connection_id)
            cls = self.plugins.connectors()[connection.connector]
            instance = self._connectors[connection_id] = cls(connection)
        return instance

    def supports(self, connection_id: str, capability: Capability) -> bool:
        connection = self.connections.get(connection_id)
        if connection is None or not connection.enabled:
            return False
        cls = self.plugins.connectors().get(connection.connector)
        return cls is not None and capability in cls.capabilities

    # ------------------------------------------------------------------ queue

    async def queue(self) -> ArqRedis:
        if self._queue is None:
            self._queue = await create_pool(
                RedisSettings.from_dsn(self.settings.redis_url),
                default_queue_name=self.settings.worker.queue_name,
            )
        return self._queue

    async def enqueue(
        self, function: str, *args: Any, job_id: str, defer_by: float | None = None
    ) -> bool:
        """Ask the worker to run a job soon (or in `defer_by` seconds). Best effort: the
        database row is the truth, and the sweeper re-enqueues anything that Redis lost.
        Returns whether Redis took it (False too when a job with this id is still queued)."""
        try:
            queue = await self.queue()
            job = await queue.enqueue_job(function, *args, _job_id=job_id, _defer_by=defer_by)
            return job is not None
        except Exception as exc:  # Redis down or flushed mid-call: the sweeper catches up
            log.warning("could not enqueue %s %s: %s", function, job_id, exc)
            return False

    async def aclose(self) -> None:
        for close in reversed(self._closers):
            await close()
        self._closers.clear()
        for instance in self._connectors.values():
            close = getattr(instance, "aclose", None)
            if close is not None:
                await close()
        self._connectors.clear()
        if self._queue is not None:
            await self._queue.aclose()
            self._queue = None
        await self.engine.dispose()
