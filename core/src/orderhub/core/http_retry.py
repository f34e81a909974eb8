"""When to try an HTTP call again, and after how long: shared by every connector.

Providers say "later" in the same two ways: a status (429 Too Many Requests, any 5xx) and,
sometimes, a ``Retry-After`` header in delta-seconds or as an HTTP date (RFC 9110 10.2.3).
A connector turns that into ``TransientError(message, retry_after=...)``; these functions
are the decision, pure (no I/O, the clock passed in when it matters) so they are tested once.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

TOO_MANY_REQUESTS = 429


def is_transient_status(status: int) -> bool:
    """Whether an HTTP status means "try again later": 429 and every 5xx.

    Every other 4xx is the request's fault and stays wrong however often it is sent.
    """
    return status == TOO_MANY_REQUESTS or status >= 500


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value; None when absent or unreadable.

    Delta-seconds ("120", "0.5") are taken as they are, an HTTP date
    ("Thu, 07 Mar 2024 12:01:30 GMT") as the time left until it from `now` (default: the
    current time). A wait in the past, or negative, is 0: retry now. Non-finite numbers
    ("nan", "inf") are unreadable.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)
