"""When to try a failed inbox or outbox row again: exponential backoff with jitter.

Jitter spreads the retries of many rows that failed together (a provider outage), so they do
not all come back in the same second; a provider's own `Retry-After` always wins when longer.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from orderhub.hub.config import WorkerConfig


def backoff_seconds(
    attempt: int,
    *,
    base: float,
    maximum: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay before attempt `attempt + 1`, after `attempt` (1, 2, ...) attempts failed.

    Grows as base * 2**(attempt - 1), capped at `maximum`, then drawn uniformly from its upper
    half ("equal jitter": never less than half the nominal delay). `retry_after` is a floor.
    """
    nominal = min(maximum, base * 2 ** max(attempt - 1, 0))
    delay = nominal / 2 + rand() * nominal / 2
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return delay


def next_delay(config: WorkerConfig, attempt: int, retry_after: float | None = None) -> float:
    return backoff_seconds(
        attempt,
        base=config.backoff_base_seconds,
        maximum=config.backoff_max_seconds,
        retry_after=retry_after,
    )
