"""Available to promise: how many units of a SKU a channel may sell.

The hub pools the stock of the locations that feed a channel, then shapes the number with
the channel's policy (or the policy of the SKU's group) before pushing it to the channel.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import msgspec

from orderhub.core.model.stock import StockLevel


class AtpPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a channel's published quantity is derived from the pooled available stock.

    Applied in this order to the pool (the sum of `available` over the feeding locations,
    a location below zero counting as zero):

    1. `zero_below`: when the pool is below this many units, publish 0 — the last few
       units are kept for channels that sell them more safely (e.g. the own shop);
    2. `buffer`: subtract this many units;
    3. `percentage`: publish this share of what is left, rounded down;
    4. `cap`: never publish more than this many units.

    The result is never negative. With `publish_when_unknown` false (the default), a
    feeding location whose stock the hub has never heard of makes the result None: push
    nothing, rather than a number built from half the picture.
    """

    buffer: int = 0
    percentage: int = 100
    cap: int | None = None
    zero_below: int = 0
    publish_when_unknown: bool = False

    def __post_init__(self) -> None:
        if self.buffer < 0:
            raise ValueError("buffer must be zero or more")
        if not 0 <= self.percentage <= 100:
            raise ValueError("percentage must be between 0 and 100")
        if self.cap is not None and self.cap < 0:
            raise ValueError("cap must be zero or more")
        if self.zero_below < 0:
            raise ValueError("zero_below must be zero or more")


class ChannelAtp(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A channel's availability settings: its feeding locations and its policies."""

    locations: list[str]
    """Codes of the locations whose stock this channel may sell."""
    policy: AtpPolicy = AtpPolicy()
    groups: dict[str, AtpPolicy] = {}
    """Policies for SKU groups (`Item.sku_group`) that replace `policy` for their SKUs."""

    def policy_for(self, sku_group: str | None) -> AtpPolicy:
        if sku_group is not None and sku_group in self.groups:
            return self.groups[sku_group]
        return self.policy


def pooled_available(
    levels: Iterable[StockLevel], locations: Collection[str]
) -> tuple[int, list[str]]:
    """Sum of available units over `locations`, and the locations with no known level."""
    pool = 0
    seen: set[str] = set()
    for level in levels:
        if level.location in locations:
            seen.add(level.location)
            pool += max(0, level.available)
    unknown = sorted(set(locations) - seen)
    return pool, unknown


def shape(pool: int, policy: AtpPolicy) -> int:
    """Apply a policy to a known pool of available units."""
    if pool < policy.zero_below:
        return 0
    quantity = max(0, pool - policy.buffer)
    quantity = quantity * policy.percentage // 100
    if policy.cap is not None:
        quantity = min(quantity, policy.cap)
    return quantity


def available_to_promise(
    levels: Iterable[StockLevel], locations: Collection[str], policy: AtpPolicy
) -> int | None:
    """The number to publish for one SKU on one channel, or None to publish nothing.

    `levels` are the SKU's per-location levels (any locations; those not feeding the
    channel are ignored); `locations` are the codes feeding the channel. A channel fed by
    no location has no known source either, so it gets None.
    """
    pool, unknown = pooled_available(levels, locations)
    if not locations or (unknown and not policy.publish_when_unknown):
        return None
    return shape(pool, policy)
