"""Actions that reach a channel's provider: pull its orders now (`/connections/{id}/sync`),
register its webhooks (`/connections/{id}/webhooks`), refund an order on it
(`/orders/{id}/refunds`), send a shipment's corrected tracking (`/shipments/{id}/tracking`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from orderhub.hub.auth.middleware import ADMIN_ONLY, WRITE_ORDERS
from orderhub.hub.auth.tokens import Principal
from orderhub.hub.bodies import StrictBody
from orderhub.hub.deps import HubDep, error_responses
from orderhub.hub.orders.controllers import user_actor
from orderhub.hub.orders.refunds import RefundIn, RefundOut, request_refund
from orderhub.hub.sync import polling, tracking_updates
from orderhub.hub.sync.subscriptions import Registration, register_webhooks
from orderhub.hub.sync.tracking_updates import TrackingChange, TrackingIn


class SyncState(msgspec.Struct, kw_only=True):
    connection: str
    cursor: str | None
    """The connector's cursor as stored (opaque); None before the first pull."""
    cursor_updated_at: datetime | None
    """When a pull last stored it."""


class SyncQueued(SyncState, kw_only=True):
    queued: bool
    """False when a pull of this connection was already queued or running."""
    restart: bool


async def _state(hub: HubDep, connection_id: str) -> SyncState:
    async with hub.read() as session:
        row = await polling.read_cursor(session, connection_id)
    return SyncState(
        connection=connection_id,
        cursor=row.cursor if row is not None else None,
        cursor_updated_at=row.updated_at if row is not None else None,
    )


@get(
    "/connections/{connection_id:str}/sync",
    tags=["connections"],
    summary="Where the order pull of a connection stands",
    responses=error_responses(404),
)
async def get_sync(hub: HubDep, connection_id: FromPath[str]) -> SyncState:
    hub.connection(connection_id)
    return await _state(hub, connection_id)


@post(
    "/connections/{connection_id:str}/sync",
    tags=["connections"],
    guards=[WRITE_ORDERS],
    status_code=202,
    summary="Pull the connection's orders now (a worker runs it)",
    responses=error_responses(403, 404, 409),
)
async def start_sync(
    hub: HubDep, connection_id: FromPath[str], restart: FromQuery[bool] = False
) -> SyncQueued:
    """Queues a pull from the stored cursor; `restart=true` forgets the cursor first, so the
    whole lookback is imported again (merging is idempotent). 409 `pull_not_supported` or
    `connection_revoked`."""
    queued = await polling.queue_pull(hub, connection_id, restart=restart)
    state = await _state(hub, connection_id)
    return SyncQueued(
        connection=connection_id,
        cursor=state.cursor,
        cursor_updated_at=state.cursor_updated_at,
        queued=queued,
        restart=restart,
    )


@post(
    "/connections/{connection_id:str}/webhooks",
    tags=["connections"],
    guards=[ADMIN_ONLY],
    status_code=200,
    summary="Register the webhook subscriptions the connection needs with its provider",
    responses=error_responses(403, 404, 409, 422, 502, 503),
)
async def register_connection_webhooks(
    hub: HubDep, connection_id: FromPath[str], url: FromQuery[str | None] = None
) -> Registration:
    """Deliveries go to `url`, by default `<api.public_url>/webhooks/<connection>`.
    Existing subscriptions to that URL are kept; a success clears a revocation."""
    return await register_webhooks(hub, connection_id, url)


@post(
    "/orders/{order_id:str}/refunds",
    tags=["orders"],
    guards=[WRITE_ORDERS],
    status_code=202,
    dto=StrictBody[RefundIn],
    return_dto=None,
    summary="Refund an order on its channel (queued to the channel's connector)",
    responses=error_responses(400, 403, 404, 409, 413, 422),
)
async def refund_order(
    hub: HubDep,
    request: Request[Principal, str, Any],
    order_id: FromPath[str],
    data: JSONBody[RefundIn],
) -> RefundOut:
    """Recorded in the order's history and sent through the outbox with OrderHub's refund id
    as the idempotency key. 409 `refund_not_supported` for a channel that takes no refunds."""
    async with hub.transaction() as session:
        return await request_refund(session, hub, order_id, data, actor=user_actor(request))


@post(
    "/shipments/{shipment_id:str}/tracking",
    tags=["shipments"],
    guards=[WRITE_ORDERS],
    status_code=200,
    dto=StrictBody[TrackingIn],
    return_dto=None,
    summary="Correct a shipped parcel's tracking details; the channel is told",
    responses=error_responses(400, 403, 404, 409, 413),
)
async def change_shipment_tracking(
    hub: HubDep,
    request: Request[Principal, str, Any],
    shipment_id: FromPath[str],
    data: JSONBody[TrackingIn],
) -> TrackingChange:
    """409 `not_shipped` before the parcel shipped."""
    async with hub.transaction() as session:
        return await tracking_updates.change_tracking(
            session, hub, shipment_id, data, actor=user_actor(request)
        )
