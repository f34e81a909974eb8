"""Routing (sourcing): which location(s) fulfil an order, and why.

`plan_allocation(order, candidates, config, registry)` is pure: the hub builds the
candidates (locations feeding the channel, with stock, incoming lots, capacity left and
cost), applies the plan in the same transaction as the reservations, and stores the trace
on the order. `POST /routing/simulate` calls the same function and applies nothing.
Rules are named in `RoutingConfig.rules`; plugins add their own (`rules` module).
`allocate_receipt` shares received stock among backordered lines, oldest order first.
"""

from orderhub.core.routing.backorders import (
    BackorderDemand,
    BackorderFill,
    ReceiptAllocation,
    allocate_receipt,
)
from orderhub.core.routing.model import (
    DEFAULT_RULES,
    AllocationPlan,
    Candidate,
    Demand,
    IncomingLot,
    PlanGroup,
    PreorderAllocation,
    Rank,
    RoutingConfig,
    RoutingRequest,
    RuleSpec,
    TraceDecision,
    TraceEntry,
    UnallocatedLine,
    Verdict,
)
from orderhub.core.routing.planner import plan_allocation, split_permission
from orderhub.core.routing.rules import (
    BUILTIN_RULES,
    FilterRule,
    RoutingConfigError,
    RuleRegistry,
    SortRule,
)

__all__ = [
    "BUILTIN_RULES",
    "DEFAULT_RULES",
    "AllocationPlan",
    "BackorderDemand",
    "BackorderFill",
    "Candidate",
    "Demand",
    "FilterRule",
    "IncomingLot",
    "PlanGroup",
    "PreorderAllocation",
    "Rank",
    "ReceiptAllocation",
    "RoutingConfig",
    "RoutingConfigError",
    "RoutingRequest",
    "RuleRegistry",
    "RuleSpec",
    "SortRule",
    "TraceDecision",
    "TraceEntry",
    "UnallocatedLine",
    "Verdict",
    "allocate_receipt",
    "plan_allocation",
    "split_permission",
]
