"""Backoff: exponential, capped, jittered, and never shorter than the provider asked."""

from __future__ import annotations

from orderhub.hub.sync.retry import backoff_seconds


def test_backoff_doubles_per_attempt_within_the_upper_half():
    lowest = [backoff_seconds(n, base=2, maximum=600, rand=lambda: 0.0) for n in (1, 2, 3, 4)]
    highest = [backoff_seconds(n, base=2, maximum=600, rand=lambda: 1.0) for n in (1, 2, 3, 4)]
    assert lowest == [1, 2, 4, 8]
    assert highest == [2, 4, 8, 16]


def test_backoff_is_capped():
    assert backoff_seconds(30, base=2, maximum=600, rand=lambda: 1.0) == 600
    assert backoff_seconds(30, base=2, maximum=600, rand=lambda: 0.0) == 300


def test_retry_after_is_a_floor_not_a_cap():
    assert backoff_seconds(1, base=2, maximum=600, retry_after=45, rand=lambda: 1.0) == 45
    assert backoff_seconds(1, base=2, maximum=600, retry_after=900, rand=lambda: 1.0) == 900
    assert backoff_seconds(8, base=2, maximum=600, retry_after=1, rand=lambda: 1.0) == 256


def test_jitter_spreads_rows_that_failed_together():
    delays = {backoff_seconds(3, base=2, maximum=600) for _ in range(50)}
    assert len(delays) > 40
    assert all(4 <= delay <= 8 for delay in delays)
