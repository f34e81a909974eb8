"""API shapes for locations. Input is decoded strictly: an unknown field is an error."""

from __future__ import annotations

from typing import Annotated

import msgspec

from orderhub.core.model import Location, LocationCapability, LocationKind
from orderhub.hub.schemas import AddressIn, GeoPointIn, PickScheduleIn

ShipsTo = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]
"""A country ("FR") or a country and region ("US-CA")."""


class LocationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A location as `PUT /locations/{code}` replaces it; the code is the path."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    kind: LocationKind = LocationKind.WAREHOUSE
    address: AddressIn | None = None
    point: GeoPointIn | None = None
    capabilities: list[LocationCapability] = msgspec.field(
        default_factory=lambda: [LocationCapability.SHIP]
    )
    priority: int = 100
    """Lower is preferred by the priority sort."""
    schedule: PickScheduleIn = msgspec.field(default_factory=PickScheduleIn)
    active: bool = True
    ships_to: list[ShipsTo] = []
    """Countries ("FR") or regions ("US-CA") it delivers to; empty is anywhere."""

    def to_location(self, code: str) -> Location:
        return Location(
            code=code,
            name=self.name,
            kind=self.kind,
            address=self.address,
            point=self.point,
            capabilities=sorted(set(self.capabilities)),
            priority=self.priority,
            schedule=self.schedule,
            active=self.active,
            ships_to=sorted(set(self.ships_to)),
        )


class LocationList(msgspec.Struct, kw_only=True):
    items: list[Location]
    """By priority, then code."""
