"""`/stock`: levels per SKU and location, absolute counts, adjustments and the ledger.

Warehouse tokens change stock only at their own locations.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from orderhub.core.model import MovementKind
from orderhub.hub.auth.middleware import WRITE_STOCK, check_location_scope
from orderhub.hub.auth.tokens import Principal
from orderhub.hub.bodies import StrictBody
from orderhub.hub.deps import HubDep, Limit, error_responses
from orderhub.hub.stock import service
from orderhub.hub.stock.schemas import (
    AdjustmentIn,
    MovementOut,
    MovementPage,
    StockLevelOut,
    StockLevels,
    StockSetIn,
)


class StockController(Controller):
    path = "/stock"
    tags = ["stock"]

    @get("/", summary="Stock levels with what is available", responses=error_responses(400))
    async def list_levels(
        self,
        hub: HubDep,
        sku: Annotated[
            list[str] | None, QueryParameter(description="One or more SKUs (repeat).")
        ] = None,
        location: FromQuery[str | None] = None,
    ) -> StockLevels:
        async with hub.read() as session:
            levels = await service.levels(session, skus=sku, location=location)
        return StockLevels(items=[StockLevelOut.of(level) for level in levels])

    @get("/movements", summary="The stock ledger, newest first", responses=error_responses(400))
    async def list_movements(
        self,
        hub: HubDep,
        sku: FromQuery[str | None] = None,
        location: FromQuery[str | None] = None,
        before: Annotated[
            int | None, QueryParameter(description="The `next_before` of the previous page.")
        ] = None,
        limit: Limit = 100,
    ) -> MovementPage:
        async with hub.read() as session:
            rows = await service.movements(
                session, sku=sku, location=location, limit=limit + 1, before_id=before
            )
        more = len(rows) > limit
        items = [MovementOut.of(movement_id, movement) for movement_id, movement in rows[:limit]]
        return MovementPage(items=items, next_before=items[-1].id if more else None)

    @put(
        "/{sku:str}/{location:str}",
        guards=[WRITE_STOCK],
        dto=StrictBody[StockSetIn],
        return_dto=None,
        summary="Set on hand to a counted number",
        responses=error_responses(400, 403, 404, 413, 422),
    )
    async def set_level(
        self,
        hub: HubDep,
        request: Request[Principal, str, Any],
        sku: FromPath[str],
        location: FromPath[str],
        data: JSONBody[StockSetIn],
    ) -> StockLevelOut:
        check_location_scope(request.user, location)
        async with hub.transaction() as session:
            level = await service.set_on_hand(
                session,
                sku,
                location,
                data.on_hand,
                kind=MovementKind.SET,
                reason=data.reason,
                actor=request.user.name,
                safety_stock=data.safety_stock,
            )
        return StockLevelOut.of(level)

    @post(
        "/{sku:str}/{location:str}/adjustments",
        guards=[WRITE_STOCK],
        status_code=201,
        dto=StrictBody[AdjustmentIn],
        return_dto=None,
        summary="Add to or take from on hand",
        responses=error_responses(400, 403, 404, 409, 413, 422),
    )
    async def adjust(
        self,
        hub: HubDep,
        request: Request[Principal, str, Any],
        sku: FromPath[str],
        location: FromPath[str],
        data: JSONBody[AdjustmentIn],
    ) -> StockLevelOut:
        check_location_scope(request.user, location)
        async with hub.transaction() as session:
            level = await service.adjust(
                session,
                sku,
                location,
                data.delta,
                kind=MovementKind.ADJUSTMENT,
                reason=data.reason,
                reference=data.reference,
                actor=request.user.name,
            )
        return StockLevelOut.of(level)
