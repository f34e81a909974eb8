"""`/locations`: every place stock lives and ships from, keyed by code."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.params import FromPath, JSONBody, PathParameter

from orderhub.core.model import Location
from orderhub.hub.auth.middleware import ADMIN_ONLY
from orderhub.hub.bodies import StrictBody
from orderhub.hub.deps import HubDep, error_responses
from orderhub.hub.locations import service
from orderhub.hub.locations.schemas import LocationIn, LocationList

CodePath = Annotated[
    str,
    PathParameter(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The location code (letters, digits, '.', '_', '-').",
    ),
]


class LocationController(Controller):
    path = "/locations"
    tags = ["locations"]

    @put(
        "/{code:str}",
        guards=[ADMIN_ONLY],
        dto=StrictBody[LocationIn],
        return_dto=None,
        summary="Create or replace a location",
        description="201 when the code is new, 200 when an existing location was replaced.",
        responses=error_responses(400, 403, 413),
    )
    async def put_location(
        self, hub: HubDep, code: CodePath, data: JSONBody[LocationIn]
    ) -> Response[Location]:
        async with hub.transaction() as session:
            row, created = await service.upsert_location(session, data.to_location(code))
            stored = service.location_from_row(row)
        return Response(stored, status_code=201 if created else 200)

    @get("/", summary="List locations", responses=error_responses())
    async def list_locations(self, hub: HubDep) -> LocationList:
        async with hub.read() as session:
            return LocationList(items=await service.list_locations(session))

    @get("/{code:str}", summary="One location", responses=error_responses(400, 404))
    async def get_location(self, hub: HubDep, code: FromPath[str]) -> Location:
        async with hub.read() as session:
            return service.location_from_row(await service.get_location_row(session, code))
