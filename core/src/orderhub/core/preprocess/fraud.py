"""Hold an order that trips a configured fraud rule: value, country mismatch, velocity."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.model.orders import HoldReason
from orderhub.core.money import Money
from orderhub.core.preprocess.base import (
    ConfiguredCheck,
    as_utc,
    customer_email,
    is_same_order,
    order_value,
    same_customer,
)


class FraudConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    review_above: dict[str, str] = {}
    """Currency -> amount ("2000.00"): orders worth more are reviewed by a person."""
    country_mismatch: bool = False
    """Hold when billing and shipping countries differ."""
    velocity_max_orders: int | None = None
    """Most orders one customer (e-mail or account) may place within the window."""
    velocity_window_minutes: int = 60

    def __post_init__(self) -> None:
        for currency, amount in self.review_above.items():
            Money.parse(amount, currency)
        if self.velocity_max_orders is not None and self.velocity_max_orders < 1:
            raise ValueError("velocity_max_orders must be at least 1")
        if self.velocity_window_minutes <= 0:
            raise ValueError("velocity_window_minutes must be positive")


class FraudCheck(ConfiguredCheck[FraudConfig]):
    """Each enabled rule that fires adds a reason; one hold lists them all."""

    name = "fraud"
    config_type = FraudConfig

    def check(self, context: CheckContext) -> HoldRequest | None:
        config = self.config_for(context)
        reasons = [
            reason
            for reason in (
                self._value(context, config),
                self._country_mismatch(context, config),
                self._velocity(context, config),
            )
            if reason is not None
        ]
        if not reasons:
            return None
        return HoldRequest(reason=HoldReason.FRAUD, detail="; ".join(reasons))

    @staticmethod
    def _value(context: CheckContext, config: FraudConfig) -> str | None:
        value = order_value(context.order)
        limit = config.review_above.get(value.currency)
        if limit is None:
            return None
        threshold = Money.parse(limit, value.currency)
        if value.amount <= threshold.amount:
            return None
        return f"order value {value} is above the review threshold of {threshold}"

    @staticmethod
    def _country_mismatch(context: CheckContext, config: FraudConfig) -> str | None:
        order = context.order
        if not config.country_mismatch or order.pickup_location is not None:
            return None
        billing = order.billing_address.country if order.billing_address else None
        shipping = order.shipping_address.country if order.shipping_address else None
        if not billing or not shipping or billing.upper() == shipping.upper():
            return None
        return f"billing country {billing.upper()} differs from shipping country {shipping.upper()}"

    @staticmethod
    def _velocity(context: CheckContext, config: FraudConfig) -> str | None:
        if config.velocity_max_orders is None:
            return None
        order = context.order
        placed = as_utc(order.placed_at)
        since = placed - timedelta(minutes=config.velocity_window_minutes)
        count = 1 + sum(
            1
            for other in context.recent_orders
            if not is_same_order(order, other)
            and since <= as_utc(other.placed_at) <= placed
            and same_customer(order, other) is not None
        )
        if count <= config.velocity_max_orders:
            return None
        who = customer_email(order) or "this customer"
        return (
            f"{count} orders from {who} within {config.velocity_window_minutes} min "
            f"(limit {config.velocity_max_orders})"
        )
