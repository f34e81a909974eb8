import msgspec
import pytest

from orderhub.core.atp import AtpPolicy, ChannelAtp, available_to_promise, shape
from orderhub.core.model import StockLevel


def levels(**per_location: tuple[int, int, int]) -> list[StockLevel]:
    """location=(on_hand, reserved, safety_stock)."""
    return [
        StockLevel(sku="SKU-A", location=loc, on_hand=oh, reserved=rs, safety_stock=ss)
        for loc, (oh, rs, ss) in per_location.items()
    ]


STOCK = levels(wh=(50, 10, 5), store=(8, 2, 0), other=(100, 0, 0))
"""wh: 35 available, store: 6; `other` does not feed the channel."""


def test_pool_sums_available_of_feeding_locations_only():
    assert available_to_promise(STOCK, {"wh", "store"}, AtpPolicy()) == 41


def test_location_below_zero_does_not_eat_others_stock():
    stock = levels(wh=(3, 2, 5), store=(4, 0, 0))
    assert available_to_promise(stock, {"wh", "store"}, AtpPolicy()) == 4


def test_buffer_subtracts_units_and_never_goes_negative():
    assert available_to_promise(STOCK, {"wh", "store"}, AtpPolicy(buffer=5)) == 36
    assert available_to_promise(STOCK, {"store"}, AtpPolicy(buffer=10)) == 0


def test_percentage_rounds_down():
    assert available_to_promise(STOCK, {"wh", "store"}, AtpPolicy(percentage=50)) == 20
    assert available_to_promise(STOCK, {"store"}, AtpPolicy(percentage=33)) == 1


def test_cap_limits_what_is_published():
    assert available_to_promise(STOCK, {"wh", "store"}, AtpPolicy(cap=10)) == 10
    assert available_to_promise(STOCK, {"store"}, AtpPolicy(cap=10)) == 6


def test_zero_below_threshold_looks_at_real_stock():
    assert available_to_promise(STOCK, {"store"}, AtpPolicy(zero_below=7)) == 0
    assert available_to_promise(STOCK, {"store"}, AtpPolicy(zero_below=6)) == 6


def test_policies_combine_in_documented_order():
    policy = AtpPolicy(zero_below=10, buffer=1, percentage=50, cap=15)
    assert shape(9, policy) == 0
    assert shape(11, policy) == 5  # (11 - 1) * 50%
    assert shape(41, policy) == 15  # (41 - 1) * 50% = 20, capped


def test_unknown_source_publishes_nothing():
    assert available_to_promise(STOCK, {"wh", "3pl"}, AtpPolicy()) is None
    assert available_to_promise(STOCK, set(), AtpPolicy()) is None


def test_unknown_source_can_count_as_zero_when_allowed():
    assert available_to_promise(STOCK, {"wh", "3pl"}, AtpPolicy(publish_when_unknown=True)) == 35


def test_sku_group_policy_replaces_channel_policy():
    channel = ChannelAtp(
        locations=["wh", "store"],
        policy=AtpPolicy(buffer=2),
        groups={"clearance": AtpPolicy(cap=3)},
    )
    assert available_to_promise(STOCK, channel.locations, channel.policy_for(None)) == 39
    assert available_to_promise(STOCK, channel.locations, channel.policy_for("clearance")) == 3
    assert available_to_promise(STOCK, channel.locations, channel.policy_for("other")) == 39


@pytest.mark.parametrize(
    "bad",
    [{"percentage": 101}, {"buffer": -1}, {"cap": -5}, {"zero_below": -1}, {"buffr": 2}],
)
def test_invalid_policy_is_refused_when_decoded(bad):
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"locations": ["wh"], "policy": bad}, ChannelAtp)
