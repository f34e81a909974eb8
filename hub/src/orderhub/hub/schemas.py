"""API input variants of core value types, decoded strictly.

The core model is lenient on purpose (providers add fields all the time); our own API is not:
an unknown or misspelt field in a request body is a 400 that names it. Each type here is a
subclass of its core type, so a decoded value can be stored or passed on as the core type.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from orderhub.core.model import Address, Customer, GeoPoint, PickSchedule

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2, upper case ("FR")."""
CurrencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
"""ISO 4217, upper case ("EUR")."""
NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
DecimalString = Annotated[str, msgspec.Meta(pattern=r"^[0-9]+(\.[0-9]+)?$")]
"""An amount as a decimal string in the currency's units ("19.99"); never a float."""


class GeoPointIn(GeoPoint, frozen=True, kw_only=True, forbid_unknown_fields=True):
    lat: Latitude
    lon: Longitude


class AddressIn(Address, kw_only=True, forbid_unknown_fields=True):
    country: CountryCode | None = None
    point: GeoPointIn | None = None


class CustomerIn(Customer, kw_only=True, forbid_unknown_fields=True):
    pass


class PickScheduleIn(PickSchedule, kw_only=True, forbid_unknown_fields=True):
    cutoff: Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "14:00"
    working_days: list[Annotated[int, msgspec.Meta(ge=0, le=6)]] = msgspec.field(
        default_factory=lambda: [0, 1, 2, 3, 4]
    )
    daily_capacity: Annotated[int, msgspec.Meta(ge=0)] | None = None
