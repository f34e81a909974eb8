"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Always timezone-aware UTC in Python, whatever the backend keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = sa.JSON().with_variant(JSONB(), "postgresql")


_STORY_TIME: ContextVar[datetime | None] = ContextVar("orderhub_story_time", default=None)


def utcnow() -> datetime:
    """Now, in UTC; inside `clock_at`, the moment it set."""
    moment = _STORY_TIME.get()
    return datetime.now(UTC) if moment is None else moment


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run the hub's services as of a past `moment`: every `utcnow()` in this context (this
    task and what it awaits) returns it, so rows, history and promises are dated then.

    For loading a story through the real services (`orderhub demo`); a server never sets it.
    """
    if moment.tzinfo is None:
        raise ValueError("clock_at needs a timezone-aware moment")
    token = _STORY_TIME.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _STORY_TIME.reset(token)
