"""Hold an order whose SKUs the channel's locations cannot supply."""

from __future__ import annotations

from collections import defaultdict

import msgspec

from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.model.orders import HoldReason
from orderhub.core.preprocess.base import ConfiguredCheck


class AvailabilityConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    count_incoming: bool = False
    """Count expected stock too: the order may wait as a backorder instead of being held."""


class AvailabilityCheck(ConfiguredCheck[AvailabilityConfig]):
    """Compares each SKU's open demand with `context.available` (and `incoming`)."""

    name = "availability"
    config_type = AvailabilityConfig

    def check(self, context: CheckContext) -> HoldRequest | None:
        config = self.config_for(context)
        demand: dict[str, int] = defaultdict(int)
        for line in context.order.lines:
            if line.sku is not None:
                demand[line.sku] += max(0, line.quantity_open - line.quantity_allocated)
        short: list[str] = []
        for sku, needed in demand.items():
            if needed == 0:
                continue
            have = max(0, context.available.get(sku, 0))
            if config.count_incoming:
                have += max(0, context.incoming.get(sku, 0))
            if have < needed:
                short.append(f"{sku} needs {needed}, {have or 'none'} available")
        if not short:
            return None
        source = "in stock or incoming" if config.count_incoming else "in stock"
        return HoldRequest(
            reason=HoldReason.AVAILABILITY,
            detail=f"not enough {source}: " + "; ".join(short),
        )
