"""Locations: every place stock lives and ships from."""

from __future__ import annotations

import enum

import msgspec

from orderhub.core.model.common import Address, GeoPoint


class LocationKind(enum.StrEnum):
    """What sort of place a location is; routing rules filter on it."""

    WAREHOUSE = "warehouse"
    """The merchant's own distribution centre."""
    STORE = "store"
    """A shop: can ship from store and serve click & collect."""
    THREE_PL = "3pl"
    """A third-party logistics provider; fulfillment goes through a WMS connector."""
    SUPPLIER = "supplier"
    """A supplier that drop-ships to the customer."""


class LocationCapability(enum.StrEnum):
    SHIP = "ship"
    """Can send parcels to customers."""
    PICKUP = "pickup"
    """Customers can collect orders here."""
    RETURNS = "returns"
    """Accepts returned goods."""


class PickSchedule(msgspec.Struct, kw_only=True):
    """When a location works: used for the delivery promise."""

    cutoff: str = "14:00"
    """Local time (HH:MM) after which an order is picked the next working day."""
    working_days: list[int] = msgspec.field(default_factory=lambda: [0, 1, 2, 3, 4])
    """ISO weekday numbers counted from Monday = 0."""
    daily_capacity: int | None = None
    """Orders the location can release per day; None is unlimited."""
    timezone: str = "UTC"


class Location(msgspec.Struct, kw_only=True):
    code: str
    """Stable short code ("PAR-WH"); the key used by APIs and connectors."""
    name: str
    kind: LocationKind = LocationKind.WAREHOUSE
    address: Address | None = None
    point: GeoPoint | None = None
    capabilities: list[LocationCapability] = msgspec.field(
        default_factory=lambda: [LocationCapability.SHIP]
    )
    priority: int = 100
    """Lower is preferred by the priority sort."""
    ships_to: list[str] = []
    """Destinations it delivers to: countries ("FR") or regions ("US-CA"); empty is anywhere."""
    schedule: PickSchedule = msgspec.field(default_factory=PickSchedule)
    active: bool = True
