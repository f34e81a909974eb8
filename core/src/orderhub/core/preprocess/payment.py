"""Hold an order whose payment is not as far along as the channel requires."""

from __future__ import annotations

from typing import Literal

import msgspec

from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.model.orders import FinancialStatus, HoldReason
from orderhub.core.preprocess.base import ConfiguredCheck

F = FinancialStatus

ACCEPTED: dict[str, frozenset[FinancialStatus]] = {
    "authorized": frozenset({F.AUTHORIZED, F.PAID, F.PARTIALLY_REFUNDED}),
    "paid": frozenset({F.PAID, F.PARTIALLY_REFUNDED}),
}
"""Financial statuses that satisfy each requirement (a partial refund was paid first)."""


class PaymentConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    require: Literal["none", "authorized", "paid"] = "authorized"
    exempt_gateways: list[str] = []
    """Gateways paid later by design ("cash_on_delivery", "invoice"): never held."""


class PaymentCheck(ConfiguredCheck[PaymentConfig]):
    """Channel policy `require`: none, authorized (or better) or paid."""

    name = "payment"
    config_type = PaymentConfig

    def check(self, context: CheckContext) -> HoldRequest | None:
        config = self.config_for(context)
        if config.require == "none":
            return None
        order = context.order
        if order.financial_status in ACCEPTED[config.require]:
            return None
        exempt = {gateway.lower() for gateway in config.exempt_gateways}
        if any(payment.gateway.lower() in exempt for payment in order.payments):
            return None
        return HoldRequest(
            reason=HoldReason.PAYMENT,
            detail=(
                f"payment is {order.financial_status.value.replace('_', ' ')}; "
                f"this channel needs it {config.require} before fulfillment"
            ),
        )
