"""How allocation is configured: hub-wide defaults and each connection's own policy.

In the TOML file, ``[allocation]`` holds the defaults and a connection may override any part::

    [allocation]
    replan_attempts = 3
    [allocation.routing]                       # orderhub.core.routing.RoutingConfig
    rules = ["destination", "capacity", "fewest_splits", "distance", "priority"]
    [allocation.checks.fraud]                  # settings of a check, for every channel
    review_above = { EUR = "2000.00" }

    [connections.shop]
    connector = "shopify"
    feeds_from = ["PAR-WH", "LYON-STORE"]      # locations whose stock it sells and ships
    [connections.shop.routing]
    allow_split = true
    split_min_value = { amount = 10000, currency = "EUR" }
    [connections.shop.availability]            # ATP: what the channel is told it may sell
    policy = { buffer = 2, cap = 50 }
    groups = { clearance = { percentage = 100 } }
    [connections.shop.payment]                 # orderhub.core.preprocess.PaymentConfig
    require = "paid"
    [connections.shop.checks]
    availability = { enabled = true, count_incoming = true }
    [connections.shop.substitution]            # orderhub.core.substitution.SubstitutionPolicy
    mode = "apply"

Each part is the core Struct of the same job, decoded strictly, so a misspelt key is an error
that names it. Rule and check names are checked against the installed plugins when the hub
starts (`orderhub.hub.allocation.policy`).
"""

from __future__ import annotations

from typing import Any

import msgspec

from orderhub.core.atp import AtpPolicy
from orderhub.core.money import Money
from orderhub.core.promise import PromiseConfig
from orderhub.core.routing import RoutingConfig
from orderhub.core.substitution import SubstitutionPolicy

CheckSettings = dict[str, dict[str, Any]]
"""Check name -> its settings; the extra key ``enabled`` (true/false) switches it on or off."""

DISABLED_BY_DEFAULT = frozenset({"availability"})
"""Built-in checks that run only where configured with ``enabled = true``.

The availability check holds an order that lacks stock; by default the channel's routing
decides instead (backorder, preorder or hold per `RoutingConfig.backorder`)."""


class AvailabilitySettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A channel's ATP policy; the locations it pools are the connection's `feeds_from`."""

    policy: AtpPolicy = msgspec.field(default_factory=AtpPolicy)
    groups: dict[str, AtpPolicy] = {}
    """Policies for SKU groups (`Item.sku_group`), replacing `policy` for their SKUs."""


class AllocationSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Hub-wide defaults: every connection without its own setting uses these."""

    routing: RoutingConfig = msgspec.field(default_factory=RoutingConfig)
    availability: AvailabilitySettings = msgspec.field(default_factory=AvailabilitySettings)
    checks: CheckSettings = {}
    """Settings of each check for every channel (``fraud = { review_above = {...} }``)."""
    substitution: SubstitutionPolicy = msgspec.field(default_factory=SubstitutionPolicy)
    promise: PromiseConfig = msgspec.field(default_factory=PromiseConfig)
    """Transit zones, carrier days and holidays for the delivery promise."""
    replan_attempts: int = 3
    """Plans tried when a reservation is refused because another order just took the stock;
    what the last one cannot reserve is backordered (never oversold)."""
    shipping_costs: dict[str, dict[str, str]] = {}
    """Location code -> currency -> what shipping an order from there costs ("4.90"), for
    the `cost` routing sort. A location without a cost in the order's currency ranks last."""

    def __post_init__(self) -> None:
        if self.replan_attempts < 1:
            raise ValueError("replan_attempts must be at least 1")
        for costs in self.shipping_costs.values():
            for currency, amount in costs.items():
                Money.parse(amount, currency)

    def shipping_cost(self, location: str, currency: str) -> int | None:
        amount = self.shipping_costs.get(location, {}).get(currency)
        return None if amount is None else Money.parse(amount, currency).amount
