"""The shared rate budget: one Redis bucket per connection, used by every worker and process.

Two hubs stand for two worker processes: each has its own connector instance (its own idea
of the provider's bucket) and they share only Redis and the database.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, ClassVar

import msgspec
import pytest

from orderhub.core.connection import Connection
from orderhub.core.connectors import Capability, TransientError
from orderhub.core.testing import FakeChannel, connector_plugin
from orderhub.hub.assembly import open_hub
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import OutboxRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.sync import outbox, ratelimit
from orderhub.hub.sync.dispatch import dispatch_outbox

CONNECTION = "metered"


class Level(msgspec.Struct, frozen=True, kw_only=True):
    """A provider's bucket report (the shape ratelimit reads: Shopify's ThrottleStatus)."""

    maximum_available: float
    currently_available: float
    restore_rate: float
    observed_at: float


class MeteredChannel(FakeChannel):
    """A channel whose provider meters calls with a leaky bucket and reports its level.

    `report` is the level the provider answers with after the next call; every call and
    every level the hub fed in are recorded.
    """

    name: ClassVar[str] = "metered"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.PUSH_STOCK})

    def __init__(self, connection: Connection, *, http: Any = None) -> None:
        super().__init__(connection, http=http)
        self.status: Level | None = None
        self.fed: list[Level] = []
        self.report: float | None = None

    @property
    def throttle_status(self) -> Level | None:
        return self.status

    def observe_throttle(self, status: Level) -> None:
        self.fed.append(status)
        self.status = status

    async def push_stock(self, updates: Sequence[Any]) -> None:
        await super().push_stock(updates)
        if self.report is not None:
            self.status = Level(
                maximum_available=1000.0,
                currently_available=self.report,
                restore_rate=50.0,
                observed_at=time.monotonic(),
            )


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [connector_plugin(MeteredChannel)]


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {
        "plugins": {"allow": ["manual", "spreadsheet"]},
        "connections": {CONNECTION: {"connector": "metered"}},
        "worker": {"backoff_base_seconds": 0.05, "backoff_max_seconds": 0.2},
    }


@pytest.fixture
async def other_hub(hub: Hub) -> Any:
    """A second process's hub: same settings, database and Redis, its own connectors."""
    instance = open_hub(hub.settings, plugins=hub.plugins)
    yield instance
    await instance.aclose()


def level(available: float, *, age: float = 0.0) -> Level:
    return Level(
        maximum_available=1000.0,
        currently_available=available,
        restore_rate=50.0,
        observed_at=time.monotonic() - age,
    )


async def test_take_is_refused_until_the_bucket_refills(hub):
    shared = await ratelimit.shared_budget(hub)

    assert await shared.take(CONNECTION, 10) is None  # nothing known yet: go ahead
    assert await shared.publish(CONNECTION, level(100)) == pytest.approx(100, abs=1)
    taken = await shared.take(CONNECTION, 60)
    assert taken.wait == 0 and taken.level == pytest.approx(100, abs=1)
    short = await shared.take(CONNECTION, 60)  # 40 left: 20 missing at 50 points/s
    assert short.wait == pytest.approx(0.4, abs=0.05)
    assert short.level == pytest.approx(40, abs=1)


async def test_the_lower_of_two_reports_wins_once_both_are_projected_to_now(hub):
    shared = await ratelimit.shared_budget(hub)

    await shared.publish(CONNECTION, level(900))
    kept = await shared.publish(CONNECTION, level(200))
    assert kept == pytest.approx(200, abs=1)
    # An older report of 100 has refilled to 100 + 10 s * 50/s = 600 by now: 200 stays.
    kept = await shared.publish(CONNECTION, level(100, age=10))
    assert kept == pytest.approx(200, abs=2)
    # A report that refilled to the maximum never exceeds it.
    redis = await hub.queue()
    await redis.delete(ratelimit.bucket_key(CONNECTION))
    assert await shared.publish(CONNECTION, level(990, age=60)) == pytest.approx(1000)


async def test_a_report_made_in_one_process_holds_back_the_next_call_in_another(hub, other_hub):
    first = hub.connector(CONNECTION)
    first.report = 5.0  # the provider says the bucket is nearly empty after this call
    async with ratelimit.budget(hub, CONNECTION, "push_stock"):
        await first.push_stock(["a"])

    second = other_hub.connector(CONNECTION)
    assert second.status is None
    redis = await other_hub.queue()
    await redis.hset(ratelimit.cost_key(CONNECTION), "push_stock", "1000")  # 20 s at 50/s
    with pytest.raises(TransientError) as raised:
        async with ratelimit.budget(other_hub, CONNECTION, "push_stock"):
            await second.push_stock(["b"])
    assert raised.value.retry_after == pytest.approx((1000 - 5) / 50, abs=0.5)
    assert second.calls == []


async def test_the_shared_level_is_handed_to_the_connector_before_its_call(hub, other_hub):
    first = hub.connector(CONNECTION)
    first.report = 400.0
    async with ratelimit.budget(hub, CONNECTION, "push_stock"):
        await first.push_stock(["a"])

    second = other_hub.connector(CONNECTION)
    async with ratelimit.budget(other_hub, CONNECTION, "push_stock"):
        await second.push_stock(["b"])

    (fed,) = second.fed
    assert fed.maximum_available == 1000.0 and fed.restore_rate == 50.0
    assert 400 <= fed.currently_available <= 420  # refilled a little since the report


async def test_each_operation_learns_what_it_costs(hub):
    connector = hub.connector(CONNECTION)
    connector.report = 900.0
    async with ratelimit.budget(hub, CONNECTION, "push_stock"):
        await connector.push_stock(["a"])  # the first report: nothing to compare with yet
    connector.report = 870.0
    async with ratelimit.budget(hub, CONNECTION, "push_stock"):
        await connector.push_stock(["b"])

    shared = await ratelimit.shared_budget(hub)
    assert await shared.expected_cost(CONNECTION, "push_stock") == pytest.approx(30, abs=3)
    assert await shared.expected_cost(CONNECTION, "push_refund") == ratelimit.DEFAULT_COST


async def test_a_push_the_shared_bucket_cannot_cover_is_retried_after_the_refill(hub):
    shared = await ratelimit.shared_budget(hub)
    await shared.publish(CONNECTION, level(0))
    redis = await hub.queue()
    await redis.hset(ratelimit.cost_key(CONNECTION), "push_stock", "500")  # 10 s at 50/s
    async with hub.transaction() as session:
        row_id = await outbox.enqueue(
            session,
            connection_id=CONNECTION,
            operation="push_stock",
            payload={"sku": "MUG", "quantity": 3, "idempotency_key": "k1"},
            idempotency_key="k1",
        )

    before = utcnow()
    outcome = await dispatch_outbox({"hub": hub}, row_id, 0)

    assert outcome == "retry"
    assert hub.connector(CONNECTION).calls == []
    async with hub.read() as session:
        row = await session.get(OutboxRow, row_id)
    assert row.status == "pending" and row.attempts == 1
    assert "shared rate budget" in row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=9)  # backoff alone is 0.2 s
