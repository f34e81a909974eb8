"""The running hub: settings, store, plugins, connections and the queue, made once per process."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from typing import Any

from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine

from orderhub.core.connection import Connection
from orderhub.core.connectors import Capability
from orderhub.core.plugins import PluginManager
from orderhub.hub.config import Settings, build_connections
from orderhub.hub.jobs import JobQueue
from orderhub.hub.registry import Connectors
from orderhub.hub.store.db import create_engine
from orderhub.hub.store.unit_of_work import Transactions, UnitOfWork
from orderhub.hub.sync.ratelimit import RateBudgets

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
        self.connectors = Connectors(plugins, connections)
        """Connections and their connector instances (`orderhub.hub.registry`)."""
        self.jobs = JobQueue(settings.redis_url, settings.worker.queue_name)
        """The worker's queue (`orderhub.hub.jobs`)."""
        self.rate_budgets = RateBudgets(self.jobs)
        """Rate budgets shared with the other processes through Redis (`hub.sync.ratelimit`)."""
        self.policies = policies
        """Each channel's allocation policy (`orderhub.hub.allocation.policy.Policies`)."""
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

    # ------------------------------------------------------------------ shortcuts
    # The app, the worker and the CLI reach connectors and the queue through these; services
    # take `connectors` or `jobs` themselves.

    def connection(self, connection_id: str) -> Connection:
        return self.connectors.connection(connection_id)

    def connector(self, connection_id: str) -> Any:
        return self.connectors.connector(connection_id)

    def supports(self, connection_id: str, capability: Capability) -> bool:
        return self.connectors.supports(connection_id, capability)

    async def queue(self) -> ArqRedis:
        return await self.jobs.redis()

    async def enqueue(
        self, function: str, *args: Any, job_id: str, defer_by: float | None = None
    ) -> bool:
        return await self.jobs.enqueue(function, *args, job_id=job_id, defer_by=defer_by)

    async def aclose(self) -> None:
        for close in reversed(self._closers):
            await close()
        self._closers.clear()
        await self.connectors.aclose()
        await self.jobs.aclose()
        await self.engine.dispose()
