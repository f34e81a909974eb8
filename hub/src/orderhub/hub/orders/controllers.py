"""`/orders`: manual intake, listing with filters, one order, its history, cancellation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from orderhub.core.model import Actor, ActorKind, Order, OrderStatus
from orderhub.hub.auth.middleware import WRITE_ORDERS
from orderhub.hub.auth.tokens import Principal
from orderhub.hub.bodies import StrictBody
from orderhub.hub.deps import Cursor, HubDep, Limit, error_responses
from orderhub.hub.errors import Conflict, InvalidInput
from orderhub.hub.orders import service
from orderhub.hub.orders.cancellation import cancel_and_notify
from orderhub.hub.orders.group_commit import OrderIntakeDep
from orderhub.hub.orders.manual import MANUAL_CONNECTION, ManualRequest
from orderhub.hub.orders.schemas import (
    CancelIn,
    HistoryPage,
    ManualOrderIn,
    OrderFilter,
    OrderPage,
)


def user_actor(request: Request[Principal, str, Any]) -> Actor:
    """The person behind the token, as the order history names them."""
    return Actor(kind=ActorKind.USER, name=request.user.name)


def _utc(value: datetime | None) -> datetime | None:
    """Query times without an offset are taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class OrderController(Controller):
    path = "/orders"
    tags = ["orders"]

    @post(
        "/",
        guards=[WRITE_ORDERS],
        status_code=201,
        dto=StrictBody[ManualOrderIn],
        return_dto=None,
        summary="Create a manual order (phone, e-mail, counter)",
        responses=error_responses(400, 403, 409, 413, 422),
    )
    async def create_order(
        self,
        hub: HubDep,
        order_intake: OrderIntakeDep,
        request: Request[Principal, str, Any],
        data: JSONBody[ManualOrderIn],
    ) -> Order:
        connection = hub.connections.get(data.connection or MANUAL_CONNECTION)
        if connection is None:
            raise InvalidInput(
                f"no connection {data.connection!r}",
                code="unknown_connection",
                connection=data.connection,
            )
        if connection.connector != MANUAL_CONNECTION:
            raise InvalidInput(
                f"connection {connection.id} is not a manual channel: its orders come from "
                f"{connection.connector}",
                code="not_a_manual_connection",
                connection=connection.id,
            )
        try:
            return await order_intake.submit(ManualRequest(data, connection, user_actor(request)))
        except sa.exc.IntegrityError:
            # Two requests with one reference at the same moment: the unique key caught the
            # second after the first committed. Say so, as the check before the insert would.
            if data.reference is None:
                raise
            async with hub.read() as session:
                existing = await service.find_order_row(session, connection.id, data.reference)
            if existing is None:
                raise
            raise Conflict(
                f"order {data.reference!r} from {connection.id} already exists",
                code="duplicate_order",
                connection=connection.id,
                external_id=data.reference,
            ) from None

    @get("/", summary="List orders, newest first", responses=error_responses(400, 422))
    async def list_orders(
        self,
        hub: HubDep,
        status: FromQuery[list[OrderStatus] | None] = None,
        connection: FromQuery[str | None] = None,
        placed_from: FromQuery[datetime | None] = None,
        placed_to: FromQuery[datetime | None] = None,
        customer: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> OrderPage:
        """`status` may be repeated. `placed_to` is exclusive; times without an offset are UTC.
        `customer` is an exact e-mail; `q` matches an order number or part of an e-mail."""
        filters = OrderFilter(
            status=status or [],
            connection=connection,
            placed_from=_utc(placed_from),
            placed_to=_utc(placed_to),
            customer=customer,
            q=q,
        )
        async with hub.read() as session:
            items, next_cursor = await service.list_orders(
                session, filters, limit=limit, cursor=cursor
            )
        return OrderPage(items=items, next_cursor=next_cursor)

    @get(
        "/{order_id:str}",
        summary="One order with its lines and holds",
        responses=error_responses(400, 404),
    )
    async def get_order(self, hub: HubDep, order_id: FromPath[str]) -> Order:
        async with hub.read() as session:
            return await service.get_order(session, order_id)

    @get(
        "/{order_id:str}/history",
        summary="Every change of an order: who, when, what, why",
        responses=error_responses(400, 404),
    )
    async def get_history(self, hub: HubDep, order_id: FromPath[str]) -> HistoryPage:
        async with hub.read() as session:
            return HistoryPage(items=await service.history(session, order_id))

    @post(
        "/{order_id:str}/cancel",
        guards=[WRITE_ORDERS],
        status_code=200,
        dto=StrictBody[CancelIn],
        return_dto=None,
        summary="Cancel an order; the channel is told when its connector can take it",
        responses=error_responses(400, 403, 404, 409, 413),
    )
    async def cancel_order(
        self,
        hub: HubDep,
        request: Request[Principal, str, Any],
        order_id: FromPath[str],
        data: JSONBody[CancelIn],
    ) -> Order:
        async with hub.transaction() as session:
            return await cancel_and_notify(
                hub, session, order_id, actor=user_actor(request), reason=data.reason
            )
