"""What the built-in checks share: configuration with per-channel overrides, and order facts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

import msgspec

from orderhub.core.extensions import CheckContext
from orderhub.core.model.orders import Order
from orderhub.core.money import Money

C = TypeVar("C", bound=msgspec.Struct)


class ConfiguredCheck(Generic[C]):
    """A check with a config Struct that a channel may override by the check's name.

    The hub builds each check once from the global settings; a channel's
    ``channel_policy[name]`` mapping replaces the fields it names, for that channel only.
    An invalid override raises, and `run_checks` turns that into a hold that names the check.
    """

    name: ClassVar[str]
    config_type: ClassVar[type]

    def __init__(self, config: C | None = None) -> None:
        self.config: C = config if config is not None else self.config_type()

    def config_for(self, context: CheckContext) -> C:
        override = context.channel_policy.get(self.name)
        if not override:
            return self.config
        if not isinstance(override, Mapping):
            raise ValueError(f"channel policy for {self.name!r} must be a table of settings")
        merged: dict[str, Any] = {**msgspec.to_builtins(self.config), **override}
        return msgspec.convert(merged, self.config_type)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already (as the store keeps them)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def order_value(order: Order) -> Money:
    """The order's total as the channel sent it, or computed from its lines."""
    return (order.totals or order.computed_totals()).total


def customer_email(order: Order) -> str | None:
    email = None
    if order.customer is not None and order.customer.email:
        email = order.customer.email
    elif order.shipping_address is not None and order.shipping_address.email:
        email = order.shipping_address.email
    elif order.billing_address is not None and order.billing_address.email:
        email = order.billing_address.email
    return email.strip().lower() if email else None


def customer_ref(order: Order) -> tuple[str, str] | None:
    """The channel's own customer id, scoped by connection (ids of two shops may collide)."""
    if order.customer is None or not order.customer.external_id:
        return None
    return (order.connection, order.customer.external_id)


def is_same_order(a: Order, b: Order) -> bool:
    if a.id is not None and a.id == b.id:
        return True
    return (a.connection, a.external_id) == (b.connection, b.external_id)


def same_customer(a: Order, b: Order) -> str | None:
    """How two orders are known to come from one customer ("same e-mail"), or None."""
    email = customer_email(a)
    if email is not None and email == customer_email(b):
        return "same e-mail"
    ref = customer_ref(a)
    if ref is not None and ref == customer_ref(b):
        return "same customer account"
    return None
