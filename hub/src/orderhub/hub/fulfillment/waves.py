"""Release rules as arithmetic: is a planned group due, and when is the next wave.

Pure: the release job passes the clock in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from orderhub.core.model import FinancialStatus
from orderhub.hub.config.fulfillment import ReleaseRule, wave_times

PAID = frozenset({FinancialStatus.PAID, FinancialStatus.PARTIALLY_REFUNDED})
"""Financial statuses that count as paid for `when_paid`: a partial refund came after a
payment."""


def next_wave(after: datetime, waves: list[str], zone: ZoneInfo) -> datetime:
    """The first wave time strictly after `after`, in the zone's local days."""
    times = wave_times(waves)
    local = after.astimezone(zone)
    for offset in range(2):
        day = local.date() + timedelta(days=offset)
        for at in times:
            candidate = datetime.combine(day, at, tzinfo=zone)
            if candidate > local:
                return candidate
    raise AssertionError("a wave list is never empty")  # the config refuses empty lists


def is_due(
    rule: ReleaseRule,
    *,
    financial_status: FinancialStatus,
    planned_at: datetime,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[bool, str]:
    """Whether a group planned at `planned_at` is released at `now` under `rule`, and why."""
    if rule.mode == "immediate":
        return True, "released at once"
    if rule.mode == "when_paid":
        if financial_status in PAID:
            return True, f"released because the order is {financial_status.value}"
        return False, f"waits for payment (order is {financial_status.value})"
    wave = next_wave(planned_at, rule.waves, zone)
    if wave <= now:
        return True, f"released in the {wave:%H:%M} wave"
    return False, f"waits for the {wave:%H:%M} wave ({zone.key})"
