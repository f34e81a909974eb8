"""Retry-After parsing and transient-status classification, by example and by property."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.core.http_retry import is_transient_status, retry_after_seconds

NOW = datetime(2024, 3, 7, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0.5", 0.5),
        ("0", 0.0),
        ("Thu, 07 Mar 2024 12:01:30 GMT", 90.0),
        ("Thu, 07 Mar 2024 11:59:00 GMT", 0.0),  # already past: retry now
        ("Thursday, 07-Mar-24 12:00:10 GMT", 10.0),  # the obsolete RFC 850 form
        ("-3", 0.0),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(header: str | None, seconds: float | None):
    assert retry_after_seconds(header, now=NOW) == seconds


@given(st.integers(min_value=0, max_value=10**9))
def test_delta_seconds_are_taken_as_they_are(seconds: int) -> None:
    assert retry_after_seconds(str(seconds), now=NOW) == float(seconds)


@given(st.integers(min_value=-(10**8), max_value=10**8))
def test_an_http_date_is_the_time_left_until_it(offset: int) -> None:
    header = format_datetime(NOW + timedelta(seconds=offset), usegmt=True)
    assert retry_after_seconds(header, now=NOW) == max(float(offset), 0.0)


@given(st.text(max_size=60))
def test_any_header_gives_none_or_a_finite_wait(header: str) -> None:
    seconds = retry_after_seconds(header, now=NOW)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0.0)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 599])
def test_too_many_requests_and_server_errors_are_transient(status: int) -> None:
    assert is_transient_status(status)


@given(st.integers(min_value=100, max_value=499).filter(lambda status: status != 429))
def test_other_statuses_are_not_transient(status: int) -> None:
    assert not is_transient_status(status)
