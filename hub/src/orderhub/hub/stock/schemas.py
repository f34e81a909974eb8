"""API shapes for stock. Input is decoded strictly: an unknown field is an error."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from orderhub.core.model import MovementKind, StockLevel, StockMovement

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class StockSetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An absolute count: on hand becomes `on_hand`; the ledger records the difference."""

    on_hand: int
    """Zero or more; a negative number is refused with 422."""
    safety_stock: int | None = None
    """Units kept back from what channels may sell; unchanged when omitted."""
    reason: Reason | None = None


class AdjustmentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A relative change: received goods (+), damage or loss (-)."""

    delta: int
    """Not zero (422); on hand may not go below zero (409 insufficient_stock)."""
    reason: Reason
    reference: Annotated[str, msgspec.Meta(max_length=128)] | None = None


class StockLevelOut(msgspec.Struct, kw_only=True):
    sku: str
    location: str
    on_hand: int
    reserved: int
    incoming: int
    safety_stock: int
    available: int
    """on hand - reserved - safety stock: what routing may promise."""

    @classmethod
    def of(cls, level: StockLevel) -> StockLevelOut:
        return cls(
            sku=level.sku,
            location=level.location,
            on_hand=level.on_hand,
            reserved=level.reserved,
            incoming=level.incoming,
            safety_stock=level.safety_stock,
            available=level.available,
        )


class StockLevels(msgspec.Struct, kw_only=True):
    items: list[StockLevelOut]


class MovementOut(msgspec.Struct, kw_only=True):
    id: int
    sku: str
    location: str
    kind: MovementKind
    delta: int
    on_hand_after: int
    reason: str | None
    reference: str | None
    actor: str | None
    at: datetime | None

    @classmethod
    def of(cls, movement_id: int, movement: StockMovement) -> MovementOut:
        return cls(id=movement_id, **msgspec.structs.asdict(movement))


class MovementPage(msgspec.Struct, kw_only=True):
    items: list[MovementOut]
    """Newest first."""
    next_before: int | None
    """Pass back as `before` for older movements; None when there are none."""
