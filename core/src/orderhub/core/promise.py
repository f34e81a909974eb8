"""Delivery promise: when the parcel leaves the location and when it should arrive, and why.

The pick day follows the location's `PickSchedule` in its own time zone: an order placed
after the cut-off or on a closed day is picked the next working day, and a day whose
capacity is already booked pushes it further. Transit days come from the first matching
distance zone and count only days carriers deliver.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from orderhub.core.geo import distance_km
from orderhub.core.model.common import Address
from orderhub.core.model.locations import Location, PickSchedule
from orderhub.core.preprocess.base import as_utc

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SEARCH_DAYS = 400
"""A schedule that finds no working day within this many days is a configuration error."""


class TransitZone(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A band of destinations and the carrier days it takes to reach them."""

    name: str
    days: int
    max_km: float | None = None
    """Farthest distance in this zone; None is any distance."""
    same_country: bool = False
    """Only destinations in the location's own country."""

    def matches(self, km: float | None, domestic: bool) -> bool:
        if self.same_country and not domestic:
            return False
        return self.max_km is None or (km is not None and km <= self.max_km)


DEFAULT_ZONES: tuple[TransitZone, ...] = (
    TransitZone(name="domestic", days=2, same_country=True, max_km=1000),
    TransitZone(name="near", days=3, max_km=1500),
    TransitZone(name="far", days=6),
)


class PromiseConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    zones: tuple[TransitZone, ...] = DEFAULT_ZONES
    """Tried in order; the first that matches gives the transit days. End with a catch-all."""
    carrier_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    """ISO weekdays (Monday = 0) on which carriers move and deliver parcels."""
    holidays: tuple[date, ...] = ()
    """Days neither the location nor the carriers work."""


DEFAULT_PROMISE = PromiseConfig()


class DeliveryPromise(msgspec.Struct, frozen=True, kw_only=True):
    ship_on: date
    """The day the location picks and hands over the order (or has it ready for pickup)."""
    deliver_on: date
    zone: str
    transit_days: int
    distance_km: float | None
    explanation: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.explanation)


def _day(d: date) -> str:
    return f"{_DAY_NAMES[d.weekday()]} {d.isoformat()}"


def _parse_cutoff(value: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise ValueError(f"cut-off {value!r} is not a HH:MM time") from exc


def _next_open(day: date, open_days: Collection[int], holidays: Collection[date]) -> date:
    """The first day after `day` on a listed weekday that is not a holiday."""
    for _ in range(_SEARCH_DAYS):
        day += timedelta(days=1)
        if day.weekday() in open_days and day not in holidays:
            return day
    raise ValueError("no open day within a year: check working days and holidays")


def pick_day(
    placed_at: datetime,
    schedule: PickSchedule,
    *,
    booked: Mapping[date, int] | None = None,
    holidays: Collection[date] = (),
) -> tuple[date, list[str]]:
    """The local day the location picks an order placed at `placed_at`, and the reasons.

    `booked` is orders already scheduled per local day; a naive `placed_at` is UTC.
    """
    try:
        zone = ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {schedule.timezone!r}") from exc
    working = set(schedule.working_days)
    if not working:
        raise ValueError("the pick schedule has no working days")
    cutoff = _parse_cutoff(schedule.cutoff)
    local = as_utc(placed_at).astimezone(zone)
    day = local.date()
    at = f"{local:%H:%M} {schedule.timezone} on {_day(day)}"
    if day.weekday() not in working or day in holidays:
        day = _next_open(day, working, holidays)
        why = [f"Placed at {at}, a day the location does not pick: picked on {_day(day)}."]
    elif local.time() >= cutoff:
        day = _next_open(day, working, holidays)
        why = [f"Placed at {at}, after the {schedule.cutoff} cut-off: picked on {_day(day)}."]
    else:
        why = [f"Placed at {at}, before the {schedule.cutoff} cut-off: picked the same day."]
    capacity = schedule.daily_capacity
    for _ in range(_SEARCH_DAYS):
        used = (booked or {}).get(day, 0)
        if capacity is None or used < capacity:
            return day, why
        moved = _next_open(day, working, holidays)
        why.append(f"{_day(day)} is fully booked ({used} of {capacity} orders): {_day(moved)}.")
        day = moved
    raise ValueError("every working day within a year is fully booked")


def transit_zone(
    location: Location, destination: Address | None, zones: Collection[TransitZone]
) -> tuple[TransitZone, float | None]:
    target = destination.point if destination else None
    km = distance_km(location.point, target)
    here = location.address.country if location.address else None
    there = destination.country if destination else None
    domestic = bool(here and there and here.upper() == there.upper())
    for zone in zones:
        if zone.matches(km, domestic):
            return zone, km
    raise ValueError("no transit zone matches: end the zone list with one without max_km")


def promise_delivery(
    location: Location,
    destination: Address | None,
    placed_at: datetime,
    *,
    booked: Mapping[date, int] | None = None,
    pickup: bool = False,
    config: PromiseConfig = DEFAULT_PROMISE,
) -> DeliveryPromise:
    """Estimated delivery of an order fulfilled by `location` to `destination`.

    With `pickup` (click & collect at `location`) there is no transit: the date is the day
    the order is ready. `booked` is orders already scheduled at the location per local day.
    """
    ship_on, why = pick_day(placed_at, location.schedule, booked=booked, holidays=config.holidays)
    if pickup:
        why.append(f"Ready for collection at {location.code} on {_day(ship_on)}.")
        return DeliveryPromise(
            ship_on=ship_on,
            deliver_on=ship_on,
            zone="pickup",
            transit_days=0,
            distance_km=None,
            explanation=tuple(why),
        )
    zone, km = transit_zone(location, destination, config.zones)
    deliver_on = ship_on
    for _ in range(zone.days):
        deliver_on = _next_open(deliver_on, config.carrier_days, config.holidays)
    distance = f"{km:,.0f} km" if km is not None else "distance unknown"
    why.append(
        f"Ships from {location.code}; zone {zone.name} ({distance}): "
        f"{zone.days} carrier day{'s' if zone.days != 1 else ''} in transit."
    )
    why.append(f"Estimated delivery {_day(deliver_on)}.")
    return DeliveryPromise(
        ship_on=ship_on,
        deliver_on=deliver_on,
        zone=zone.name,
        transit_days=zone.days,
        distance_km=km,
        explanation=tuple(why),
    )
