"""What routing reads (candidates, config, the request rules see) and what it returns (the plan)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Literal

import msgspec

from orderhub.core.model.common import Address, GeoPoint
from orderhub.core.model.fulfillment import FulfillmentMethod
from orderhub.core.model.locations import Location, LocationCapability, LocationKind
from orderhub.core.model.orders import Order
from orderhub.core.money import Money

# Inputs -----------------------------------------------------------------------------------------


class IncomingLot(msgspec.Struct, frozen=True, kw_only=True):
    """Units of a SKU expected at a location, not yet promised to another order."""

    sku: str
    quantity: int
    expected_on: date
    reference: str | None = None
    """The purchase order or transfer ("PO-1042"), shown to operators."""


class Candidate(msgspec.Struct, kw_only=True):
    """A location routing may allocate from, with its numbers for this order's SKUs.

    The hub builds one per active location feeding the channel (see `from_location`).
    """

    location: str
    kind: LocationKind = LocationKind.WAREHOUSE
    capabilities: frozenset[LocationCapability] = frozenset({LocationCapability.SHIP})
    available: dict[str, int] = {}
    """SKU -> units available now (on hand - reserved - safety stock)."""
    incoming: list[IncomingLot] = []
    capacity_left: int | None = None
    """Orders it can still take today; None is no limit."""
    cost: int | None = None
    """What shipping this order from here costs, in minor units of the order's currency."""
    point: GeoPoint | None = None
    priority: int = 100
    """Lower goes first with the priority sort."""
    ships_to: frozenset[str] = frozenset()
    """Countries ("FR") or regions ("US-CA") it delivers to; empty is anywhere."""

    @classmethod
    def from_location(
        cls,
        location: Location,
        *,
        available: Mapping[str, int],
        incoming: Iterable[IncomingLot] = (),
        orders_today: int = 0,
        cost: int | None = None,
    ) -> Candidate:
        """A candidate from a stored location; capacity left comes from its pick schedule."""
        capacity = location.schedule.daily_capacity
        return cls(
            location=location.code,
            kind=location.kind,
            capabilities=frozenset(location.capabilities),
            available=dict(available),
            incoming=list(incoming),
            capacity_left=None if capacity is None else max(0, capacity - orders_today),
            cost=cost,
            point=location.point,
            priority=location.priority,
            ships_to=frozenset(code.upper() for code in location.ships_to),
        )


RuleSpec = str | dict[str, Any]
"""A rule in a channel's list: its name, or a table with `rule` = name plus its parameters."""

DEFAULT_RULES: list[RuleSpec] = ["destination", "capacity", "fewest_splits", "distance", "priority"]


class RoutingConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A channel's routing settings."""

    rules: list[RuleSpec] = msgspec.field(default_factory=lambda: list(DEFAULT_RULES))
    """Filters and sorts, in order. Sorts break ties in the order they are listed."""
    allow_split: bool = True
    """May one order ship from several locations when no single one has everything?"""
    split_min_value: Money | None = None
    """Split only orders worth at least this much (a split costs a second parcel)."""
    backorder: Literal["always", "when_incoming", "never"] = "always"
    """What to do with units no location has: wait for any future stock, wait only when
    some is incoming, or leave them unallocated (the hub then holds the order)."""
    preorder: bool = False
    """Allocate missing units against incoming stock (with its date) before backordering."""


class Demand(msgspec.Struct, frozen=True, kw_only=True):
    """Units of one order line that still need a location."""

    line_id: str
    sku: str
    quantity: int


class RoutingRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What rules see about the order being routed."""

    order: Order
    demand: tuple[Demand, ...]
    pickup: bool
    """Click & collect: the customer chose `order.pickup_location`."""

    @property
    def destination(self) -> Address | None:
        return None if self.pickup else self.order.shipping_address

    def skus(self) -> dict[str, int]:
        """SKU -> units needed over all lines."""
        needed: dict[str, int] = {}
        for item in self.demand:
            needed[item.sku] = needed.get(item.sku, 0) + item.quantity
        return needed


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """A filter's answer for one candidate, with the reason an operator reads."""

    keep: bool
    reason: str


class Rank(msgspec.Struct, frozen=True, kw_only=True):
    """A sort's score for one candidate (lower goes first), with the reason in words."""

    key: float
    reason: str


# Output -----------------------------------------------------------------------------------------


class TraceDecision(enum.StrEnum):
    KEPT = "kept"
    DROPPED = "dropped"
    RANKED = "ranked"


class TraceEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One routing decision: which rule, about which location (None: the order), and why."""

    rule: str
    location: str | None
    decision: TraceDecision
    reason: str

    def __str__(self) -> str:
        where = f"{self.location} " if self.location else ""
        return f"[{self.rule}] {where}{self.decision.value}: {self.reason}"


class PlanGroup(msgspec.Struct, kw_only=True):
    """What one location sends (or hands over): line id -> units."""

    location: str
    method: FulfillmentMethod
    kind: LocationKind
    lines: dict[str, int]


class PreorderAllocation(msgspec.Struct, kw_only=True):
    """Units allocated against stock that has not arrived yet."""

    line_id: str
    quantity: int
    location: str
    expected_on: date
    reference: str | None = None


class UnallocatedLine(msgspec.Struct, kw_only=True):
    line_id: str
    quantity: int
    reason: str


class AllocationPlan(msgspec.Struct, kw_only=True):
    """Routing's answer for one order. Nothing is reserved until the hub applies it."""

    groups: list[PlanGroup] = []
    backordered: dict[str, int] = {}
    """Line id -> units waiting for stock (allocated on receipt, oldest order first)."""
    preordered: list[PreorderAllocation] = []
    unallocated: list[UnallocatedLine] = []
    trace: list[TraceEntry] = []

    def allocated(self, line_id: str) -> int:
        """Units of a line reserved from on-hand stock by this plan."""
        return sum(group.lines.get(line_id, 0) for group in self.groups)

    @property
    def complete(self) -> bool:
        """Every unit has a location with stock now: nothing waits and nothing is missing."""
        return not (self.backordered or self.preordered or self.unallocated)

    def explain(self) -> str:
        """The trace as text, one decision a line."""
        return "\n".join(str(entry) for entry in self.trace)
