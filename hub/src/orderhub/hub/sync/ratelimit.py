"""One rate budget per connection, shared by every worker and process through Redis.

Providers such as Shopify meter an app per store with a leaky bucket and report its level
after each call (`extensions.cost.throttleStatus`). One process learns the level from its
own calls only; with several workers calling the same store, each would spend points the
others already spent. So the bucket lives in Redis, one hash per connection:

- before a call, `budget()` takes the call's expected cost from the shared bucket (a Lua
  script, atomic, on Redis's clock). If the points are not there it waits for the refill,
  or, when the wait is longer than `MAX_WAIT_SECONDS`, raises `TransientError` with
  `retry_after`, so the outbox retries the row after that time instead of holding a worker;
- it hands the shared level to the connector (`observe_throttle`), which then paces its
  own calls inside the job by the freshest number any worker has seen;
- after the call it publishes what the provider reported (`throttle_status`). Reports
  are merged pessimistically, both projected to now: the lower level wins, so the points
  another worker took a moment ago are not forgotten;
- it learns what each operation costs (points consumed between the level before and the
  level after), so the next take asks for a realistic amount.

A connector takes part by exposing `throttle_status` (None, or an object with
`maximum_available`, `currently_available`, `restore_rate` and `observed_at` in
`time.monotonic()` seconds) and `observe_throttle(status)`, whose annotation names the
status type to build. Connectors without them, and a hub whose Redis is down, call
without a shared budget: the provider's own THROTTLED/429 answers still hold them back.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import typing
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec

from orderhub.core.connectors import TransientError

if typing.TYPE_CHECKING:
    from orderhub.hub.jobs import JobQueue
    from orderhub.hub.runtime import Hub

log = logging.getLogger(__name__)

MAX_WAIT_SECONDS = 5.0
"""Longest a worker sleeps for the shared bucket; beyond it the row is retried later."""
DEFAULT_COST = 10.0
"""Points taken for an operation whose cost is not known yet (a Shopify mutation costs 10)."""
TTL_SECONDS = 3600
"""Buckets and costs nobody used for an hour are forgotten; the next report recreates them."""

_PREFIX = "orderhub:ratelimit:"

# KEYS[1] bucket; ARGV: cost, ttl. Returns {wait seconds, level before the take, maximum,
# restore rate} as strings (Lua numbers would be truncated to integers), or {} when no level
# is known yet.
_TAKE = """
local b = redis.call('HMGET', KEYS[1], 'max', 'available', 'rate', 'at')
if not b[1] then return {} end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local max, avail, rate, at = tonumber(b[1]), tonumber(b[2]), tonumber(b[3]), tonumber(b[4])
local level = math.min(max, avail + math.max(0, now - at) * rate)
local cost = tonumber(ARGV[1])
local wait = 0
if level >= cost then
  redis.call('HSET', KEYS[1], 'available', tostring(level - cost), 'at', tostring(now))
  redis.call('EXPIRE', KEYS[1], ARGV[2])
elseif rate <= 0 then
  wait = -1
else
  wait = (cost - level) / rate
end
return {tostring(wait), tostring(level), b[1], b[3]}
"""

# KEYS[1] bucket; ARGV: max, available, rate, age of the report in seconds, ttl.
# Keeps whichever level is lower once both are projected to now. Returns that level.
_OBSERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local max, avail, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local level = math.min(max, avail + math.max(0, tonumber(ARGV[4])) * rate)
local b = redis.call('HMGET', KEYS[1], 'max', 'available', 'rate', 'at')
if b[1] then
  local known = math.min(tonumber(b[1]), tonumber(b[2]) + math.max(0, now - tonumber(b[4])) * tonumber(b[3]))
  if known < level then level = known end
end
redis.call('HSET', KEYS[1], 'max', tostring(max), 'available', tostring(level),
           'rate', tostring(rate), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], ARGV[5])
return tostring(level)
"""


class SharedLevel(msgspec.Struct, frozen=True, kw_only=True):
    """The shared bucket as one take saw it."""

    wait: float
    """Seconds until the expected cost is available (0: it was taken; inf: never)."""
    level: float
    """Points available before the take."""
    maximum: float
    restore_rate: float


def bucket_key(connection_id: str) -> str:
    return f"{_PREFIX}{connection_id}"


def cost_key(connection_id: str) -> str:
    return f"{_PREFIX}{connection_id}:costs"


def reports_throttle(connector: Any) -> bool:
    """Whether the connector takes part in a shared budget (see the module docstring)."""
    return callable(getattr(connector, "observe_throttle", None)) and hasattr(
        type(connector), "throttle_status"
    )


def level_at(status: Any, moment: float) -> float:
    """A reported level projected to `moment` (same clock): refilled, never above maximum."""
    refill = max(0.0, moment - status.observed_at) * status.restore_rate
    return min(status.maximum_available, status.currently_available + refill)


def _status_type(connector: Any) -> type | None:
    """The status type `observe_throttle` takes, from its annotation."""
    try:
        hints = typing.get_type_hints(connector.observe_throttle)
    except Exception:  # an annotation that does not resolve: publish only, never feed
        return None
    kind = hints.get("status")
    return kind if isinstance(kind, type) else None


class SharedBudget:
    """The Redis side of the shared budgets (its scripts registered once per client)."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis
        self._take = redis.register_script(_TAKE)
        self._observe = redis.register_script(_OBSERVE)

    async def take(self, connection_id: str, cost: float) -> SharedLevel | None:
        """Take `cost` points if they are there; None while no level is known."""
        answer = await self._take(keys=[bucket_key(connection_id)], args=[cost, TTL_SECONDS])
        if not answer:
            return None
        wait, level, maximum, rate = (float(value) for value in answer)
        return SharedLevel(
            wait=math.inf if wait < 0 else wait, level=level, maximum=maximum, restore_rate=rate
        )

    async def publish(self, connection_id: str, status: Any) -> float:
        """Merge a provider report into the shared bucket; returns the level kept."""
        level = await self._observe(
            keys=[bucket_key(connection_id)],
            args=[
                status.maximum_available,
                status.currently_available,
                status.restore_rate,
                time.monotonic() - status.observed_at,
                TTL_SECONDS,
            ],
        )
        return float(level)

    async def expected_cost(self, connection_id: str, operation: str) -> float:
        value = await self.redis.hget(cost_key(connection_id), operation)
        return float(value) if value is not None else DEFAULT_COST

    async def learn_cost(self, connection_id: str, operation: str, cost: float) -> None:
        key = cost_key(connection_id)
        await self.redis.hset(key, operation, str(max(1.0, round(cost, 3))))
        await self.redis.expire(key, TTL_SECONDS)


class RateBudgets:
    """The process's `SharedBudget`, made on first use over the job queue's Redis pool."""

    def __init__(self, jobs: JobQueue) -> None:
        self.jobs = jobs
        self._shared: SharedBudget | None = None
        self._redis: Any = None

    async def shared(self) -> SharedBudget | None:
        """The shared budgets, or None when Redis cannot be reached."""
        try:
            redis = await self.jobs.redis()
        except Exception as exc:  # Redis down: call without sharing rather than not at all
            log.warning("rate budget not shared, Redis unavailable: %s", exc)
            return None
        if self._shared is None or self._redis is not redis:
            self._shared, self._redis = SharedBudget(redis), redis
        return self._shared


async def shared_budget(hub: Hub) -> SharedBudget | None:
    """The hub's shared budgets, or None when Redis cannot be reached."""
    return await hub.rate_budgets.shared()


def _feed(connector: Any, taken: SharedLevel) -> None:
    """Give the connector the shared level, in the type and clock it reports in."""
    status_type = _status_type(connector)
    if status_type is None:
        return
    try:
        status = msgspec.convert(
            {
                "maximum_available": taken.maximum,
                "currently_available": taken.level,
                "restore_rate": taken.restore_rate,
                "observed_at": time.monotonic(),
            },
            status_type,
        )
    except (msgspec.ValidationError, TypeError):
        return
    connector.observe_throttle(status)


async def _before_call(
    shared: SharedBudget, connection_id: str, operation: str, connector: Any
) -> None:
    """Take the operation's expected cost from the shared bucket (waiting briefly if need
    be) and pass the shared level on to the connector."""
    cost = await shared.expected_cost(connection_id, operation)
    taken = await shared.take(connection_id, cost)
    if taken is None:
        return
    if taken.wait > 0:
        if taken.wait > MAX_WAIT_SECONDS:
            raise TransientError(
                f"{connection_id}: the shared rate budget needs {taken.wait:.1f}s to refill "
                f"for {operation}",
                retry_after=round(taken.wait, 3),
            )
        await asyncio.sleep(taken.wait)
        taken = await shared.take(connection_id, cost) or taken
    _feed(connector, taken)


async def _after_call(
    shared: SharedBudget,
    connection_id: str,
    operation: str,
    connector: Any,
    before: Any,
    succeeded: bool,
) -> None:
    """Publish the provider's latest report and learn what the operation cost."""
    after = connector.throttle_status
    if after is None or after == before:
        return
    try:
        await shared.publish(connection_id, after)
        if succeeded and before is not None:
            spent = level_at(before, after.observed_at) - after.currently_available
            if spent > 0:
                await shared.learn_cost(connection_id, operation, spent)
    except Exception as exc:
        log.warning("could not share the rate budget of %s: %s", connection_id, exc)


@asynccontextmanager
async def budget(hub: Hub, connection_id: str, operation: str) -> AsyncIterator[None]:
    """Run the body (one job's calls to `connection_id`) within the shared budget.

    Raises `TransientError(retry_after=...)` before any call when the shared bucket needs
    longer than `MAX_WAIT_SECONDS` to hold the operation's expected cost.
    """
    connector = hub.connector(connection_id)
    shared = await shared_budget(hub) if reports_throttle(connector) else None
    if shared is not None:
        try:
            await _before_call(shared, connection_id, operation, connector)
        except TransientError:
            raise
        except Exception as exc:  # Redis failed mid-way: go on without sharing
            log.warning("rate budget of %s not shared: %s", connection_id, exc)
            shared = None
    if shared is None:
        yield
        return
    before = connector.throttle_status
    succeeded = False
    try:
        yield
        succeeded = True
    finally:
        await _after_call(shared, connection_id, operation, connector, before, succeeded)
