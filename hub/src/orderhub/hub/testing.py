"""pytest fixtures for testing against a real hub: database, Redis, app client, tokens.

Enabled with ``pytest_plugins = ["orderhub.hub.testing"]``. Tests that take `hub` run once on
SQLite and once on PostgreSQL. PostgreSQL comes from $ORDERHUB_TEST_PG (default: the local
server, trust auth); Redis from $ORDERHUB_TEST_REDIS (default: database 15 on localhost).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from orderhub.hub.config import Settings, parse_settings
from orderhub.hub.store.migrate import upgrade
from orderhub.hub.store.tables import Base

PG_ADMIN_URL = os.environ.get(
    "ORDERHUB_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ORDERHUB_TEST_REDIS", "redis://127.0.0.1:6379/15")

BACKENDS = ["sqlite", "postgresql"]


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


async def _pg_admin(*statements: str) -> None:
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


def _in_thread(coro: Any) -> Any:
    """Run a coroutine to completion even when called under a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the session; tables are emptied between tests."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"orderhub_test_{worker}_{os.getpid()}"
    _in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
    upgrade(_pg_url(name))
    yield _pg_url(name)
    _in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def truncate_all(url: str) -> None:
    engine = create_async_engine(url)
    try:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of the test's backend."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "orderhub.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    await truncate_all(url)
    return url


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """Redis database 15, emptied before and after the test."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    await client.flushdb()
    yield REDIS_URL
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def hub_config() -> dict[str, Any]:
    """Override in a test module to add connections or worker settings."""
    return {}


@pytest.fixture
def settings(database_url: str, redis_url: str, hub_config: dict[str, Any]) -> Settings:
    raw = {"database_url": database_url, "redis_url": redis_url, **hub_config}
    raw.setdefault("worker", {}).setdefault("queue_name", f"orderhub-test-{uuid.uuid4().hex[:8]}")
    return parse_settings(raw)


@pytest.fixture
def extra_plugins() -> list[Any]:
    """Override to register plugin objects (modules or classes with hookimpls) for a test."""
    return []


@pytest.fixture
async def hub(settings: Settings, extra_plugins: list[Any]) -> AsyncIterator[Any]:
    from orderhub.hub.assembly import open_hub
    from orderhub.hub.runtime import load_plugins

    plugins = load_plugins(settings)
    for index, plugin in enumerate(extra_plugins):
        plugins.pm.register(plugin, name=f"test-plugin-{index}")
    plugins.check_pending()
    instance = open_hub(settings, plugins=plugins)
    yield instance
    await instance.aclose()


@pytest.fixture
def app(hub: Any) -> Any:
    """The litestar app on `hub` (its state holds the token cache and the order intake)."""
    from orderhub.hub.app import create_app

    return create_app(hub=hub)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[Any]:
    """An HTTP client on the real app (no network), sharing `hub`.

    The app runs in the test's own event loop (httpx's ASGI transport), not in a portal thread
    as litestar's test client does: asyncpg connections pooled by `hub` belong to one loop.
    The app's lifespan runs in a task of its own, which enters and leaves it.
    """
    import httpx

    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # the app failed to start: raise its error here
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver.local"
        ) as test_client:
            yield test_client
    finally:
        stop.set()
        await task


@pytest.fixture
async def tokens(hub: Any) -> dict[str, str]:
    """One bearer token per role, plus a warehouse token scoped to location WH1."""
    from orderhub.hub.auth.tokens import Role, create_token

    out: dict[str, str] = {}
    async with hub.transaction() as session:
        for role in Role:
            locations = ["WH1"] if role is Role.WAREHOUSE else None
            out[role.value] = await create_token(
                session, f"test-{role.value}", role, locations=locations
            )
    return out


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
