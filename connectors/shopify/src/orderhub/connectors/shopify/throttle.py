"""Shopify's cost-based leaky bucket, modelled from `extensions.cost.throttleStatus`.

Every GraphQL answer reports how full the bucket is. Knowing the restore rate, the budget
predicts how many points are available at any later moment, so a caller can wait before a
call that would be throttled instead of spending a round trip to be told so. The budget is
per app and store; the hub shares it between worker processes by reading `status` after a
call and feeding other processes' observations back through `observe`.
"""

from __future__ import annotations

import math

import msgspec


class ThrottleStatus(msgspec.Struct, frozen=True, kw_only=True):
    maximum_available: float
    currently_available: float
    restore_rate: float
    """Points per second."""
    observed_at: float
    """When it was reported, in the budget's clock (seconds, monotonic by default)."""

    def available_at(self, now: float) -> float:
        refill = max(0.0, now - self.observed_at) * self.restore_rate
        return min(self.maximum_available, self.currently_available + refill)

    def seconds_until(self, cost: float, now: float) -> float:
        """How long until `cost` points are available (0 when they already are)."""
        missing = cost - self.available_at(now)
        if missing <= 0:
            return 0.0
        if self.restore_rate <= 0:
            return math.inf
        return missing / self.restore_rate


class CostBudget:
    """The last known bucket and the last requested cost of each operation."""

    def __init__(self) -> None:
        self.status: ThrottleStatus | None = None
        self._expected: dict[str, float] = {}

    def observe(self, status: ThrottleStatus) -> None:
        """Keep whichever report leaves fewer points available now: the pessimistic one."""
        if self.status is None:
            self.status = status
            return
        now = max(status.observed_at, self.status.observed_at)
        if status.available_at(now) <= self.status.available_at(now):
            self.status = status

    def record_cost(self, operation: str, requested: float | None) -> None:
        if requested is not None:
            self._expected[operation] = requested

    def delay_before(self, operation: str, now: float) -> float:
        """Seconds to wait before `operation`, judged by what it cost the last time."""
        cost = self._expected.get(operation)
        if cost is None or self.status is None:
            return 0.0
        return self.status.seconds_until(cost, now)

    def retry_after_throttled(self, requested: float | None, now: float) -> float:
        """A sensible wait after a THROTTLED answer: time to refill what the call asked for."""
        if self.status is None or self.status.restore_rate <= 0:
            return 1.0
        cost = requested if requested is not None else 0.0
        missing = max(cost - self.status.available_at(now), 1.0)
        return round(missing / self.status.restore_rate, 3)
