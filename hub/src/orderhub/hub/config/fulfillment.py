"""How fulfillment is configured: release rules, carrier choice, labels and tracking polls.

In the TOML file::

    [fulfillment.release]
    mode = "immediate"                 # immediate | when_paid | waves
    waves = ["09:30", "14:00"]         # local times of the location (mode = "waves")
    [[fulfillment.release.rules]]       # first match wins; unset keys match anything
    connection = "shop"
    location = "PAR-WH"
    mode = "waves"
    waves = ["11:00"]

    [fulfillment.shipping]
    service_levels = { standard = 5, express = 2, overnight = 1 }
    preferred = [{ country = "FR", carriers = ["colissimo"] }]
    label_format = "PDF"
    label_dir = "/var/lib/orderhub/labels"     # default: label files kept in the database

    [fulfillment.tracking]
    poll_every_minutes = 60

Every struct is decoded strictly: a misspelt key is a start-up error that names it.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

ReleaseMode = Literal["immediate", "when_paid", "waves"]
WaveTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
"""A local time, HH:MM."""
LabelFormat = Literal["PDF", "PNG", "ZPL"]


def _check_zone(name: str | None, where: str) -> None:
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{where}: unknown time zone {name!r}") from exc


def wave_times(values: list[str]) -> list[time]:
    return sorted(time(int(v[:2]), int(v[3:])) for v in values)


class ReleaseRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """When the groups of one channel and/or location are handed over for picking."""

    mode: ReleaseMode
    connection: str | None = None
    """The order's connection; None matches every one."""
    location: str | None = None
    """The fulfilling location's code; None matches every one."""
    waves: list[WaveTime] = []
    timezone: str | None = None
    """Time zone of the wave times; default: the location's pick schedule time zone."""

    def __post_init__(self) -> None:
        if self.mode == "waves" and not self.waves:
            raise ValueError("a release rule in mode 'waves' needs at least one wave time")
        _check_zone(self.timezone, "timezone")

    def matches(self, connection: str, location: str) -> bool:
        return (self.connection is None or self.connection == connection) and (
            self.location is None or self.location == location
        )


class ReleaseConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mode: ReleaseMode = "immediate"
    """The rule for groups no entry of `rules` matches."""
    waves: list[WaveTime] = []
    timezone: str | None = None
    rules: list[ReleaseRule] = []
    check_every_seconds: int = 60
    """How often the worker's release job looks for groups that became due."""

    def __post_init__(self) -> None:
        if self.mode == "waves" and not self.waves:
            raise ValueError("release mode 'waves' needs at least one wave time")
        _check_zone(self.timezone, "timezone")

    def rule_for(self, connection: str, location: str) -> ReleaseRule:
        for rule in self.rules:
            if rule.matches(connection, location):
                return rule
        return ReleaseRule(mode=self.mode, waves=self.waves, timezone=self.timezone)


class PreferredCarriers(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Carriers to choose first for a destination country and/or a paid service level."""

    carriers: list[str]
    """Carrier connection ids ("fedex") or carrier names as rates give them ("USPS")."""
    country: str | None = None
    service_level: str | None = None
    """The order's shipping line code ("express")."""

    def matches(self, country: str | None, service_level: str | None) -> bool:
        return (self.country is None or (country or "").upper() == self.country.upper()) and (
            self.service_level is None or self.service_level == service_level
        )


class ShippingConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    service_levels: dict[str, Annotated[int, msgspec.Meta(ge=0)]] = msgspec.field(
        default_factory=lambda: {"standard": 5, "express": 2, "overnight": 1}
    )
    """Shipping line code -> most transit days a service may take for it: the customer paid
    for that speed, so a slower service is never chosen."""
    preferred: list[PreferredCarriers] = []
    """Tried in order; the first that matches the order names the preferred carriers."""
    label_format: LabelFormat = "PDF"
    label_dir: str | None = None
    """Where label files are written; None keeps them in the database."""


class TrackingConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    poll_every_minutes: Annotated[int, msgspec.Meta(ge=1)] = 60
    """A shipment in transit is asked about at most this often."""
    poll_batch: Annotated[int, msgspec.Meta(ge=1)] = 50
    """Shipments asked about per carrier connection per run."""
    poll_spacing_seconds: Annotated[float, msgspec.Meta(ge=0)] = 0.5
    """Pause between two calls to one carrier connection (their rate limits are per key)."""
    run_every_minutes: Annotated[int, msgspec.Meta(ge=1)] = 10
    """How often the worker's polling job runs."""


class FulfillmentConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    release: ReleaseConfig = msgspec.field(default_factory=ReleaseConfig)
    shipping: ShippingConfig = msgspec.field(default_factory=ShippingConfig)
    tracking: TrackingConfig = msgspec.field(default_factory=TrackingConfig)
