"""The migrations build the schema the models describe, and 0008 renames both ways."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from orderhub.hub.store.migrate import alembic_config
from orderhub.hub.store.tables import Base
from orderhub.hub.testing import _in_thread, _pg_admin, _pg_url


def _alembic(action: str, url: str, revision: str) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(getattr(command, action), alembic_config(url), revision).result()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: these tests migrate down as well as up."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"orderhub_migrations_{os.getpid()}"
    _in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
    yield _pg_url(name)
    _in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _run(url: str, *statements: str) -> list[list[tuple[object, ...]]]:
    engine = create_async_engine(url)
    try:
        results = []
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(sa.text(statement))
                results.append([tuple(row) for row in result] if result.returns_rows else [])
        return results
    finally:
        await engine.dispose()


async def _schema_differences(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()


async def test_head_matches_the_models_in_the_spelling_fulfillment(fresh_url: str) -> None:
    _alembic("upgrade", fresh_url, "head")
    differences = await _schema_differences(fresh_url)
    assert differences == []
    tables = set(Base.metadata.tables)
    assert {"fulfillments", "fulfillment_lines"} <= tables
    assert await _run(fresh_url, "SELECT count(*) FROM fulfillments") == [[(0,)]]


async def test_0008_renames_tables_and_stored_words_and_back(fresh_url: str) -> None:
    _alembic("upgrade", fresh_url, "0007")
    await _run(
        fresh_url,
        "INSERT INTO outbox (connection_id, operation, idempotency_key, payload, status,"
        " attempts, created_at, next_attempt_at) VALUES ('shop', 'push_fulfillment',"
        " 'fulfilment:f1', '{}', 'pending', 0, '2026-12-04 10:00:00', '2026-12-04 10:00:00')",
    )
    _alembic("upgrade", fresh_url, "0008")
    [keys] = await _run(fresh_url, "SELECT idempotency_key FROM outbox")
    assert keys == [("fulfillment:f1",)]
    assert await _run(fresh_url, "SELECT fulfillment_id FROM shipments") == [[]]
    assert await _run(fresh_url, "SELECT fulfillment_id FROM fulfillment_lines") == [[]]

    _alembic("downgrade", fresh_url, "0007")
    [keys] = await _run(fresh_url, "SELECT idempotency_key FROM outbox")
    assert keys == [("fulfilment:f1",)]
    assert await _run(fresh_url, "SELECT fulfilment_id FROM shipments") == [[]]
    _alembic("upgrade", fresh_url, "head")
    assert await _schema_differences(fresh_url) == []
