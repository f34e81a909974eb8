"""`/fulfillments`, `/shipments` and `/locations/{code}/pick-lists`.

Warehouse tokens see and work only the groups and parcels of their own locations. Carrier
refusals answer 409 `carrier_error` with the carrier's message, which is also recorded on
the shipment (`attention`) for an operator.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from orderhub.core.model import Actor, ActorKind, Order
from orderhub.hub.auth.middleware import WRITE_ORDERS, WRITE_STOCK, check_location_scope
from orderhub.hub.auth.tokens import Principal, Role
from orderhub.hub.bodies import StrictBody
from orderhub.hub.deps import HubDep, Limit, error_responses
from orderhub.hub.errors import NotFound
from orderhub.hub.fulfillment import (
    labels,
    order_release,
    packing,
    picking,
    rateshop,
    release,
    shipping,
)
from orderhub.hub.fulfillment.records import (
    fulfillment_view,
    fulfillment_views,
    get_fulfillment_row,
    get_shipment_row,
    group_shipments,
    latest_label,
    shipment_views,
)
from orderhub.hub.fulfillment.schemas import (
    FulfillmentList,
    FulfillmentOut,
    PackIn,
    PickList,
    PicksIn,
    ShipmentList,
    ShipmentOut,
    ShipResult,
)
from orderhub.hub.orders.controllers import user_actor
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import FulfillmentRow, LocationRow, ShipmentRow

Request_ = Request[Principal, str, Any]


def _actor(request: Request_) -> Actor:
    return Actor(kind=ActorKind.USER, name=request.user.name)


async def _scoped_group(hub: Hub, request: Request_, fulfillment_id: str) -> FulfillmentRow:
    """The group, after checking a warehouse token may act on its location (403)."""
    async with hub.read() as session:
        group = await get_fulfillment_row(session, fulfillment_id)
        code = await session.scalar(
            sa.select(LocationRow.code).where(LocationRow.id == group.location_id)
        )
    check_location_scope(request.user, code or "")
    return group


async def _scoped_shipment(hub: Hub, request: Request_, shipment_id: str) -> ShipmentRow:
    async with hub.read() as session:
        shipment = await get_shipment_row(session, shipment_id)
    await _scoped_group(hub, request, shipment.fulfillment_id)
    return shipment


async def _group_out(hub: Hub, fulfillment_id: str) -> FulfillmentOut:
    async with hub.read() as session:
        return await fulfillment_view(session, await get_fulfillment_row(session, fulfillment_id))


async def _shipments_out(hub: Hub, fulfillment_id: str) -> list[ShipmentOut]:
    async with hub.read() as session:
        return await shipment_views(session, await group_shipments(session, fulfillment_id))


class OrderReleaseController(Controller):
    """`POST /orders/{id}/release`: the operator's button over the fulfillment release."""

    path = "/orders/{order_id:str}"
    tags = ["orders"]

    @post(
        "/release",
        guards=[WRITE_ORDERS],
        status_code=200,
        summary="Hand an allocated order to fulfillment now (ALLOCATED -> RELEASED)",
        responses=error_responses(403, 404, 409),
    )
    async def release(
        self, hub: HubDep, request: Request[Principal, str, Any], order_id: FromPath[str]
    ) -> Order:
        """Every planned fulfillment group is released, whatever the channel's release rule
        would wait for; 409 `order_not_releasable` unless allocated and without holds."""
        async with hub.transaction() as session:
            return await order_release.release_order(
                hub, session, order_id, actor=user_actor(request)
            )


class FulfillmentController(Controller):
    path = "/fulfillments"
    tags = ["fulfillment"]

    @get(
        "/",
        summary="Fulfillment groups, by order, location or status",
        responses=error_responses(400),
    )
    async def list_fulfillments(
        self,
        hub: HubDep,
        request: Request_,
        order_id: FromQuery[str | None] = None,
        location: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        limit: Limit = 100,
    ) -> FulfillmentList:
        """Newest first. A warehouse token sees its own locations' groups only."""
        query = (
            sa.select(FulfillmentRow)
            .join(LocationRow, LocationRow.id == FulfillmentRow.location_id)
            .order_by(FulfillmentRow.id.desc())
            .limit(limit)
        )
        if order_id:
            query = query.where(FulfillmentRow.order_id == order_id)
        if location:
            query = query.where(LocationRow.code == location)
        if status:
            query = query.where(FulfillmentRow.status == status)
        if request.user.role is Role.WAREHOUSE:
            query = query.where(LocationRow.code.in_(request.user.locations))
        async with hub.read() as session:
            groups = list(await session.scalars(query))
            return FulfillmentList(items=await fulfillment_views(session, groups))

    @get(
        "/{fulfillment_id:str}",
        summary="One fulfillment group",
        responses=error_responses(403, 404),
    )
    async def get_fulfillment(
        self, hub: HubDep, request: Request_, fulfillment_id: FromPath[str]
    ) -> FulfillmentOut:
        await _scoped_group(hub, request, fulfillment_id)
        return await _group_out(hub, fulfillment_id)

    @post(
        "/{fulfillment_id:str}/release",
        guards=[WRITE_ORDERS],
        status_code=200,
        summary="Release a planned group now, whatever its rule",
        responses=error_responses(403, 404, 409),
    )
    async def release_now(
        self, hub: HubDep, request: Request_, fulfillment_id: FromPath[str]
    ) -> FulfillmentOut:
        async with hub.transaction() as session:
            await release.release_by_operator(session, hub, fulfillment_id, actor=_actor(request))
        return await _group_out(hub, fulfillment_id)

    @post(
        "/{fulfillment_id:str}/picks",
        guards=[WRITE_STOCK],
        status_code=200,
        dto=StrictBody[PicksIn],
        return_dto=None,
        summary="Confirm the picks with the units found; a short pick re-routes the rest",
        responses=error_responses(400, 403, 404, 409, 422),
    )
    async def confirm_picks(
        self,
        hub: HubDep,
        request: Request_,
        fulfillment_id: FromPath[str],
        data: JSONBody[PicksIn],
    ) -> FulfillmentOut:
        await _scoped_group(hub, request, fulfillment_id)
        async with hub.transaction() as session:
            await picking.confirm_picks(session, hub, fulfillment_id, data, actor=_actor(request))
        return await _group_out(hub, fulfillment_id)

    @post(
        "/{fulfillment_id:str}/pack",
        guards=[WRITE_STOCK],
        status_code=200,
        dto=StrictBody[PackIn],
        return_dto=None,
        summary="Pack the picked units into parcels (weight, dimensions, contents)",
        responses=error_responses(400, 403, 404, 409, 422),
    )
    async def pack(
        self,
        hub: HubDep,
        request: Request_,
        fulfillment_id: FromPath[str],
        data: JSONBody[PackIn],
    ) -> FulfillmentOut:
        await _scoped_group(hub, request, fulfillment_id)
        async with hub.transaction() as session:
            await packing.pack(session, fulfillment_id, data, actor=_actor(request))
        return await _group_out(hub, fulfillment_id)

    @post(
        "/{fulfillment_id:str}/rates",
        guards=[WRITE_STOCK],
        status_code=200,
        summary="Ask every carrier for rates and choose one per parcel by the merchant's rules",
        responses=error_responses(403, 404, 409, 503),
    )
    async def rate(
        self, hub: HubDep, request: Request_, fulfillment_id: FromPath[str]
    ) -> ShipmentList:
        """409 `no_rate` (recorded on the parcel) when no carrier's rate fits."""
        await _scoped_group(hub, request, fulfillment_id)
        await rateshop.shop_rates(hub, fulfillment_id, actor=_actor(request))
        return ShipmentList(items=await _shipments_out(hub, fulfillment_id))

    @post(
        "/{fulfillment_id:str}/ship",
        guards=[WRITE_STOCK],
        status_code=200,
        summary="Rate where needed, buy one label per parcel, ship and tell the channel",
        responses=error_responses(403, 404, 409, 503),
    )
    async def ship(
        self, hub: HubDep, request: Request_, fulfillment_id: FromPath[str]
    ) -> ShipResult:
        """409 `carrier_error` with the carrier's message when it refuses a label (the parcel
        is flagged and the group stays packed); 409 `label_outcome_unknown` when a purchase
        may have happened unrecorded; 503 `carrier_unavailable` when nothing was bought."""
        await _scoped_group(hub, request, fulfillment_id)
        await shipping.ship(hub, fulfillment_id, actor=_actor(request))
        return ShipResult(
            fulfillment=await _group_out(hub, fulfillment_id),
            shipments=await _shipments_out(hub, fulfillment_id),
        )


@get(
    "/locations/{code:str}/pick-lists",
    tags=["fulfillment"],
    summary="What is released to a location and waits to be picked",
    responses=error_responses(403, 404),
)
async def pick_lists(hub: HubDep, request: Request_, code: FromPath[str]) -> PickList:
    check_location_scope(request.user, code)
    async with hub.read() as session:
        return await picking.pick_list(session, code)


class ShipmentController(Controller):
    path = "/shipments"
    tags = ["fulfillment"]

    @get(
        "/",
        summary="Shipments (parcels) by order, tracking number or attention",
        responses=error_responses(400),
    )
    async def list_shipments(
        self,
        hub: HubDep,
        request: Request_,
        order_id: FromQuery[str | None] = None,
        tracking_number: FromQuery[str | None] = None,
        needs_attention: Annotated[
            bool | None,
            QueryParameter(description="true: only parcels an operator must look at."),
        ] = None,
        limit: Limit = 100,
    ) -> ShipmentList:
        """Newest first; cancelled parcels (replaced by a re-pack) are left out."""
        query = (
            sa.select(ShipmentRow)
            .join(FulfillmentRow, FulfillmentRow.id == ShipmentRow.fulfillment_id)
            .join(LocationRow, LocationRow.id == FulfillmentRow.location_id)
            .where(ShipmentRow.status != "cancelled")
            .order_by(ShipmentRow.id.desc())
            .limit(limit)
        )
        if order_id:
            query = query.where(ShipmentRow.order_id == order_id)
        if tracking_number:
            query = query.where(ShipmentRow.tracking_number == tracking_number)
        if needs_attention is True:
            query = query.where(ShipmentRow.attention_code.is_not(None))
        elif needs_attention is False:
            query = query.where(ShipmentRow.attention_code.is_(None))
        if request.user.role is Role.WAREHOUSE:
            query = query.where(LocationRow.code.in_(request.user.locations))
        async with hub.read() as session:
            return ShipmentList(
                items=await shipment_views(session, list(await session.scalars(query)))
            )

    @get(
        "/{shipment_id:str}",
        summary="One shipment with its label and every tracking event",
        responses=error_responses(403, 404),
    )
    async def get_shipment(
        self, hub: HubDep, request: Request_, shipment_id: FromPath[str]
    ) -> ShipmentOut:
        shipment = await _scoped_shipment(hub, request, shipment_id)
        async with hub.read() as session:
            return (await shipment_views(session, [shipment], with_events=True))[0]

    @get(
        "/{shipment_id:str}/label",
        summary="The label document (PDF, PNG or ZPL)",
        media_type="application/octet-stream",
        responses=error_responses(403, 404),
    )
    async def get_label(
        self, hub: HubDep, request: Request_, shipment_id: FromPath[str]
    ) -> Response[bytes]:
        await _scoped_shipment(hub, request, shipment_id)
        async with hub.read() as session:
            label = await latest_label(session, shipment_id)
        if label is None or label.status != "purchased":
            raise NotFound(f"shipment {shipment_id} has no purchased label", code="no_label")
        document = await labels.read_document(label)
        extension = labels.EXTENSIONS.get(label.label_format, "bin")
        return Response(
            document,
            media_type=labels.CONTENT_TYPES.get(label.label_format, "application/octet-stream"),
            headers={
                "Content-Disposition": f'inline; filename="{label.id}.{extension}"',
            },
        )

    @post(
        "/{shipment_id:str}/void",
        guards=[WRITE_STOCK],
        status_code=200,
        summary="Give the parcel's label back (before it ships) so a new one can be bought",
        responses=error_responses(403, 404, 409, 503),
    )
    async def void(
        self,
        hub: HubDep,
        request: Request_,
        shipment_id: FromPath[str],
        carrier_done: Annotated[
            bool,
            QueryParameter(
                description="true: already voided or checked at the carrier; only record it "
                "(the way to clear a label whose purchase outcome is unknown)."
            ),
        ] = False,
    ) -> ShipmentOut:
        await _scoped_shipment(hub, request, shipment_id)
        await labels.void_label(hub, shipment_id, carrier_done=carrier_done, actor=_actor(request))
        async with hub.read() as session:
            shipment = await get_shipment_row(session, shipment_id)
            return (await shipment_views(session, [shipment]))[0]
