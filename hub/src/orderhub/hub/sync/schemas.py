"""What the inbox and outbox endpoints answer. Bodies and payloads only in the detail views."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec


class InboxStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    """Merged; `last_error` then lists what was ignored, if anything."""
    FAILED = "failed"
    """Will be retried at `next_attempt_at`."""
    DEAD = "dead"
    """Gave up (unreadable payload, or out of attempts): replay it once the cause is fixed."""


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    """Waiting to be sent, or to be retried at `next_attempt_at`."""
    PROCESSING = "processing"
    DONE = "done"
    DEAD = "dead"
    """Refused by the provider, or out of attempts: replay it once the cause is fixed."""
    FAILED = "failed"


class InboxSummary(msgspec.Struct, kw_only=True):
    id: int
    connection: str
    event_id: str
    topic: str
    status: InboxStatus
    attempts: int
    received_at: datetime
    next_attempt_at: datetime
    processed_at: datetime | None
    last_error: str | None


class InboxEvent(InboxSummary, kw_only=True):
    claimed_at: datetime | None
    headers: dict[str, str]
    body: str
    """The raw body as text (UTF-8; undecodable bytes replaced)."""
    body_bytes: int


class InboxPage(msgspec.Struct, kw_only=True):
    items: list[InboxSummary]
    next_cursor: str | None


class OutboxSummary(msgspec.Struct, kw_only=True):
    id: int
    connection: str
    operation: str
    status: OutboxStatus
    attempts: int
    idempotency_key: str
    coalesce_key: str | None
    created_at: datetime
    next_attempt_at: datetime
    processed_at: datetime | None
    last_error: str | None


class OutboxEntry(OutboxSummary, kw_only=True):
    claimed_at: datetime | None
    payload: dict[str, Any]
    result: dict[str, Any] | None


class OutboxPage(msgspec.Struct, kw_only=True):
    items: list[OutboxSummary]
    next_cursor: str | None
