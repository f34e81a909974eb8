"""Distances between places on Earth, for routing by distance and delivery-promise zones."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

from orderhub.core.model.common import GeoPoint

EARTH_RADIUS_KM = 6371.0088
"""The IUGG mean Earth radius. The sphere is off by at most ~0.5 %, fine for ranking."""


def haversine_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in kilometres between two WGS84 points."""
    lat1, lat2 = radians(a.lat), radians(b.lat)
    dlat = lat2 - lat1
    dlon = radians(b.lon - a.lon)
    h = sin(dlat / 2) ** 2 + cos(lat1) * cos(lat2) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


def distance_km(a: GeoPoint | None, b: GeoPoint | None) -> float | None:
    """Distance when both points are known, else None (callers say "distance unknown")."""
    if a is None or b is None:
        return None
    return haversine_km(a, b)
