"""The running hub: settings, store, plugins, connections and the queue, made once per process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from orderhub.core.connection import Connection
from orderhub.core.connectors import Capability
from orderhub.core.plugins import PluginManager
from orderhub.hub import notify
from orderhub.hub.allocation import availability
from orderhub.hub.allocation.policy import build_policies
from orderhub.hub.auth.tokens import TokenCache
from orderhub.hub.config import ConfigError, Settings, build_connections
from orderhub.hub.errors import NotFound
from orderhub.hub.orders.group_commit import OrderIntake
from orderhub.hub.store.db import create_engine, session_factory
from orderhub.hub.sync import outbox

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
    """Everything a request handler or a job needs. Stateless apart from the DB and Redis."""

    def __init__(
        self,
        settings: Settings,
        *,
        plugins: PluginManager,
        connections: dict[str, Connection],
        engine: AsyncEngine,
    ) -> None:
        self.settings = settings
        self.plugins = plugins
        self.connections = connections
        self.engine = engine
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(engine)
        self._connectors: dict[str, Any] = {}
        self.policies = build_policies(settings, plugins)
        """Each channel's allocation policy (routing, ATP, checks, substitution)."""
        self._queue: ArqRedis | None = None
        self._order_intake: OrderIntake | None = None
        self.token_cache = TokenCache(settings.api.token_cache_seconds)
        """API tokens this process has checked lately (`orderhub.hub.auth.tokens`)."""

    @classmethod
    def open(cls, settings: Settings, *, plugins: PluginManager | None = None) -> Hub:
        """Validate config against the installed plugins and create the engine (no I/O yet)."""
        plugins = plugins or load_plugins(settings)
        try:
            connections = resolve_connections(settings, plugins)
        except ConfigError:
            raise
        return cls(
            settings,
            plugins=plugins,
            connections=connections,
            engine=create_engine(settings.database_url),
        )

    # ------------------------------------------------------------------ transactions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed on success, then its notifications go to plugins and
        the outbox rows it wrote to the worker."""
        async with self.sessions() as session:
            async with session.begin():
                yield session
                await availability.queue_pushes(self, session)
            events = notify.drain(session)
            dispatches = outbox.written_jobs(session)
        if events:
            await notify.broadcast(self.plugins.hook, events)
        for outbox_id, attempts in dispatches:
            await self.enqueue(
                "dispatch_outbox", outbox_id, attempts, job_id=outbox.job_id(outbox_id, attempts)
            )

    @property
    def order_intake(self) -> OrderIntake:
        """Group commit for `POST /orders` (`orderhub.hub.orders.group_commit`)."""
        if self._order_intake is None:
            self._order_intake = OrderIntake(self)
        return self._order_intake

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

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
        if self._order_intake is not None:
            await self._order_intake.aclose()
            self._order_intake = None
        for instance in self._connectors.values():
            close = getattr(instance, "aclose", None)
            if close is not None:
                await close()
        self._connectors.clear()
        if self._queue is not None:
            await self._queue.aclose()
            self._queue = None
        await self.engine.dispose()
