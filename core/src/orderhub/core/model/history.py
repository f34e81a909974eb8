"""The order history: every change, by whom, when and why."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec


class ActorKind(enum.StrEnum):
    USER = "user"
    """A person through the API or the console."""
    CONNECTION = "connection"
    """A channel, carrier, WMS or CRM through its connector."""
    SYSTEM = "system"
    """OrderHub itself: pre-processing, routing, automation."""


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    kind: ActorKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}"


SYSTEM = Actor(kind=ActorKind.SYSTEM, name="orderhub")


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    at: datetime
    actor: Actor
    action: str
    """Short machine name ("created", "status_changed", "hold_placed", "line_cancelled")."""
    detail: dict[str, Any] = {}
    reason: str | None = None
    version: int = 0
