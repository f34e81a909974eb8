"""HTTP endpoints of allocation: holds, routing, order edits and re-routes, incoming stock,
receipts, transfers and counts. Roles as everywhere: reading needs any token; orders are
changed by operators; stock by operators and warehouses (warehouses at their locations)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from orderhub.core.model import HoldReason, Order
from orderhub.hub.allocation import edits, holds, receipts, simulate
from orderhub.hub.allocation.schemas import (
    ClearHoldIn,
    CountIn,
    CountOut,
    HoldIn,
    HoldList,
    IncomingIn,
    IncomingList,
    IncomingOut,
    OrderEditIn,
    ReceiptIn,
    ReceiptOut,
    RerouteIn,
    RulesOut,
    SimulateIn,
    SimulationOut,
    TransferIn,
    TransferOut,
)
from orderhub.hub.auth.middleware import WRITE_ORDERS, WRITE_STOCK, check_location_scope
from orderhub.hub.auth.tokens import Principal
from orderhub.hub.bodies import StrictBody
from orderhub.hub.deps import HubDep, Limit, error_responses
from orderhub.hub.errors import InvalidInput
from orderhub.hub.orders.controllers import user_actor

AnyRequest = Request[Principal, str, Any]


def _if_match(value: str | None) -> int | None:
    """`If-Match: 3` or `If-Match: "3"` (an ETag-style quoted version)."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput(
            "If-Match must be the order's version number", code="invalid_if_match", value=value
        )
    return int(text)


class HoldController(Controller):
    path = "/holds"
    tags = ["holds"]

    @get("/", summary="Holds that stop orders, oldest first", responses=error_responses(400))
    async def list_holds(
        self,
        hub: HubDep,
        reason: FromQuery[HoldReason | None] = None,
        connection: FromQuery[str | None] = None,
        after: FromQuery[str | None] = None,
        limit: Limit = 100,
    ) -> HoldList:
        """Active holds with their reason, detail and source; `after` is the last id seen."""
        async with hub.read() as session:
            items = await holds.list_holds(
                session, reason=reason, connection=connection, limit=limit + 1, after=after
            )
        more = len(items) > limit
        items = items[:limit]
        return HoldList(items=items, next_after=items[-1].id if more else None)


class OrderAllocationController(Controller):
    """Actions on one order before it is released."""

    path = "/orders/{order_id:str}"
    tags = ["orders"]

    @post(
        "/holds",
        guards=[WRITE_ORDERS],
        status_code=201,
        dto=StrictBody[HoldIn],
        return_dto=None,
        summary="Hold an order by hand",
        responses=error_responses(400, 403, 404, 409),
    )
    async def place_hold(
        self, hub: HubDep, request: AnyRequest, order_id: FromPath[str], data: JSONBody[HoldIn]
    ) -> Order:
        async with hub.transaction() as session:
            return await holds.place_manual_hold(
                session, order_id, actor=user_actor(request), detail=data.detail
            )

    @post(
        "/holds/{hold_id:str}/release",
        guards=[WRITE_ORDERS],
        status_code=200,
        dto=StrictBody[ClearHoldIn],
        return_dto=None,
        summary="Release a hold; with none left the order is allocated",
        responses=error_responses(400, 403, 404, 409),
    )
    async def clear_hold(
        self,
        hub: HubDep,
        request: AnyRequest,
        order_id: FromPath[str],
        hold_id: FromPath[str],
        data: JSONBody[ClearHoldIn],
    ) -> Order:
        """404 `unknown_hold` when the order has no such hold; 409 `hold_already_released`."""
        async with hub.transaction() as session:
            return await holds.clear_hold(
                hub, session, order_id, hold_id, actor=user_actor(request), note=data.note
            )

    @post(
        "/reroute",
        guards=[WRITE_ORDERS],
        status_code=200,
        dto=StrictBody[RerouteIn],
        return_dto=None,
        summary="Give back the reservations and route again (optionally at one location)",
        responses=error_responses(400, 403, 404, 409),
    )
    async def reroute(
        self, hub: HubDep, request: AnyRequest, order_id: FromPath[str], data: JSONBody[RerouteIn]
    ) -> Order:
        async with hub.transaction() as session:
            return await edits.reroute(hub, session, order_id, data, actor=user_actor(request))


@patch(
    "/orders/{order_id:str}",
    guards=[WRITE_ORDERS],
    status_code=200,
    dto=StrictBody[OrderEditIn],
    return_dto=None,
    tags=["orders"],
    summary="Edit an order before release (address, shipping method, line quantities)",
    responses=error_responses(400, 403, 404, 409, 422),
)
async def edit_order(
    hub: HubDep,
    request: AnyRequest,
    order_id: FromPath[str],
    data: JSONBody[OrderEditIn],
    if_match: Annotated[str | None, HeaderParameter(name="If-Match")] = None,
) -> Order:
    """Versioned: send the version you read as `If-Match` or `version` (409
    `version_mismatch` when it moved on). Reservations are given back, checks and routing
    run again. (A function, not a controller method: litestar allows one controller per
    path, and `OrderController` owns this one.)"""
    async with hub.transaction() as session:
        return await edits.edit_order(
            hub, session, order_id, data, actor=user_actor(request), if_match=_if_match(if_match)
        )


class RoutingController(Controller):
    path = "/routing"
    tags = ["routing"]

    @post(
        "/simulate",
        status_code=200,
        dto=StrictBody[SimulateIn],
        return_dto=None,
        summary="What routing would do with an order, changing nothing",
        responses=error_responses(400, 404, 422),
    )
    async def simulate(self, hub: HubDep, data: JSONBody[SimulateIn]) -> SimulationOut:
        async with hub.read() as session:
            try:
                return await simulate.simulate(hub, session, data)
            finally:
                await session.rollback()

    @get("/rules", summary="The routing rules and each channel's list", responses=error_responses())
    async def list_rules(self, hub: HubDep) -> RulesOut:
        return simulate.rules(hub)


class IncomingController(Controller):
    path = "/incoming"
    tags = ["stock"]

    @post(
        "/",
        guards=[WRITE_STOCK],
        status_code=201,
        dto=StrictBody[IncomingIn],
        return_dto=None,
        summary="Record stock on its way (purchase order, transfer)",
        responses=error_responses(400, 403, 404, 422),
    )
    async def add_incoming(
        self, hub: HubDep, request: AnyRequest, data: JSONBody[IncomingIn]
    ) -> IncomingOut:
        check_location_scope(request.user, data.location)
        async with hub.transaction() as session:
            return await receipts.add_incoming(session, data)

    @get("/", summary="Stock on its way, by expected date", responses=error_responses(400))
    async def list_incoming(
        self,
        hub: HubDep,
        sku: FromQuery[str | None] = None,
        location: FromQuery[str | None] = None,
        status: FromQuery[str | None] = "open",
        limit: Limit = 100,
    ) -> IncomingList:
        """`status`: open (default), received or cancelled."""
        async with hub.read() as session:
            items = await receipts.list_incoming(
                session, sku=sku, location=location, status=status, limit=limit
            )
        return IncomingList(items=items)


class StockMovementController(Controller):
    path = "/stock"
    tags = ["stock"]

    @post(
        "/{sku:str}/{location:str}/receipts",
        guards=[WRITE_STOCK],
        status_code=201,
        dto=StrictBody[ReceiptIn],
        return_dto=None,
        summary="Receive stock; backordered lines are allocated from it, oldest order first",
        responses=error_responses(400, 403, 404, 422),
    )
    async def receive(
        self,
        hub: HubDep,
        request: AnyRequest,
        sku: FromPath[str],
        location: FromPath[str],
        data: JSONBody[ReceiptIn],
    ) -> ReceiptOut:
        check_location_scope(request.user, location)
        async with hub.transaction() as session:
            return await receipts.receive(
                hub, session, sku, location, data, actor=user_actor(request)
            )

    @post(
        "/transfers",
        guards=[WRITE_STOCK],
        status_code=201,
        dto=StrictBody[TransferIn],
        return_dto=None,
        summary="Move available units from one location to another",
        responses=error_responses(400, 403, 404, 409, 422),
    )
    async def transfer(
        self, hub: HubDep, request: AnyRequest, data: JSONBody[TransferIn]
    ) -> TransferOut:
        check_location_scope(request.user, data.from_location)
        check_location_scope(request.user, data.to_location)
        async with hub.transaction() as session:
            return await receipts.transfer(hub, session, data, actor=user_actor(request))

    @post(
        "/counts",
        guards=[WRITE_STOCK],
        status_code=200,
        dto=StrictBody[CountIn],
        return_dto=None,
        summary="Absolute counts from the shelf (reserved units included)",
        responses=error_responses(400, 403, 404, 422),
    )
    async def count(self, hub: HubDep, request: AnyRequest, data: JSONBody[CountIn]) -> CountOut:
        """on hand becomes the counted number; reservations the count cannot cover are taken
        back from the newest orders not yet released, which are routed again."""
        for line in data.counts:
            check_location_scope(request.user, line.location)
        async with hub.transaction() as session:
            return await receipts.count(hub, session, data, actor=user_actor(request))


CONTROLLERS = [
    HoldController,
    OrderAllocationController,
    edit_order,
    RoutingController,
    IncomingController,
    StockMovementController,
]
