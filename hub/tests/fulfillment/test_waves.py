"""Release rules as arithmetic: at once, when paid, at the next wave in the location's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from orderhub.core.model import FinancialStatus
from orderhub.hub.config import ConfigError, parse_settings
from orderhub.hub.config.fulfillment import ReleaseConfig, ReleaseRule
from orderhub.hub.fulfillment.waves import is_due, next_wave

PARIS = ZoneInfo("Europe/Paris")


def test_next_wave_is_the_first_wave_time_after_planning_in_local_time():
    planned = datetime(2025, 3, 3, 8, 10, tzinfo=UTC)  # 09:10 in Paris
    assert next_wave(planned, ["09:30", "14:00"], PARIS) == datetime(
        2025, 3, 3, 9, 30, tzinfo=PARIS
    )
    late = datetime(2025, 3, 3, 14, 0, tzinfo=PARIS)  # exactly at a wave: the next one
    assert next_wave(late, ["14:00", "09:30"], PARIS) == datetime(2025, 3, 4, 9, 30, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("rule", "status", "now_local", "due"),
    [
        (ReleaseRule(mode="immediate"), FinancialStatus.PENDING, "09:00", True),
        (ReleaseRule(mode="when_paid"), FinancialStatus.AUTHORIZED, "09:00", False),
        (ReleaseRule(mode="when_paid"), FinancialStatus.PAID, "09:00", True),
        (ReleaseRule(mode="when_paid"), FinancialStatus.PARTIALLY_REFUNDED, "09:00", True),
        (ReleaseRule(mode="waves", waves=["09:30"]), FinancialStatus.PAID, "09:29", False),
        (ReleaseRule(mode="waves", waves=["09:30"]), FinancialStatus.PAID, "09:30", True),
    ],
)
def test_is_due(rule, status, now_local, due):
    planned = datetime(2025, 3, 3, 8, 55, tzinfo=PARIS)
    hour, minute = map(int, now_local.split(":"))
    now = datetime(2025, 3, 3, hour, minute, tzinfo=PARIS)

    answer, why = is_due(rule, financial_status=status, planned_at=planned, now=now, zone=PARIS)

    assert answer is due
    assert why


def test_the_first_matching_rule_wins_and_the_default_applies_otherwise():
    config = ReleaseConfig(
        mode="when_paid",
        rules=[
            ReleaseRule(mode="waves", waves=["11:00"], connection="shop", location="WH1"),
            ReleaseRule(mode="immediate", location="WH1"),
        ],
    )
    assert config.rule_for("shop", "WH1").mode == "waves"
    assert config.rule_for("other", "WH1").mode == "immediate"
    assert config.rule_for("shop", "WH2").mode == "when_paid"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"release": {"mode": "waves"}}, "needs at least one wave time"),
        ({"release": {"waves": ["25:00"]}}, "fulfillment.release.waves[0]"),
        ({"release": {"rules": [{"mode": "soon"}]}}, "fulfillment.release.rules[0].mode"),
        ({"release": {"timezone": "Mars/Olympus"}}, "unknown time zone"),
        ({"shipping": {"label_format": "GIF"}}, "fulfillment.shipping.label_format"),
        ({"shipping": {"preferred": [{"country": "FR"}]}}, "carriers"),
    ],
)
def test_bad_configuration_names_the_key(raw, message):
    with pytest.raises(ConfigError) as caught:
        parse_settings({"fulfillment": raw})
    assert message in str(caught.value)
