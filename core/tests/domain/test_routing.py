import random
from datetime import date

import msgspec
import pytest

from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.hookspecs import hookimpl
from orderhub.core.model import (
    FulfillmentMethod,
    HoldReason,
    LocationCapability,
    LocationKind,
    Money,
    OrderTotals,
)
from orderhub.core.plugins import PluginManager
from orderhub.core.preprocess import run_checks
from orderhub.core.routing import (
    AllocationPlan,
    Candidate,
    IncomingLot,
    PreorderAllocation,
    Rank,
    RoutingConfig,
    RoutingConfigError,
    RuleRegistry,
    TraceDecision,
    UnallocatedLine,
    Verdict,
    plan_allocation,
)

SHIP = LocationCapability.SHIP
PICKUP = LocationCapability.PICKUP


def reasons(plan: AllocationPlan, rule: str, location: str | None = None) -> list[str]:
    return [
        f"{e.decision.value}: {e.reason}"
        for e in plan.trace
        if e.rule == rule and (location is None or e.location == location)
    ]


def groups(plan: AllocationPlan) -> list[tuple[str, FulfillmentMethod, dict[str, int]]]:
    return [(g.location, g.method, g.lines) for g in plan.groups]


def summary(plan: AllocationPlan) -> str:
    last = plan.trace[-1]
    assert (last.rule, last.location) == ("plan", None)
    return last.reason


@pytest.fixture
def two_line_order(make_order, make_line):
    return make_order(make_line("SKU-A", 2, id="a"), make_line("SKU-B", 1, id="b"))


# single location ------------------------------------------------------------------------------


def test_single_location_when_one_has_everything_even_if_farther(two_line_order, places):
    near_partial = Candidate(location="LILLE", available={"SKU-A": 5}, point=places["lille"])
    far_full = Candidate(
        location="MARSEILLE", available={"SKU-A": 5, "SKU-B": 5}, point=places["marseille"]
    )
    plan = plan_allocation(two_line_order, [near_partial, far_full], RoutingConfig())
    assert groups(plan) == [("MARSEILLE", FulfillmentMethod.SHIP, {"a": 2, "b": 1})]
    assert plan.complete
    assert reasons(plan, "plan", "MARSEILLE") == [
        "kept: chosen (ship from warehouse): ships the whole order (3 units) alone; "
        "the best-ranked location that can"
    ]
    assert reasons(plan, "plan", "LILLE") == [
        "dropped: cannot ship the whole order alone (has 2 of 3 units); MARSEILLE can"
    ]
    assert summary(plan) == "3 units from MARSEILLE (ship from warehouse)"


def test_distance_sort_picks_the_nearest_of_real_cities(two_line_order, places):
    stock = {"SKU-A": 9, "SKU-B": 9}
    cands = [
        Candidate(location=name.upper(), available=stock, point=places[name])
        for name in ("marseille", "lyon", "lille", "berlin")
    ]
    plan = plan_allocation(two_line_order, cands, RoutingConfig(rules=["distance"]))
    assert plan.groups[0].location == "LILLE"
    ranking = [e.location for e in plan.trace if e.rule == "ranking"]
    assert ranking == ["LILLE", "LYON", "MARSEILLE", "BERLIN"]  # 204, 392, 661, 877 km
    assert reasons(plan, "distance", "LILLE") == ["ranked: 204 km from the delivery address"]
    assert reasons(plan, "distance", "BERLIN") == ["ranked: 877 km from the delivery address"]
    assert reasons(plan, "ranking", "LILLE") == ["ranked: 1st of 4"]
    assert reasons(plan, "plan", "LYON") == [
        "dropped: could also ship the whole order alone but ranks lower"
    ]


def test_distance_unknown_ranks_last(two_line_order, places):
    stock = {"SKU-A": 9, "SKU-B": 9}
    cands = [
        Candidate(location="NOWHERE", available=stock),
        Candidate(location="BERLIN", available=stock, point=places["berlin"]),
    ]
    plan = plan_allocation(two_line_order, cands, RoutingConfig(rules=["distance"]))
    assert plan.groups[0].location == "BERLIN"
    assert reasons(plan, "distance", "NOWHERE") == [
        "ranked: location has no coordinates: ranked last"
    ]


def test_priority_cost_and_stock_balance_sorts(two_line_order):
    cands = [
        Candidate(location="A", available={"SKU-A": 3, "SKU-B": 1}, priority=5, cost=900),
        Candidate(location="B", available={"SKU-A": 40, "SKU-B": 40}, priority=5, cost=450),
        Candidate(location="C", available={"SKU-A": 9, "SKU-B": 9}, priority=1, cost=700),
    ]
    by = {
        rules[0]: plan_allocation(two_line_order, cands, RoutingConfig(rules=rules))
        for rules in (["priority", "cost"], ["cost"], ["stock_balance"])
    }
    assert by["priority"].groups[0].location == "C"
    assert by["cost"].groups[0].location == "B"
    assert reasons(by["cost"], "cost", "B") == ["ranked: costs 4.50 EUR to ship from"]
    assert by["stock_balance"].groups[0].location == "B"
    assert reasons(by["stock_balance"], "stock_balance", "A") == [
        "ranked: would keep 1 units of these SKUs after this order"
    ]


# split -----------------------------------------------------------------------------------------


def split_stock():
    return [
        Candidate(location="WH-1", available={"SKU-A": 2}, priority=1),
        Candidate(location="WH-2", available={"SKU-B": 1}, priority=2),
        Candidate(location="WH-3", available={}, priority=3),
    ]


def test_split_when_no_single_location_has_everything(two_line_order):
    plan = plan_allocation(two_line_order, split_stock(), RoutingConfig())
    assert groups(plan) == [
        ("WH-1", FulfillmentMethod.SHIP, {"a": 2}),
        ("WH-2", FulfillmentMethod.SHIP, {"b": 1}),
    ]
    assert plan.complete
    assert reasons(plan, "split") == [
        "kept: no single location has the whole order; this channel allows splitting orders"
    ]
    assert reasons(plan, "plan", "WH-2") == [
        "kept: chosen for a split (ship from warehouse): ships 1 of the 1 unit still needed"
    ]
    assert reasons(plan, "plan", "WH-3") == [
        "dropped: not needed: the locations chosen before cover the order"
    ]
    assert summary(plan).startswith("split over 2 locations; 2 units from WH-1")


def test_split_above_the_value_threshold(two_line_order):
    config = RoutingConfig(split_min_value=Money.parse("30.00", "EUR"))
    plan = plan_allocation(two_line_order, split_stock(), config)  # 3 × 10.00 EUR
    assert len(plan.groups) == 2
    assert reasons(plan, "split") == [
        "kept: no single location has the whole order; order value 30.00 EUR reaches "
        "the 30.00 EUR needed to split"
    ]


def test_no_split_below_the_value_threshold(two_line_order):
    config = RoutingConfig(split_min_value=Money.parse("50.00", "EUR"))
    plan = plan_allocation(two_line_order, split_stock(), config)
    assert groups(plan) == [("WH-1", FulfillmentMethod.SHIP, {"a": 2})]
    assert plan.backordered == {"b": 1}
    assert reasons(plan, "split") == [
        "dropped: no single location has the whole order; order value 30.00 EUR is below "
        "the 50.00 EUR needed to split"
    ]
    assert reasons(plan, "plan", "WH-1") == [
        "kept: chosen (ship from warehouse): has the most of the order (2 of 3 units); "
        "the rest waits because the order may not be split"
    ]
    assert reasons(plan, "plan", "WH-2") == [
        "dropped: not used: the order may not be split and it has only 1 of 3 units"
    ]


def test_threshold_uses_the_channel_total_when_sent(two_line_order):
    eur = lambda v: Money.parse(v, "EUR")  # noqa: E731
    two_line_order.totals = OrderTotals(
        subtotal=eur("30.00"),
        shipping=eur("25.00"),
        discounts=eur("0"),
        tax=eur("0"),
        total=eur("55.00"),
    )
    config = RoutingConfig(split_min_value=eur("50.00"))
    assert len(plan_allocation(two_line_order, split_stock(), config).groups) == 2


def test_split_disallowed_and_threshold_in_other_currency(two_line_order):
    off = plan_allocation(two_line_order, split_stock(), RoutingConfig(allow_split=False))
    assert len(off.groups) == 1
    assert reasons(off, "split") == [
        "dropped: no single location has the whole order; this channel does not split orders"
    ]
    usd = RoutingConfig(split_min_value=Money.parse("1.00", "USD"))
    plan = plan_allocation(two_line_order, split_stock(), usd)
    assert len(plan.groups) == 1
    assert "the split threshold is in USD and the order in EUR" in reasons(plan, "split")[0]


def test_fewest_splits_prefers_the_location_covering_most(make_order, make_line):
    order = make_order(
        make_line("SKU-A", 1, id="a"), make_line("SKU-B", 1, id="b"), make_line("SKU-C", 1, id="c")
    )
    cands = [
        Candidate(location="SMALL", available={"SKU-A": 1}, priority=1),
        Candidate(location="MID", available={"SKU-B": 1, "SKU-C": 1}, priority=2),
        Candidate(location="BIG", available={"SKU-A": 1, "SKU-B": 1}, priority=3),
    ]
    greedy = plan_allocation(order, cands, RoutingConfig(rules=["fewest_splits", "priority"]))
    assert [g.location for g in greedy.groups] == ["MID", "SMALL"]
    by_priority = plan_allocation(order, cands, RoutingConfig(rules=["priority"]))
    assert [g.location for g in by_priority.groups] == ["SMALL", "MID"]


def test_one_line_may_be_split_across_locations(make_order, make_line):
    order = make_order(make_line("SKU-A", 5, id="a"))
    cands = [
        Candidate(location="X", available={"SKU-A": 3}, priority=1),
        Candidate(location="Y", available={"SKU-A": 4}, priority=2),
    ]
    plan = plan_allocation(order, cands, RoutingConfig(rules=["priority"]))
    assert groups(plan) == [
        ("X", FulfillmentMethod.SHIP, {"a": 3}),
        ("Y", FulfillmentMethod.SHIP, {"a": 2}),
    ]


# store, supplier, click & collect -------------------------------------------------------------


def test_ship_from_store(two_line_order, places):
    cands = [
        Candidate(location="WH", available={"SKU-A": 1}, point=places["lyon"]),
        Candidate(
            location="STORE-PARIS",
            kind=LocationKind.STORE,
            capabilities=frozenset({SHIP, PICKUP}),
            available={"SKU-A": 4, "SKU-B": 2},
            point=places["paris"],
        ),
    ]
    plan = plan_allocation(two_line_order, cands, RoutingConfig())
    assert groups(plan) == [("STORE-PARIS", FulfillmentMethod.SHIP, {"a": 2, "b": 1})]
    assert plan.groups[0].kind is LocationKind.STORE
    assert "chosen (ship from store)" in reasons(plan, "plan", "STORE-PARIS")[0]
    assert summary(plan) == "3 units from STORE-PARIS (ship from store)"


def test_store_without_ship_capability_is_not_used_for_delivery(two_line_order):
    cands = [
        Candidate(
            location="KIOSK",
            kind=LocationKind.STORE,
            capabilities=frozenset({PICKUP}),
            available={"SKU-A": 9, "SKU-B": 9},
        )
    ]
    plan = plan_allocation(two_line_order, cands, RoutingConfig())
    assert plan.groups == []
    assert reasons(plan, "method", "KIOSK") == ["dropped: cannot ship parcels"]
    assert plan.backordered == {"a": 2, "b": 1}


def test_drop_ship_from_a_supplier(two_line_order):
    cands = [
        Candidate(location="WH", available={}),
        Candidate(
            location="ACME", kind=LocationKind.SUPPLIER, available={"SKU-A": 99, "SKU-B": 99}
        ),
    ]
    plan = plan_allocation(two_line_order, cands, RoutingConfig())
    assert groups(plan) == [("ACME", FulfillmentMethod.DROP_SHIP, {"a": 2, "b": 1})]
    assert "chosen (drop-ship by the supplier)" in reasons(plan, "plan", "ACME")[0]


def test_click_and_collect_at_the_chosen_store(make_order, make_line):
    order = make_order(make_line("SKU-A", 2, id="a"), pickup_location="STORE-LYON")
    cands = [
        Candidate(location="WH", available={"SKU-A": 50}, priority=1),
        Candidate(
            location="STORE-LYON",
            kind=LocationKind.STORE,
            capabilities=frozenset({SHIP, PICKUP}),
            available={"SKU-A": 2},
            capacity_left=0,
        ),
    ]
    config = RoutingConfig(rules=[{"rule": "location_kind", "kinds": ["warehouse"]}, "capacity"])
    plan = plan_allocation(order, cands, config)
    assert groups(plan) == [("STORE-LYON", FulfillmentMethod.PICKUP, {"a": 2})]
    assert reasons(plan, "pickup", "STORE-LYON") == [
        "kept: the customer chose this location for click & collect; no other location is "
        "considered and the channel's rules do not apply"
    ]
    assert reasons(plan, "plan", "STORE-LYON") == [
        "kept: has all 2 units: ready for click & collect"
    ]
    assert all(e.location != "WH" for e in plan.trace)
    assert summary(plan) == "2 units from STORE-LYON (click & collect)"


def test_click_and_collect_short_waits_at_the_store(make_order, make_line):
    order = make_order(make_line("SKU-A", 3, id="a"), pickup_location="STORE")
    store = Candidate(
        location="STORE",
        kind=LocationKind.STORE,
        capabilities=frozenset({PICKUP}),
        available={"SKU-A": 1},
        incoming=[IncomingLot(sku="SKU-A", quantity=5, expected_on=date(2024, 5, 20))],
    )
    warehouse = Candidate(
        location="WH",
        available={"SKU-A": 50},
        incoming=[IncomingLot(sku="SKU-A", quantity=5, expected_on=date(2024, 5, 12))],
    )
    plan = plan_allocation(order, [warehouse, store], RoutingConfig(preorder=True))
    assert groups(plan) == [("STORE", FulfillmentMethod.PICKUP, {"a": 1})]
    assert plan.preordered == [
        PreorderAllocation(line_id="a", quantity=2, location="STORE", expected_on=date(2024, 5, 20))
    ]
    assert reasons(plan, "plan", "STORE") == [
        "kept: has 1 of the 3 units for click & collect; the rest waits"
    ]


def test_click_and_collect_needs_a_pickup_location(make_order, make_line):
    order = make_order(make_line("SKU-A", 1, id="a"), pickup_location="WH")
    plan = plan_allocation(
        order, [Candidate(location="WH", available={"SKU-A": 5})], RoutingConfig()
    )
    assert plan.groups == []
    assert plan.unallocated == [
        UnallocatedLine(line_id="a", quantity=1, reason="WH does not offer click & collect")
    ]
    assert reasons(plan, "pickup", "WH") == ["dropped: WH does not offer click & collect"]
    unknown = make_order(make_line("SKU-A", 1, id="a"), pickup_location="GONE")
    plan = plan_allocation(unknown, [], RoutingConfig())
    assert plan.unallocated[0].reason == "pickup location GONE is not a location of this channel"


# backorder and preorder ------------------------------------------------------------------------


def test_backorder_what_no_location_has(two_line_order):
    cands = [Candidate(location="WH", available={"SKU-A": 2})]
    plan = plan_allocation(two_line_order, cands, RoutingConfig())
    assert groups(plan) == [("WH", FulfillmentMethod.SHIP, {"a": 2})]
    assert plan.backordered == {"b": 1}
    assert not plan.complete
    assert reasons(plan, "backorder") == [
        "kept: 1 × SKU-B backordered: not in stock at a usable location; waits for new stock"
    ]
    assert summary(plan) == "2 units from WH (ship from warehouse); 1 unit backordered"


def test_backorder_only_when_stock_is_incoming(two_line_order):
    lot = IncomingLot(sku="SKU-B", quantity=10, expected_on=date(2024, 6, 1), reference="PO-7")
    cands = [Candidate(location="WH", available={}, incoming=[lot])]
    plan = plan_allocation(two_line_order, cands, RoutingConfig(backorder="when_incoming"))
    assert plan.backordered == {"b": 1}
    assert plan.unallocated == [
        UnallocatedLine(
            line_id="a",
            quantity=2,
            reason="2 × SKU-A not in stock at a usable location and none is incoming; "
            "this channel backorders only against incoming stock",
        )
    ]
    assert reasons(plan, "backorder")[1] == (
        "kept: 1 × SKU-B backordered: not in stock at a usable location; waits for incoming stock"
    )


def test_no_backorders_leaves_units_unallocated(two_line_order):
    plan = plan_allocation(
        two_line_order, [Candidate(location="WH", available={})], RoutingConfig(backorder="never")
    )
    assert plan.backordered == {}
    assert [(u.line_id, u.quantity) for u in plan.unallocated] == [("a", 2), ("b", 1)]
    assert reasons(plan, "plan", "WH") == ["dropped: has none of the ordered items"]
    assert plan.unallocated[0].reason.endswith("this channel takes no backorders")


def test_preorder_against_incoming_stock_earliest_first(two_line_order):
    cands = [
        Candidate(
            location="WH-1",
            available={"SKU-A": 2},
            incoming=[
                IncomingLot(sku="SKU-B", quantity=1, expected_on=date(2024, 7, 1), reference="PO-9")
            ],
        ),
        Candidate(
            location="WH-2",
            available={},
            incoming=[
                IncomingLot(sku="SKU-B", quantity=1, expected_on=date(2024, 6, 3), reference="PO-4")
            ],
        ),
    ]
    plan = plan_allocation(two_line_order, cands, RoutingConfig(preorder=True))
    assert groups(plan) == [("WH-1", FulfillmentMethod.SHIP, {"a": 2})]
    assert plan.preordered == [
        PreorderAllocation(
            line_id="b", quantity=1, location="WH-2", expected_on=date(2024, 6, 3), reference="PO-4"
        )
    ]
    assert plan.backordered == {}
    assert reasons(plan, "preorder", "WH-2") == [
        "kept: 1 × SKU-B preordered against stock expected on 2024-06-03 (PO-4)"
    ]
    assert "1 unit preordered at WH-2 for 2024-06-03" in summary(plan)


def test_preorder_beyond_incoming_is_backordered(make_order, make_line):
    order = make_order(make_line("SKU-A", 5, id="a"))
    lot = IncomingLot(sku="SKU-A", quantity=3, expected_on=date(2024, 6, 3))
    plan = plan_allocation(
        order,
        [Candidate(location="WH", available={}, incoming=[lot])],
        RoutingConfig(preorder=True),
    )
    assert [(p.quantity, p.expected_on) for p in plan.preordered] == [(3, date(2024, 6, 3))]
    assert plan.backordered == {"a": 2}


def test_all_locations_filtered_out_is_explained(two_line_order):
    cands = [Candidate(location="WH", available={"SKU-A": 9, "SKU-B": 9}, capacity_left=0)]
    plan = plan_allocation(two_line_order, cands, RoutingConfig())
    assert reasons(plan, "capacity", "WH") == [
        "dropped: daily capacity used up (0 orders left today)"
    ]
    assert "dropped: no location is left to ship from after the channel's rules" in reasons(
        plan, "plan"
    )
    assert plan.backordered == {"a": 2, "b": 1}


# filters ---------------------------------------------------------------------------------------


def test_filters_keep_and_drop_with_reasons(two_line_order, make_address):
    two_line_order.shipping_address = make_address(
        country="US", region="CA", postal_code="94105", point=None
    )
    stock = {"SKU-A": 9, "SKU-B": 9}
    cands = [
        Candidate(location="CA-WH", available=stock, ships_to=frozenset({"US-CA", "US-OR"})),
        Candidate(location="NY-WH", available=stock, ships_to=frozenset({"US-NY"})),
        Candidate(location="US-STORE", kind=LocationKind.STORE, available=stock),
        Candidate(location="US-3PL", kind=LocationKind.THREE_PL, available={"SKU-A": 9}),
        Candidate(location="RET", available=stock, capabilities=frozenset({SHIP})),
    ]
    config = RoutingConfig(
        rules=[
            "destination",
            {"rule": "location_kind", "kinds": ["warehouse", "3pl"]},
            "full_stock",
            {"rule": "capability", "require": ["ship", "returns"]},
        ]
    )
    plan = plan_allocation(two_line_order, cands, config)
    assert reasons(plan, "destination", "CA-WH") == ["kept: delivers to US-CA"]
    assert reasons(plan, "destination", "NY-WH") == [
        "dropped: does not deliver to US-CA (delivers to US-NY)"
    ]
    assert reasons(plan, "location_kind", "US-STORE") == [
        "dropped: is a store; this channel only uses warehouse, 3pl"
    ]
    assert reasons(plan, "full_stock", "US-3PL") == [
        "dropped: cannot ship the whole order alone: short of SKU-B (needs 1, has 0)"
    ]
    assert reasons(plan, "full_stock", "CA-WH") == ["kept: has all 3 units of the order"]
    assert reasons(plan, "capability", "CA-WH") == ["dropped: lacks the capability returns"]
    assert plan.groups == []


# rules from plugins and config errors ---------------------------------------------------------


class OnlyEvenPriority(msgspec.Struct, frozen=True, kw_only=True):
    """A plugin-style filter with a parameter."""

    name = "parity"
    even: bool = True

    def check(self, candidate, request):
        ok = (candidate.priority % 2 == 0) == self.even
        return Verdict(keep=ok, reason="parity fits" if ok else "wrong parity")


class ByName:
    name = "by_name"

    def __init__(self, reverse=False):
        self.reverse = reverse

    def rank(self, candidate, request, remaining):
        key = -ord(candidate.location[0]) if self.reverse else ord(candidate.location[0])
        return Rank(key=key, reason=f"letter {candidate.location[0]}")


def test_plugin_rules_through_the_registry(two_line_order):
    registry = RuleRegistry.builtin()
    registry.register(OnlyEvenPriority)
    registry.register(ByName)
    stock = {"SKU-A": 9, "SKU-B": 9}
    cands = [
        Candidate(location="A", available=stock, priority=2),
        Candidate(location="B", available=stock, priority=3),
        Candidate(location="C", available=stock, priority=4),
    ]
    config = RoutingConfig(rules=["parity", {"rule": "by_name", "reverse": True}])
    plan = plan_allocation(two_line_order, cands, config, registry)
    assert plan.groups[0].location == "C"
    assert reasons(plan, "parity", "B") == ["dropped: wrong parity"]
    assert reasons(plan, "by_name", "A") == ["ranked: letter A"]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (["teleport"], "unknown routing rule 'teleport'"),
        ([{"rule": "location_kind"}], "routing rule 'location_kind': Object missing"),
        ([{"rule": "distance", "max": 5}], "routing rule 'distance': Object contains unknown"),
        ([{"kinds": ["store"]}], "needs a 'rule' name"),
    ],
)
def test_bad_routing_config_is_refused(two_line_order, rules, message):
    with pytest.raises(RoutingConfigError, match=message):
        plan_allocation(two_line_order, [], RoutingConfig(rules=rules))


def test_registry_refuses_nameless_ambiguous_and_duplicate_rules():
    registry = RuleRegistry.builtin()

    class Nameless:
        def check(self, candidate, request): ...

    class Both:
        name = "both"

        def check(self, candidate, request): ...

        def rank(self, candidate, request, remaining): ...

    class Distance:
        name = "distance"

        def rank(self, candidate, request, remaining): ...

    for rule, message in [(Nameless, "has no name"), (Both, "exactly one"), (Distance, "twice")]:
        with pytest.raises(RoutingConfigError, match=message):
            registry.register(rule)


def test_routing_config_decodes_from_settings():
    config = msgspec.convert(
        {
            "rules": ["destination", {"rule": "location_kind", "kinds": ["store"]}],
            "split_min_value": {"amount": 5000, "currency": "EUR"},
            "backorder": "when_incoming",
        },
        RoutingConfig,
    )
    assert config.split_min_value == Money.parse("50.00", "EUR")
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"backorder": "sometimes"}, RoutingConfig)


# demand ----------------------------------------------------------------------------------------


def test_lines_without_sku_and_already_allocated_units(make_order, make_line):
    order = make_order(
        make_line(None, 1, id="x", name="Mystery"),
        make_line("SKU-A", 3, id="a", quantity_allocated=2),
        make_line("SKU-B", 2, id="b", quantity_cancelled=2),
    )
    plan = plan_allocation(
        order, [Candidate(location="WH", available={"SKU-A": 5})], RoutingConfig()
    )
    assert groups(plan) == [("WH", FulfillmentMethod.SHIP, {"a": 1})]
    assert plan.unallocated == [UnallocatedLine(line_id="x", quantity=1, reason="line has no SKU")]
    assert reasons(plan, "demand") == ["dropped: line 'Mystery' has no SKU"]


def test_duplicate_candidates_are_refused(two_line_order):
    with pytest.raises(ValueError, match="listed twice: WH"):
        plan_allocation(
            two_line_order, [Candidate(location="WH"), Candidate(location="WH")], RoutingConfig()
        )


def test_trace_decisions_are_the_three_words(two_line_order):
    plan = plan_allocation(two_line_order, split_stock(), RoutingConfig())
    assert {e.decision for e in plan.trace} <= set(TraceDecision)
    assert all(e.reason for e in plan.trace)


@pytest.mark.parametrize("seed", range(40))
def test_every_unit_is_accounted_for_and_no_location_oversold(make_order, make_line, seed):
    rng = random.Random(seed)
    skus = ["S1", "S2", "S3"]
    lines = [
        make_line(rng.choice(skus), rng.randint(1, 6), id=f"l{i}") for i in range(rng.randint(1, 5))
    ]
    order = make_order(*lines)
    cands = [
        Candidate(
            location=f"L{i}",
            kind=rng.choice(list(LocationKind)),
            available={sku: rng.randint(-2, 6) for sku in skus},
            incoming=[
                IncomingLot(
                    sku=rng.choice(skus),
                    quantity=rng.randint(0, 4),
                    expected_on=date(2024, 6, i + 1),
                )
            ],
            priority=rng.randint(1, 5),
            capacity_left=rng.choice([None, 0, 3]),
        )
        for i in range(rng.randint(0, 4))
    ]
    config = RoutingConfig(
        allow_split=rng.random() < 0.7,
        preorder=rng.random() < 0.5,
        backorder=rng.choice(["always", "when_incoming", "never"]),
    )
    plan = plan_allocation(order, cands, config)
    for line in lines:
        placed = (
            plan.allocated(line.id)
            + plan.backordered.get(line.id, 0)
            + sum(p.quantity for p in plan.preordered if p.line_id == line.id)
            + sum(u.quantity for u in plan.unallocated if u.line_id == line.id)
        )
        assert placed == line.quantity
    by_location = {c.location: c for c in cands}
    for group in plan.groups:
        taken: dict[str, int] = {}
        for line_id, qty in group.lines.items():
            sku = next(line.sku for line in lines if line.id == line_id)
            taken[sku] = taken.get(sku, 0) + qty
        for sku, qty in taken.items():
            assert 0 < qty <= by_location[group.location].available[sku]
    assert len({g.location for g in plan.groups}) == len(plan.groups)
    if not config.allow_split:
        assert len(plan.groups) <= 1


class AlwaysHoldCheck:
    name = "always"

    def check(self, context):
        return HoldRequest(reason=HoldReason.PLUGIN, detail="plugin says wait")


class ParityPlugin:
    @hookimpl
    def orderhub_register_routing_rules(self, register):
        register(OnlyEvenPriority)

    @hookimpl
    def orderhub_register_checks(self, register):
        register(AlwaysHoldCheck())


def test_rules_and_checks_registered_by_a_plugin(two_line_order):
    plugins = PluginManager()
    plugins.pm.register(ParityPlugin(), name="parity")
    registry = RuleRegistry.builtin()
    for rule in plugins.routing_rules():
        registry.register(rule)
    stock = {"SKU-A": 9, "SKU-B": 9}
    cands = [
        Candidate(location="ODD", available=stock, priority=1),
        Candidate(location="EVEN", available=stock, priority=2),
    ]
    plan = plan_allocation(two_line_order, cands, RoutingConfig(rules=["parity"]), registry)
    assert plan.groups[0].location == "EVEN"
    holds = run_checks(CheckContext(order=two_line_order), plugins.checks())
    assert [(h.check, h.detail) for h in holds] == [("always", "plugin says wait")]
