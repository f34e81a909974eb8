"""The order state machine: the exact set of legal moves, the refusals and their reasons."""

from __future__ import annotations

import itertools

import pytest

from orderhub.core.lifecycle import (
    EDITABLE,
    FINAL,
    TRANSITIONS,
    IllegalTransition,
    can_transition,
    check_transition,
    is_editable,
)
from orderhub.core.model.orders import OrderStatus as S

# The agreed lifecycle, written out move by move so that any change to TRANSITIONS is a
# deliberate change to this list too.
ALLOWED = """
pending -> on_hold allocated partially_allocated backordered cancelled
on_hold -> pending on_hold allocated partially_allocated backordered cancelled
allocated -> pending on_hold allocated partially_allocated backordered released cancelled
partially_allocated -> pending on_hold allocated partially_allocated backordered released cancelled
backordered -> pending on_hold allocated partially_allocated backordered cancelled
released -> allocated partially_allocated partially_shipped shipped cancelled
partially_shipped -> partially_shipped shipped
shipped -> delivered completed partially_returned returned
delivered -> completed partially_returned returned
completed -> partially_returned returned
partially_returned -> partially_returned returned completed
cancelled ->
returned ->
"""


def _allowed_pairs() -> set[tuple[S, S]]:
    pairs: set[tuple[S, S]] = set()
    for row in ALLOWED.strip().splitlines():
        source, _, targets = row.partition("->")
        pairs |= {(S(source.strip()), S(target)) for target in targets.split()}
    return pairs


ALLOWED_PAIRS = sorted(_allowed_pairs())
FORBIDDEN_PAIRS = sorted(set(itertools.product(S, S)) - set(ALLOWED_PAIRS))


def test_transitions_are_exactly_the_agreed_lifecycle() -> None:
    assert set(TRANSITIONS) == set(S), "every status needs a row"
    actual = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert actual == set(ALLOWED_PAIRS)


@pytest.mark.parametrize(("current", "target"), ALLOWED_PAIRS, ids=lambda s: s.value)
def test_every_allowed_transition_passes(current: S, target: S) -> None:
    check_transition(current, target)
    assert can_transition(current, target)


@pytest.mark.parametrize(("current", "target"), FORBIDDEN_PAIRS, ids=lambda s: s.value)
def test_every_other_transition_is_refused_with_a_reason(current: S, target: S) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransition) as caught:
        check_transition(current, target)
    error = caught.value
    assert error.current is current
    assert error.target is target
    assert error.reason == str(error)
    assert current.value in error.reason


@pytest.mark.parametrize(
    ("current", "target", "reason"),
    [
        (S.CANCELLED, S.PENDING, "order is cancelled: no further status change is possible"),
        (S.RETURNED, S.COMPLETED, "order is returned: no further status change is possible"),
        (S.CANCELLED, S.CANCELLED, "order is cancelled: no further status change is possible"),
        (
            S.SHIPPED,
            S.CANCELLED,
            "an order that is shipped cannot be cancelled; create a return instead",
        ),
        (
            S.PARTIALLY_SHIPPED,
            S.CANCELLED,
            "an order that is partially_shipped cannot be cancelled; create a return instead",
        ),
        (
            S.DELIVERED,
            S.CANCELLED,
            "an order that is delivered cannot be cancelled; create a return instead",
        ),
        (
            S.PENDING,
            S.SHIPPED,
            "cannot go from pending to shipped (allowed: allocated, backordered, cancelled, "
            "on_hold, partially_allocated)",
        ),
        (
            S.SHIPPED,
            S.PENDING,
            "cannot go from shipped to pending (allowed: completed, delivered, "
            "partially_returned, returned)",
        ),
        (
            S.RELEASED,
            S.ON_HOLD,
            "cannot go from released to on_hold (allowed: allocated, cancelled, "
            "partially_allocated, partially_shipped, shipped)",
        ),
        (S.PENDING, S.PENDING, "cannot go from pending to pending"),
    ],
)
def test_refusal_reasons(current: S, target: S, reason: str) -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(current, target)
    assert caught.value.reason.startswith(reason)


def test_final_and_editable_statuses() -> None:
    assert {S.CANCELLED, S.RETURNED} == FINAL
    assert {
        S.PENDING,
        S.ON_HOLD,
        S.ALLOCATED,
        S.PARTIALLY_ALLOCATED,
        S.BACKORDERED,
    } == EDITABLE
    assert all(is_editable(status) for status in EDITABLE)
    assert not any(is_editable(status) for status in set(S) - EDITABLE)


def test_every_status_is_reachable_from_pending() -> None:
    seen = {S.PENDING}
    frontier = [S.PENDING]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(S)


def test_every_open_status_can_still_end() -> None:
    """No trap: from every status some path leads to a final status or to completed."""
    ends = FINAL | {S.COMPLETED}
    for start in S:
        seen = {start}
        frontier = [start]
        while frontier:
            for target in TRANSITIONS[frontier.pop()]:
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
        assert seen & ends, f"{start.value} can never end"
