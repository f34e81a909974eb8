"""Sharing a receipt of stock among the orders waiting for it: oldest order first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from orderhub.core.preprocess.base import as_utc


class BackorderDemand(msgspec.Struct, frozen=True, kw_only=True):
    """Units of one order line waiting for a SKU."""

    order_id: str
    line_id: str
    quantity: int
    placed_at: datetime


class BackorderFill(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    line_id: str
    quantity: int
    complete: bool
    """The line waits for nothing more after this fill."""


class ReceiptAllocation(msgspec.Struct, frozen=True, kw_only=True):
    fills: list[BackorderFill]
    left_over: int
    """Received units no waiting line needed: they become ordinary available stock."""


def allocate_receipt(received: int, waiting: Iterable[BackorderDemand]) -> ReceiptAllocation:
    """Who gets the `received` units: lines of the oldest orders first, each filled as far as
    the units go (a line may be filled partly and wait for the rest).

    Orders placed at the same moment go by order id, then line id, so the answer is the
    same however the caller listed them.
    """
    if received < 0:
        raise ValueError("received quantity must be zero or more")
    queue = sorted(
        (d for d in waiting if d.quantity > 0),
        key=lambda d: (as_utc(d.placed_at), d.order_id, d.line_id),
    )
    fills: list[BackorderFill] = []
    left = received
    for demand in queue:
        if left == 0:
            break
        qty = min(left, demand.quantity)
        left -= qty
        fills.append(
            BackorderFill(
                order_id=demand.order_id,
                line_id=demand.line_id,
                quantity=qty,
                complete=qty == demand.quantity,
            )
        )
    return ReceiptAllocation(fills=fills, left_over=left)
