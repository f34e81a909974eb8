import pytest

from orderhub.core.lifecycle import (
    check_transition,
    order_quantities,
    quantity_problems,
    settle_status,
    status_from_quantities,
)
from orderhub.core.model import OrderStatus as S


def two_lines(make_line, a: dict, b: dict):
    return [make_line("SKU-A", 4, **a), make_line("SKU-B", 2, **b)]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({}, {}, S.PENDING),
        ({"quantity_allocated": 4}, {"quantity_allocated": 2}, S.ALLOCATED),
        ({"quantity_allocated": 4}, {"quantity_backordered": 2}, S.PARTIALLY_ALLOCATED),
        ({"quantity_allocated": 1}, {}, S.PARTIALLY_ALLOCATED),
        ({"quantity_backordered": 4}, {"quantity_backordered": 2}, S.BACKORDERED),
        ({"quantity_shipped": 4}, {"quantity_allocated": 2}, S.PARTIALLY_SHIPPED),
        ({"quantity_shipped": 4}, {"quantity_shipped": 1, "quantity_cancelled": 1}, S.SHIPPED),
        ({"quantity_cancelled": 4}, {"quantity_cancelled": 2}, S.CANCELLED),
        (
            {"quantity_shipped": 4, "quantity_returned": 1},
            {"quantity_shipped": 2},
            S.PARTIALLY_RETURNED,
        ),
        (
            {"quantity_shipped": 4, "quantity_returned": 4},
            {"quantity_shipped": 2, "quantity_returned": 2},
            S.RETURNED,
        ),
    ],
)
def test_status_from_line_quantities(make_line, a, b, expected):
    assert status_from_quantities(two_lines(make_line, a, b)) is expected


def test_cancelled_units_do_not_count_as_open(make_line):
    lines = two_lines(
        make_line, {"quantity_allocated": 3, "quantity_cancelled": 1}, {"quantity_cancelled": 2}
    )
    assert status_from_quantities(lines) is S.ALLOCATED
    totals = order_quantities(lines)
    assert (totals.ordered, totals.active, totals.open, totals.unplaced) == (6, 3, 3, 0)


def test_settle_keeps_statuses_quantities_cannot_see(make_line):
    allocated = two_lines(make_line, {"quantity_allocated": 4}, {"quantity_allocated": 2})
    shipped = two_lines(make_line, {"quantity_shipped": 4}, {"quantity_shipped": 2})
    part_shipped = two_lines(make_line, {"quantity_shipped": 4}, {"quantity_allocated": 2})
    assert settle_status(S.ON_HOLD, allocated) is S.ON_HOLD
    assert settle_status(S.RELEASED, allocated) is S.RELEASED
    assert settle_status(S.RELEASED, part_shipped) is S.PARTIALLY_SHIPPED
    assert settle_status(S.DELIVERED, shipped) is S.DELIVERED
    assert settle_status(S.PENDING, allocated) is S.ALLOCATED
    assert settle_status(S.CANCELLED, allocated) is S.CANCELLED


def test_settled_status_is_a_legal_move(make_line):
    backordered = two_lines(make_line, {"quantity_backordered": 4}, {"quantity_allocated": 2})
    target = settle_status(S.BACKORDERED, backordered)
    assert target is S.PARTIALLY_ALLOCATED
    check_transition(S.BACKORDERED, target)


def test_quantity_problems_explain_inconsistent_lines(make_line):
    assert quantity_problems(make_line("SKU-A", 4, quantity_allocated=4)) == []
    assert quantity_problems(make_line("SKU-A", 4, quantity_shipped=3, quantity_cancelled=2)) == [
        "SKU-A: cancelled 2 + shipped 3 exceed ordered 4"
    ]
    assert quantity_problems(
        make_line("SKU-A", 4, quantity_allocated=3, quantity_backordered=1, quantity_shipped=1)
    ) == ["SKU-A: allocated 3 + backordered 1 exceed the 3 open units"]
    assert quantity_problems(make_line("SKU-A", 4, quantity_shipped=1, quantity_returned=2)) == [
        "SKU-A: returned 2 exceed shipped 1"
    ]
    assert quantity_problems(make_line("SKU-A", 4, quantity_allocated=-1)) == [
        "SKU-A: allocated is negative (-1)"
    ]
