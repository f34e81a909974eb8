"""Engines and sessions for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)


def is_sqlite(url: str | sa.URL) -> bool:
    return str(url).startswith("sqlite")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine tuned for the backend: WAL, foreign keys and a busy timeout on SQLite."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @sa.event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # aiosqlite's sync adapter starts transactions itself; take them over so that
            # BEGIN IMMEDIATE (the write lock) is ours to issue.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @sa.event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # Every transaction takes the write lock up front: no deadlock-prone upgrade
            # from a read lock, and concurrent writers queue on busy_timeout instead.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def dialect_insert(session: AsyncSession) -> Any:
    """The backend's INSERT construct, which has `on_conflict_do_nothing()` on both."""
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
