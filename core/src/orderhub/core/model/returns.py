"""Returns and refunds."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from orderhub.core.money import Money


class ReturnStatus(enum.StrEnum):
    REQUESTED = "requested"
    AUTHORIZED = "authorized"
    RECEIVED = "received"
    REFUNDED = "refunded"
    REJECTED = "rejected"


class ReturnLine(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    quantity: int
    reason: str | None = None
    restock: bool = True


class Return(msgspec.Struct, kw_only=True):
    id: str
    order_id: str
    lines: list[ReturnLine]
    status: ReturnStatus = ReturnStatus.REQUESTED
    location: str | None = None
    refund: Money | None = None
    created_at: datetime | None = None
