"""API shapes for connections: what is configured and how healthy it is. No settings or
secrets are ever shown."""

from __future__ import annotations

from datetime import datetime

import msgspec

from orderhub.core.connectors import Capability, ConnectorKind

BACKLOG_STATUSES = ("pending", "failed", "dead")
"""Inbox and outbox statuses that mean work is waiting or stuck."""


class Backlog(msgspec.Struct, kw_only=True):
    pending: int = 0
    failed: int = 0
    dead: int = 0


class ConnectionHealth(msgspec.Struct, kw_only=True):
    revoked: bool
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str | None = None
    inbox: Backlog = msgspec.field(default_factory=Backlog)
    outbox: Backlog = msgspec.field(default_factory=Backlog)


class ConnectionOut(msgspec.Struct, kw_only=True):
    id: str
    connector: str
    kind: ConnectorKind
    title: str | None
    enabled: bool
    capabilities: list[Capability]
    health: ConnectionHealth


class ConnectionList(msgspec.Struct, kw_only=True):
    items: list[ConnectionOut]
    """By id."""
