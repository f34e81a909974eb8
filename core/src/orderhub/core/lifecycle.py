"""The order state machine. The hub asks here before it changes an order's status."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from orderhub.core.model.orders import OrderLine
from orderhub.core.model.orders import OrderStatus as S


class IllegalTransition(Exception):
    """A status change the lifecycle forbids; the API answers 409 with `reason`."""

    def __init__(self, current: S, target: S, reason: str) -> None:
        super().__init__(reason)
        self.current = current
        self.target = target
        self.reason = reason


_ALLOCATING = {S.ALLOCATED, S.PARTIALLY_ALLOCATED, S.BACKORDERED}

TRANSITIONS: dict[S, frozenset[S]] = {
    S.PENDING: frozenset({S.ON_HOLD, *_ALLOCATING, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.PENDING, S.ON_HOLD, *_ALLOCATING, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.PENDING, S.ON_HOLD, *_ALLOCATING, S.RELEASED, S.CANCELLED}),
    S.PARTIALLY_ALLOCATED: frozenset({S.PENDING, S.ON_HOLD, *_ALLOCATING, S.RELEASED, S.CANCELLED}),
    S.BACKORDERED: frozenset({S.PENDING, S.ON_HOLD, *_ALLOCATING, S.CANCELLED}),
    S.RELEASED: frozenset(
        {S.ALLOCATED, S.PARTIALLY_ALLOCATED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}
    ),
    S.PARTIALLY_SHIPPED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.COMPLETED, S.PARTIALLY_RETURNED, S.RETURNED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.PARTIALLY_RETURNED, S.RETURNED}),
    S.COMPLETED: frozenset({S.PARTIALLY_RETURNED, S.RETURNED}),
    S.PARTIALLY_RETURNED: frozenset({S.PARTIALLY_RETURNED, S.RETURNED, S.COMPLETED}),
    S.CANCELLED: frozenset(),
    S.RETURNED: frozenset(),
}
"""Every legal move. A status not listed as a target of another cannot be reached from it."""

EDITABLE = frozenset({S.PENDING, S.ON_HOLD, *_ALLOCATING})
"""Statuses in which lines, address and shipping method may still change (before release)."""

FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


def check_transition(current: S, target: S) -> None:
    """Raise `IllegalTransition` with a human reason when `current -> target` is not allowed."""
    if target in TRANSITIONS[current]:
        return
    if current in FINAL:
        reason = f"order is {current.value}: no further status change is possible"
    elif target is S.CANCELLED:
        reason = f"an order that is {current.value} cannot be cancelled; create a return instead"
    else:
        allowed = ", ".join(sorted(t.value for t in TRANSITIONS[current])) or "none"
        reason = f"cannot go from {current.value} to {target.value} (allowed: {allowed})"
    raise IllegalTransition(current, target, reason)


def can_transition(current: S, target: S) -> bool:
    return target in TRANSITIONS[current]


def is_editable(status: S) -> bool:
    return status in EDITABLE


# Per-line quantities -------------------------------------------------------------------------
#
# A line's units move through: ordered (`quantity`) = cancelled + shipped + open, where the
# open units are allocated (reserved at a location), backordered (waiting for incoming stock)
# or not yet placed. Returned units are a part of the shipped ones.


class LineQuantities(msgspec.Struct, frozen=True, kw_only=True):
    """Unit counts of one line or summed over an order."""

    ordered: int = 0
    allocated: int = 0
    backordered: int = 0
    shipped: int = 0
    cancelled: int = 0
    returned: int = 0

    @property
    def active(self) -> int:
        """Units the customer still wants: ordered minus cancelled."""
        return self.ordered - self.cancelled

    @property
    def open(self) -> int:
        """Units still to allocate or ship."""
        return self.ordered - self.cancelled - self.shipped

    @property
    def unplaced(self) -> int:
        """Open units neither allocated nor backordered: routing has yet to place them."""
        return self.open - self.allocated - self.backordered

    def __add__(self, other: LineQuantities) -> LineQuantities:
        return LineQuantities(
            ordered=self.ordered + other.ordered,
            allocated=self.allocated + other.allocated,
            backordered=self.backordered + other.backordered,
            shipped=self.shipped + other.shipped,
            cancelled=self.cancelled + other.cancelled,
            returned=self.returned + other.returned,
        )


def line_quantities(line: OrderLine) -> LineQuantities:
    return LineQuantities(
        ordered=line.quantity,
        allocated=line.quantity_allocated,
        backordered=line.quantity_backordered,
        shipped=line.quantity_shipped,
        cancelled=line.quantity_cancelled,
        returned=line.quantity_returned,
    )


def order_quantities(lines: Iterable[OrderLine]) -> LineQuantities:
    result = LineQuantities()
    for line in lines:
        result = result + line_quantities(line)
    return result


def quantity_problems(line: OrderLine) -> list[str]:
    """Why a line's counts are inconsistent, in words; empty when they add up."""
    q = line_quantities(line)
    label = line.sku or line.name
    problems = [
        f"{label}: {name} is negative ({value})"
        for name, value in (
            ("ordered", q.ordered),
            ("allocated", q.allocated),
            ("backordered", q.backordered),
            ("shipped", q.shipped),
            ("cancelled", q.cancelled),
            ("returned", q.returned),
        )
        if value < 0
    ]
    if problems:
        return problems
    if q.cancelled + q.shipped > q.ordered:
        problems.append(
            f"{label}: cancelled {q.cancelled} + shipped {q.shipped} exceed ordered {q.ordered}"
        )
    elif q.allocated + q.backordered > q.open:
        problems.append(
            f"{label}: allocated {q.allocated} + backordered {q.backordered} exceed "
            f"the {q.open} open units"
        )
    if q.returned > q.shipped:
        problems.append(f"{label}: returned {q.returned} exceed shipped {q.shipped}")
    return problems


def status_from_quantities(lines: Iterable[OrderLine]) -> S:
    """The status the line quantities alone describe.

    Holds, release, delivery and completion are not visible in quantities; `settle_status`
    combines this with the current status.
    """
    q = order_quantities(lines)
    if q.active <= 0:
        return S.CANCELLED
    if q.returned > 0:
        return S.RETURNED if q.returned >= q.active else S.PARTIALLY_RETURNED
    if q.shipped >= q.active:
        return S.SHIPPED
    if q.shipped > 0:
        return S.PARTIALLY_SHIPPED
    if q.allocated >= q.open:
        return S.ALLOCATED
    if q.allocated > 0:
        return S.PARTIALLY_ALLOCATED
    if q.backordered > 0:
        return S.BACKORDERED
    return S.PENDING


_AFTER_SHIPPING = {S.DELIVERED, S.COMPLETED}


def settle_status(current: S, lines: Iterable[OrderLine]) -> S:
    """The status an order should have after its quantities changed.

    Statuses quantities cannot see are kept: an order on hold stays on hold until the hold
    is released, a released order stays released until something ships, a delivered or
    completed order stays so until a return. Final statuses never change.
    """
    derived = status_from_quantities(lines)
    if current in FINAL or derived is current:
        return current
    if derived in {S.CANCELLED, S.PARTIALLY_RETURNED, S.RETURNED, S.PARTIALLY_SHIPPED}:
        return derived
    if derived is S.SHIPPED:
        return current if current in _AFTER_SHIPPING else S.SHIPPED
    if current is S.ON_HOLD:
        return S.ON_HOLD
    if current is S.RELEASED and derived in {S.ALLOCATED, S.PARTIALLY_ALLOCATED}:
        return S.RELEASED
    return derived
