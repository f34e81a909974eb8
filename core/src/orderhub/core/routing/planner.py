"""Turning an order and its candidate locations into an allocation plan, with the reasons.

The steps, each leaving entries in the plan's trace:

1. demand: the units of each line still without a location;
2. candidates: for click & collect only the store the customer chose (it must offer
   pickup); otherwise every location that can ship, passed through the channel's filters;
3. ranking: the channel's sorts, in order, break ties of the ones before;
4. on-hand stock: one location when one has everything (the best ranked of those); else a
   split over the ranked locations when allowed and the order is worth it; else the one
   location with the most of the order;
5. what is still missing: preordered against incoming stock when the channel allows it,
   then backordered or left unallocated according to the channel's backorder policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orderhub.core.model.fulfillment import FulfillmentMethod
from orderhub.core.model.locations import LocationCapability, LocationKind
from orderhub.core.model.orders import Order
from orderhub.core.preprocess.base import order_value
from orderhub.core.routing.model import (
    AllocationPlan,
    Candidate,
    Demand,
    PlanGroup,
    PreorderAllocation,
    Rank,
    RoutingConfig,
    RoutingRequest,
    TraceDecision,
    TraceEntry,
    UnallocatedLine,
)
from orderhub.core.routing.rules import RuleRegistry, coverable, is_filter, is_sort

KEPT, DROPPED, RANKED = TraceDecision.KEPT, TraceDecision.DROPPED, TraceDecision.RANKED


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def units(n: int) -> str:
    return f"{n} unit" if n == 1 else f"{n} units"


def method_for(candidate: Candidate, pickup: bool) -> FulfillmentMethod:
    if pickup:
        return FulfillmentMethod.PICKUP
    if candidate.kind is LocationKind.SUPPLIER:
        return FulfillmentMethod.DROP_SHIP
    return FulfillmentMethod.SHIP


def describe_method(candidate: Candidate, pickup: bool) -> str:
    method = method_for(candidate, pickup)
    if method is FulfillmentMethod.PICKUP:
        return "click & collect"
    if method is FulfillmentMethod.DROP_SHIP:
        return "drop-ship by the supplier"
    if candidate.kind is LocationKind.STORE:
        return "ship from store"
    return f"ship from {candidate.kind.value}"


def split_permission(order: Order, config: RoutingConfig) -> tuple[bool, str]:
    """Whether this order may ship from several locations, and why (or why not)."""
    if not config.allow_split:
        return False, "this channel does not split orders"
    threshold = config.split_min_value
    if threshold is None:
        return True, "this channel allows splitting orders"
    value = order_value(order)
    if threshold.currency != value.currency:
        return False, (
            f"the split threshold is in {threshold.currency} and the order in "
            f"{value.currency}: not splitting"
        )
    if value.amount < threshold.amount:
        return False, f"order value {value} is below the {threshold} needed to split"
    return True, f"order value {value} reaches the {threshold} needed to split"


class _Planner:
    """One planning run: holds the request, the rules and the plan being written."""

    def __init__(
        self,
        order: Order,
        candidates: Sequence[Candidate],
        config: RoutingConfig,
        rules: list[Any],
    ) -> None:
        self.order = order
        self.config = config
        self.filters = [rule for rule in rules if is_filter(rule)]
        self.sorts = [rule for rule in rules if is_sort(rule)]
        self.candidates = list(candidates)
        self.plan = AllocationPlan()
        self.pickup = order.pickup_location is not None
        self.request = RoutingRequest(order=order, demand=(), pickup=self.pickup)
        self.remaining: dict[str, int] = {}
        """Line id -> units still without a location."""
        self.sku_of: dict[str, str] = {}

    # -- trace ----------------------------------------------------------------------------------

    def note(self, rule: str, location: str | None, decision: TraceDecision, reason: str) -> None:
        self.plan.trace.append(
            TraceEntry(rule=rule, location=location, decision=decision, reason=reason)
        )

    # -- steps ----------------------------------------------------------------------------------

    def collect_demand(self) -> None:
        demand = []
        for line in self.order.lines:
            need = line.quantity_open - line.quantity_allocated
            if need <= 0:
                continue
            if not line.sku:
                self.plan.unallocated.append(
                    UnallocatedLine(line_id=line.id, quantity=need, reason="line has no SKU")
                )
                self.note("demand", None, DROPPED, f"line {line.name!r} has no SKU")
                continue
            demand.append(Demand(line_id=line.id, sku=line.sku, quantity=need))
            self.remaining[line.id] = need
            self.sku_of[line.id] = line.sku
        self.request = RoutingRequest(order=self.order, demand=tuple(demand), pickup=self.pickup)

    def remaining_skus(self) -> dict[str, int]:
        needed: dict[str, int] = {}
        for line_id, qty in self.remaining.items():
            if qty > 0:
                sku = self.sku_of[line_id]
                needed[sku] = needed.get(sku, 0) + qty
        return needed

    def pickup_pool(self) -> list[Candidate]:
        code = self.order.pickup_location
        store = next((c for c in self.candidates if c.location == code), None)
        if store is None:
            reason = f"pickup location {code} is not a location of this channel"
        elif LocationCapability.PICKUP not in store.capabilities:
            reason = f"{code} does not offer click & collect"
        else:
            self.note(
                "pickup",
                code,
                KEPT,
                "the customer chose this location for click & collect; "
                "no other location is considered and the channel's rules do not apply",
            )
            return [store]
        self.note("pickup", code, DROPPED, reason)
        self.leave_unallocated(reason)
        return []

    def shipping_pool(self) -> list[Candidate]:
        pool = []
        for candidate in self.candidates:
            if LocationCapability.SHIP in candidate.capabilities:
                pool.append(candidate)
            else:
                self.note("method", candidate.location, DROPPED, "cannot ship parcels")
        for rule in self.filters:
            kept = []
            for candidate in pool:
                verdict = rule.check(candidate, self.request)
                self.note(
                    rule.name, candidate.location, KEPT if verdict.keep else DROPPED, verdict.reason
                )
                if verdict.keep:
                    kept.append(candidate)
            pool = kept
        return pool

    def ranked(self, pool: list[Candidate], *, record: bool) -> list[Candidate]:
        """The pool in sort order for what is still needed; ties keep the given order."""
        needed = self.remaining_skus()
        scores: dict[str, list[Rank]] = {
            c.location: [rule.rank(c, self.request, needed) for rule in self.sorts] for c in pool
        }
        order = sorted(pool, key=lambda c: tuple(rank.key for rank in scores[c.location]))
        if record:
            for i, rule in enumerate(self.sorts):
                for candidate in pool:
                    self.note(
                        rule.name, candidate.location, RANKED, scores[candidate.location][i].reason
                    )
            for position, candidate in enumerate(order, start=1):
                self.note(
                    "ranking", candidate.location, RANKED, f"{ordinal(position)} of {len(order)}"
                )
        return order

    def take(self, candidate: Candidate) -> int:
        """Allocate all it can of what is still needed from one location; units taken."""
        left = dict(candidate.available)
        lines: dict[str, int] = {}
        for line_id, need in self.remaining.items():
            sku = self.sku_of[line_id]
            qty = min(need, max(0, left.get(sku, 0)))
            if qty > 0:
                lines[line_id] = qty
                left[sku] -= qty
        for line_id, qty in lines.items():
            self.remaining[line_id] -= qty
        if lines:
            self.plan.groups.append(
                PlanGroup(
                    location=candidate.location,
                    method=method_for(candidate, self.pickup),
                    kind=candidate.kind,
                    lines=lines,
                )
            )
        return sum(lines.values())

    def allocate_on_hand(self, ranked: list[Candidate]) -> list[Candidate]:
        """Allocate from stock on hand; returns the locations used."""
        needed = self.remaining_skus()
        total = sum(needed.values())
        if self.pickup:
            return self._pickup_on_hand(ranked, total)
        alone = [c for c in ranked if coverable(c, needed) == total]
        if alone:
            return [self._single(ranked, alone, total)]
        if not any(coverable(c, needed) for c in ranked):
            for candidate in ranked:
                self.note("plan", candidate.location, DROPPED, "has none of the ordered items")
            return []
        allowed, why = split_permission(self.order, self.config)
        self.note(
            "split",
            None,
            KEPT if allowed else DROPPED,
            f"no single location has the whole order; {why}",
        )
        if allowed:
            return self._split(ranked)
        return [self._most(ranked, total)]

    def _pickup_on_hand(self, ranked: list[Candidate], total: int) -> list[Candidate]:
        if not ranked:
            return []
        store = ranked[0]
        taken = self.take(store)
        if taken == total:
            reason = f"has all {units(total)}: ready for click & collect"
        elif taken:
            reason = f"has {taken} of the {units(total)} for click & collect; the rest waits"
        else:
            reason = "has none of the ordered items for click & collect yet"
        self.note("plan", store.location, KEPT if taken else DROPPED, reason)
        return [store] if taken else []

    def _single(self, ranked: list[Candidate], alone: list[Candidate], total: int) -> Candidate:
        best = alone[0]
        self.take(best)
        how = describe_method(best, pickup=False)
        self.note(
            "plan",
            best.location,
            KEPT,
            f"chosen ({how}): ships the whole order ({units(total)}) alone; "
            "the best-ranked location that can",
        )
        for candidate in ranked:
            if candidate is best:
                continue
            if candidate in alone:
                reason = "could also ship the whole order alone but ranks lower"
            else:
                has = coverable(candidate, self.request.skus())
                reason = (
                    f"cannot ship the whole order alone (has {has} of {units(total)}); "
                    f"{best.location} can"
                )
            self.note("plan", candidate.location, DROPPED, reason)
        return best

    def _split(self, ranked: list[Candidate]) -> list[Candidate]:
        used: list[Candidate] = []
        pool = list(ranked)
        while pool and any(self.remaining.values()):
            needed = self.remaining_skus()
            order = self.ranked(pool, record=False)
            best = next((c for c in order if coverable(c, needed)), None)
            if best is None:
                break
            still = sum(needed.values())
            taken = self.take(best)
            how = describe_method(best, pickup=False)
            self.note(
                "plan",
                best.location,
                KEPT,
                f"chosen for a split ({how}): ships {taken} of the {units(still)} still needed",
            )
            used.append(best)
            pool.remove(best)
        covered = not any(self.remaining.values())
        for candidate in pool:
            reason = (
                "not needed: the locations chosen before cover the order"
                if covered
                else "has none of the items still needed"
            )
            self.note("plan", candidate.location, DROPPED, reason)
        return used

    def _most(self, ranked: list[Candidate], total: int) -> Candidate:
        needed = self.remaining_skus()
        best = max(ranked, key=lambda c: coverable(c, needed))  # first of equals: best ranked
        taken = self.take(best)
        how = describe_method(best, pickup=False)
        self.note(
            "plan",
            best.location,
            KEPT,
            f"chosen ({how}): has the most of the order ({taken} of {units(total)}); "
            "the rest waits because the order may not be split",
        )
        for candidate in ranked:
            if candidate is not best:
                has = coverable(candidate, needed)
                self.note(
                    "plan",
                    candidate.location,
                    DROPPED,
                    f"not used: the order may not be split and it has only {has} of {units(total)}",
                )
        return best

    def allocate_incoming(self, pool: list[Candidate], used: list[Candidate]) -> None:
        """Preorder what is still missing against incoming stock, earliest date first."""
        if not self.config.preorder or not any(self.remaining.values()):
            return
        sources = pool
        if used and not self.pickup and not split_permission(self.order, self.config)[0]:
            sources = used  # no split: later stock must come from the same place
        rank_of = {c.location: i for i, c in enumerate(sources)}
        lots = sorted(
            ((lot, c) for c in sources for lot in c.incoming if lot.quantity > 0),
            key=lambda pair: (pair[0].expected_on, rank_of[pair[1].location]),
        )
        left = [lot.quantity for lot, _ in lots]
        for line_id in list(self.remaining):
            sku = self.sku_of[line_id]
            for index, (lot, candidate) in enumerate(lots):
                if self.remaining[line_id] == 0:
                    break
                if lot.sku != sku or left[index] == 0:
                    continue
                qty = min(self.remaining[line_id], left[index])
                left[index] -= qty
                self.remaining[line_id] -= qty
                self.plan.preordered.append(
                    PreorderAllocation(
                        line_id=line_id,
                        quantity=qty,
                        location=candidate.location,
                        expected_on=lot.expected_on,
                        reference=lot.reference,
                    )
                )
                ref = f" ({lot.reference})" if lot.reference else ""
                self.note(
                    "preorder",
                    candidate.location,
                    KEPT,
                    f"{qty} × {sku} preordered against stock expected on "
                    f"{lot.expected_on.isoformat()}{ref}",
                )

    def wait_or_leave(self, pool: list[Candidate]) -> None:
        """Backorder or leave unallocated what no location has, per the channel's policy."""
        policy = self.config.backorder
        incoming = {lot.sku for c in pool for lot in c.incoming if lot.quantity > 0}
        for line_id, qty in self.remaining.items():
            if qty <= 0:
                continue
            sku = self.sku_of[line_id]
            if policy == "always" or (policy == "when_incoming" and sku in incoming):
                self.plan.backordered[line_id] = qty
                waits = "incoming stock" if sku in incoming else "new stock"
                self.note(
                    "backorder",
                    None,
                    KEPT,
                    f"{qty} × {sku} backordered: not in stock at a usable location; "
                    f"waits for {waits}",
                )
                continue
            if policy == "never":
                reason = (
                    f"{qty} × {sku} not in stock at a usable location and this channel "
                    "takes no backorders"
                )
            else:
                reason = (
                    f"{qty} × {sku} not in stock at a usable location and none is incoming; "
                    "this channel backorders only against incoming stock"
                )
            self.plan.unallocated.append(
                UnallocatedLine(line_id=line_id, quantity=qty, reason=reason)
            )
            self.note("backorder", None, DROPPED, reason)
        self.remaining = {}

    def leave_unallocated(self, reason: str) -> None:
        for line_id, qty in self.remaining.items():
            if qty > 0:
                self.plan.unallocated.append(
                    UnallocatedLine(line_id=line_id, quantity=qty, reason=reason)
                )
        self.remaining = {}

    def summarize(self) -> None:
        parts = []
        for group in self.plan.groups:
            candidate = next(c for c in self.candidates if c.location == group.location)
            parts.append(
                f"{units(sum(group.lines.values()))} from {group.location} "
                f"({describe_method(candidate, self.pickup)})"
            )
        for pre in self.plan.preordered:
            parts.append(
                f"{units(pre.quantity)} preordered at {pre.location} "
                f"for {pre.expected_on.isoformat()}"
            )
        if self.plan.backordered:
            parts.append(f"{units(sum(self.plan.backordered.values()))} backordered")
        if self.plan.unallocated:
            parts.append(
                f"{units(sum(u.quantity for u in self.plan.unallocated))} cannot be allocated"
            )
        if len(self.plan.groups) > 1:
            parts.insert(0, f"split over {len(self.plan.groups)} locations")
        self.note("plan", None, KEPT, "; ".join(parts) if parts else "nothing to allocate")

    def run(self) -> AllocationPlan:
        self.collect_demand()
        if self.remaining:
            if self.pickup:
                ranked = self.pickup_pool()
            else:
                pool = self.shipping_pool()
                if not pool:
                    self.note(
                        "plan",
                        None,
                        DROPPED,
                        "no location is left to ship from after the channel's rules",
                    )
                ranked = self.ranked(pool, record=True)
            used = self.allocate_on_hand(ranked)
            self.allocate_incoming(ranked, used)
            self.wait_or_leave(ranked)
        self.summarize()
        return self.plan


def plan_allocation(
    order: Order,
    candidates: Sequence[Candidate],
    config: RoutingConfig,
    registry: RuleRegistry | None = None,
) -> AllocationPlan:
    """Where each unit of `order` should come from, and why. Pure: safe for simulations.

    `candidates` are the locations feeding the order's channel with their stock for the
    order's SKUs; `registry` resolves the rule names in `config.rules` (built-ins when None;
    the hub passes one with plugin rules). Raises `RoutingConfigError` for a bad config.
    """
    codes = [c.location for c in candidates]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"candidates listed twice: {', '.join(duplicates)}")
    registry = registry or RuleRegistry.builtin()
    rules = [registry.build(spec) for spec in config.rules]
    return _Planner(order, candidates, config, rules).run()
