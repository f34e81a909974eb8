"""Hold an order that looks like a second submission of one placed minutes before."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import msgspec

from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.model.common import Address
from orderhub.core.model.orders import HoldReason, Order, OrderStatus
from orderhub.core.preprocess.base import ConfiguredCheck, as_utc, is_same_order, same_customer


class DuplicateConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    window_minutes: int = 30
    """Orders placed this close together (either way) are compared."""
    match_address: bool = True
    """Also treat one shipping address as one customer (guest checkouts with new e-mails)."""

    def __post_init__(self) -> None:
        if self.window_minutes <= 0:
            raise ValueError("window_minutes must be positive")


def basket(order: Order) -> Counter[str]:
    """SKU -> units the customer wants; line order and line splitting do not matter."""
    units: Counter[str] = Counter()
    for line in order.lines:
        units[line.sku or f"name:{line.name}"] += line.quantity - line.quantity_cancelled
    return +units


def address_key(address: Address | None) -> tuple[str, str, str] | None:
    if address is None or not address.line1 or not address.country:
        return None
    return (
        " ".join(address.line1.lower().split()),
        "".join((address.postal_code or "").upper().split()),
        address.country.upper(),
    )


class DuplicateCheck(ConfiguredCheck[DuplicateConfig]):
    """Same customer (e-mail, account or address), same SKUs and quantities, within N minutes.

    Compares with `context.recent_orders`; cancelled orders are not compared (a customer
    who cancels and orders again is not a duplicate).
    """

    name = "duplicate"
    config_type = DuplicateConfig

    def check(self, context: CheckContext) -> HoldRequest | None:
        config = self.config_for(context)
        order = context.order
        window = timedelta(minutes=config.window_minutes)
        placed = as_utc(order.placed_at)
        items = basket(order)
        for other in sorted(context.recent_orders, key=lambda o: as_utc(o.placed_at)):
            if is_same_order(order, other) or other.status is OrderStatus.CANCELLED:
                continue
            gap = placed - as_utc(other.placed_at)
            if abs(gap) > window or basket(other) != items:
                continue
            how = same_customer(order, other)
            if how is None and config.match_address:
                key = address_key(order.shipping_address)
                if key is not None and key == address_key(other.shipping_address):
                    how = "same shipping address"
            if how is None:
                continue
            minutes = round(abs(gap).total_seconds() / 60)
            when = "earlier" if gap >= timedelta(0) else "later"
            return HoldRequest(
                reason=HoldReason.DUPLICATE,
                detail=(
                    f"looks like a duplicate of order {other.number} ({how}, same items and "
                    f"quantities, placed {minutes} min {when})"
                ),
            )
        return None
