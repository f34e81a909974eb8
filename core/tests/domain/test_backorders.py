from datetime import UTC, datetime, timedelta, timezone

import pytest

from orderhub.core.routing import BackorderDemand, BackorderFill, allocate_receipt

T0 = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)


def waiting(order_id, line_id, qty, minutes):
    return BackorderDemand(
        order_id=order_id, line_id=line_id, quantity=qty, placed_at=T0 + timedelta(minutes=minutes)
    )


def test_oldest_order_first_whatever_the_input_order():
    demands = [
        waiting("ord_c", "c1", 2, minutes=30),
        waiting("ord_a", "a1", 3, minutes=0),
        waiting("ord_b", "b1", 4, minutes=10),
    ]
    result = allocate_receipt(6, demands)
    assert result.fills == [
        BackorderFill(order_id="ord_a", line_id="a1", quantity=3, complete=True),
        BackorderFill(order_id="ord_b", line_id="b1", quantity=3, complete=False),
    ]
    assert result.left_over == 0


def test_receipt_larger_than_demand_leaves_stock_over():
    result = allocate_receipt(10, [waiting("ord_a", "a1", 3, 0), waiting("ord_b", "b1", 2, 5)])
    assert [f.quantity for f in result.fills] == [3, 2]
    assert all(f.complete for f in result.fills)
    assert result.left_over == 5


def test_time_zones_and_ties_are_ordered_deterministically():
    paris = timezone(timedelta(hours=2))
    early_in_paris = BackorderDemand(
        order_id="ord_z",
        line_id="z1",
        quantity=1,
        placed_at=datetime(2024, 5, 10, 10, 30, tzinfo=paris),
    )  # 08:30 UTC: before T0
    tie_1 = waiting("ord_b", "b2", 1, 0)
    tie_2 = waiting("ord_b", "b1", 1, 0)
    tie_3 = waiting("ord_a", "a9", 1, 0)
    result = allocate_receipt(3, [tie_1, tie_2, tie_3, early_in_paris])
    assert [(f.order_id, f.line_id) for f in result.fills] == [
        ("ord_z", "z1"),
        ("ord_a", "a9"),
        ("ord_b", "b1"),
    ]


def test_nothing_received_or_nobody_waiting():
    assert allocate_receipt(0, [waiting("ord_a", "a1", 3, 0)]).fills == []
    assert allocate_receipt(4, []).left_over == 4
    with pytest.raises(ValueError):
        allocate_receipt(-1, [])
