"""Value types shared by every part of the model."""

from __future__ import annotations

import msgspec


class GeoPoint(msgspec.Struct, frozen=True, kw_only=True):
    """WGS84 coordinates in decimal degrees."""

    lat: float
    lon: float


class Address(msgspec.Struct, kw_only=True):
    """A postal address. `country` is ISO 3166-1 alpha-2; `region` is the province/state code."""

    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None
    email: str | None = None
    point: GeoPoint | None = None


class Customer(msgspec.Struct, kw_only=True):
    """Who placed the order. `external_id` is the channel's own customer id, if any."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None
    external_id: str | None = None
    accepts_marketing: bool = False
