"""Routing rules: filters that keep or drop a location, sorts that order the ones kept.

A rule is a class with a `name` and either ``check(candidate, request) -> Verdict`` (a
filter) or ``rank(candidate, request, remaining) -> Rank`` (a sort). A channel names rules in
its `RoutingConfig.rules`, with parameters; the `RuleRegistry` turns those into instances. A
rule that is a msgspec Struct gets its parameters validated strictly (unknown ones refused);
any other class is called with the parameters as keywords.

Plugins add rules through the ``orderhub_register_routing_rules`` hook: ``register(MyRule)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import msgspec

from orderhub.core.geo import distance_km
from orderhub.core.model.locations import LocationCapability, LocationKind
from orderhub.core.money import Money
from orderhub.core.routing.model import Candidate, Rank, RoutingRequest, RuleSpec, Verdict


class RoutingConfigError(ValueError):
    """A channel's routing config names an unknown rule or gives a rule bad parameters."""


@runtime_checkable
class FilterRule(Protocol):
    name: ClassVar[str]

    def check(self, candidate: Candidate, request: RoutingRequest) -> Verdict: ...


@runtime_checkable
class SortRule(Protocol):
    name: ClassVar[str]

    def rank(
        self, candidate: Candidate, request: RoutingRequest, remaining: Mapping[str, int]
    ) -> Rank:
        """Score `candidate` for the units still needed (`remaining`: SKU -> units)."""
        ...


def _words(values: list[str]) -> str:
    return ", ".join(values) if values else "nothing"


def coverable(candidate: Candidate, remaining: Mapping[str, int]) -> int:
    """Units of `remaining` (SKU -> units) the candidate has in stock now."""
    return sum(
        min(units, max(0, candidate.available.get(sku, 0))) for sku, units in remaining.items()
    )


def shortfalls(candidate: Candidate, remaining: Mapping[str, int]) -> list[str]:
    """Each SKU the candidate cannot fully supply, in words."""
    short = []
    for sku, units in remaining.items():
        has = max(0, candidate.available.get(sku, 0))
        if has < units:
            short.append(f"{sku} (needs {units}, has {has})")
    return short


# Filters ----------------------------------------------------------------------------------------


class LocationKindFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Keep only locations of the listed kinds (e.g. no stores for a marketplace)."""

    name: ClassVar[str] = "location_kind"
    kinds: list[LocationKind]

    def check(self, candidate: Candidate, request: RoutingRequest) -> Verdict:
        allowed = _words([kind.value for kind in self.kinds])
        if candidate.kind in self.kinds:
            return Verdict(keep=True, reason=f"is a {candidate.kind.value}; allowed: {allowed}")
        return Verdict(
            keep=False,
            reason=f"is a {candidate.kind.value}; this channel only uses {allowed}",
        )


class CapabilityFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Keep only locations with every listed capability."""

    name: ClassVar[str] = "capability"
    require: list[LocationCapability]

    def check(self, candidate: Candidate, request: RoutingRequest) -> Verdict:
        missing = [cap.value for cap in self.require if cap not in candidate.capabilities]
        if missing:
            return Verdict(keep=False, reason=f"lacks the capability {_words(missing)}")
        required = _words([cap.value for cap in self.require])
        return Verdict(keep=True, reason=f"has the required capability {required}")


class DestinationFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Keep only locations that deliver to the order's country or region."""

    name: ClassVar[str] = "destination"

    def check(self, candidate: Candidate, request: RoutingRequest) -> Verdict:
        address = request.destination
        country = (address.country or "").upper() if address else ""
        if not country:
            return Verdict(keep=True, reason="delivery country unknown: not filtered")
        if not candidate.ships_to:
            return Verdict(keep=True, reason=f"delivers anywhere, {country} included")
        region = f"{country}-{address.region.upper()}" if address and address.region else None
        if country in candidate.ships_to:
            return Verdict(keep=True, reason=f"delivers to {country}")
        if region is not None and region in candidate.ships_to:
            return Verdict(keep=True, reason=f"delivers to {region}")
        where = region or country
        served = _words(sorted(candidate.ships_to))
        return Verdict(keep=False, reason=f"does not deliver to {where} (delivers to {served})")


class FullStockFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Keep only locations that can ship the whole order alone (never split)."""

    name: ClassVar[str] = "full_stock"

    def check(self, candidate: Candidate, request: RoutingRequest) -> Verdict:
        needed = request.skus()
        short = shortfalls(candidate, needed)
        if short:
            return Verdict(
                keep=False,
                reason=f"cannot ship the whole order alone: short of {_words(short)}",
            )
        return Verdict(keep=True, reason=f"has all {sum(needed.values())} units of the order")


class CapacityFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Keep only locations with daily capacity left (orders they can still release today)."""

    name: ClassVar[str] = "capacity"
    min_left: int = 1

    def check(self, candidate: Candidate, request: RoutingRequest) -> Verdict:
        left = candidate.capacity_left
        if left is None:
            return Verdict(keep=True, reason="has no daily capacity limit")
        if left < self.min_left:
            return Verdict(
                keep=False, reason=f"daily capacity used up ({max(0, left)} orders left today)"
            )
        return Verdict(keep=True, reason=f"has room for {left} more orders today")


# Sorts ------------------------------------------------------------------------------------------


class FewestSplitsSort(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Locations that can ship more of what is still needed first: fewer parcels."""

    name: ClassVar[str] = "fewest_splits"

    def rank(
        self, candidate: Candidate, request: RoutingRequest, remaining: Mapping[str, int]
    ) -> Rank:
        units = coverable(candidate, remaining)
        total = sum(remaining.values())
        return Rank(key=-units, reason=f"can ship {units} of the {total} units needed")


class DistanceSort(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Nearest to the delivery address first (great-circle distance)."""

    name: ClassVar[str] = "distance"

    def rank(
        self, candidate: Candidate, request: RoutingRequest, remaining: Mapping[str, int]
    ) -> Rank:
        address = request.destination
        target = address.point if address else None
        km = distance_km(candidate.point, target)
        if km is not None:
            return Rank(key=km, reason=f"{km:,.0f} km from the delivery address")
        if target is None:
            return Rank(key=float("inf"), reason="delivery address has no coordinates")
        return Rank(key=float("inf"), reason="location has no coordinates: ranked last")


class CostSort(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Cheapest to ship from first; locations without a known cost last."""

    name: ClassVar[str] = "cost"

    def rank(
        self, candidate: Candidate, request: RoutingRequest, remaining: Mapping[str, int]
    ) -> Rank:
        if candidate.cost is None:
            return Rank(key=float("inf"), reason="shipping cost unknown: ranked last")
        cost = Money(amount=candidate.cost, currency=request.order.currency)
        return Rank(key=candidate.cost, reason=f"costs {cost} to ship from")


class PrioritySort(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The merchant's own preference: lower priority number first."""

    name: ClassVar[str] = "priority"

    def rank(
        self, candidate: Candidate, request: RoutingRequest, remaining: Mapping[str, int]
    ) -> Rank:
        return Rank(key=candidate.priority, reason=f"priority {candidate.priority}")


class StockBalanceSort(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Locations left with the most stock of these SKUs afterwards first: no one runs dry."""

    name: ClassVar[str] = "stock_balance"

    def rank(
        self, candidate: Candidate, request: RoutingRequest, remaining: Mapping[str, int]
    ) -> Rank:
        stock = sum(max(0, candidate.available.get(sku, 0)) for sku in remaining)
        left = stock - coverable(candidate, remaining)
        return Rank(key=-left, reason=f"would keep {left} units of these SKUs after this order")


BUILTIN_RULES: tuple[type, ...] = (
    LocationKindFilter,
    CapabilityFilter,
    DestinationFilter,
    FullStockFilter,
    CapacityFilter,
    FewestSplitsSort,
    DistanceSort,
    CostSort,
    PrioritySort,
    StockBalanceSort,
)


# Registry ---------------------------------------------------------------------------------------


def is_filter(rule: object) -> bool:
    return callable(getattr(rule, "check", None))


def is_sort(rule: object) -> bool:
    return callable(getattr(rule, "rank", None))


class RuleRegistry:
    """Rule classes by name: the built-ins plus those plugins register."""

    def __init__(self, rules: tuple[type, ...] = ()) -> None:
        self._rules: dict[str, type] = {}
        for rule in rules:
            self.register(rule)

    @classmethod
    def builtin(cls) -> RuleRegistry:
        return cls(BUILTIN_RULES)

    def register(self, rule: type) -> None:
        name = getattr(rule, "name", None)
        if not isinstance(name, str) or not name:
            raise RoutingConfigError(f"routing rule {rule!r} has no name")
        if is_filter(rule) == is_sort(rule):
            raise RoutingConfigError(
                f"routing rule {name!r} must define exactly one of check() (a filter) "
                "or rank() (a sort)"
            )
        if self._rules.get(name, rule) is not rule:
            raise RoutingConfigError(f"routing rule {name!r} is registered twice")
        self._rules[name] = rule

    def names(self) -> list[str]:
        return sorted(self._rules)

    def build(self, spec: RuleSpec) -> Any:
        """A rule instance from a config entry: "distance" or {rule = "location_kind", ...}."""
        if isinstance(spec, str):
            name, params = spec, {}
        else:
            params = dict(spec)
            name = params.pop("rule", None)
            if not isinstance(name, str):
                raise RoutingConfigError(f"routing rule entry {spec!r} needs a 'rule' name")
        rule = self._rules.get(name)
        if rule is None:
            raise RoutingConfigError(
                f"unknown routing rule {name!r} (known: {', '.join(self.names())})"
            )
        try:
            if isinstance(rule, type) and issubclass(rule, msgspec.Struct):
                return msgspec.convert(params, rule)
            return rule(**params)
        except (msgspec.ValidationError, TypeError, ValueError) as exc:
            raise RoutingConfigError(f"routing rule {name!r}: {exc}") from exc
