"""The job that sends one outbox row through its connector, with retries and dead-lettering.

The row is claimed (see `claims`), the connector is called with no transaction
open (a slow provider never holds a database connection or lock), and the outcome is written
only if the claim still holds. Transient failures come back later with exponential backoff
(the provider's Retry-After wins when longer); permanent ones, and rows out of attempts, are
dead until an operator replays them.

Payloads by operation (the argument of the connector method of the same name):

- ``push_stock``: one `StockUpdate`, or ``{"updates": [StockUpdate, ...]}``;
- ``push_fulfillment``: a `FulfillmentNotice`; ``push_cancellation``: a `CancellationNotice`;
- ``push_refund``: a `RefundNotice`;
- ``send_fulfillment_order``: the mapping a WMS takes (`fulfillment.schemas.WmsFulfillmentOrder`).

``update_tracking`` takes a `tracking_updates.TrackingUpdate` (new details of a confirmed
shipment) and calls the connector's optional `update_tracking(fulfillment_ref, notice)`.
Stock updates are addressed to the provider's location and item first (`channel_stock`).
Every call runs within the connection's shared rate budget (`ratelimit`); a connection the
provider revoked (Shopify's app/uninstalled) gets no call: its rows are dead-lettered with
the revocation's reason, to be replayed once access is back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connectors import (
    CancellationNotice,
    Capability,
    ChannelConnector,
    FulfillmentNotice,
    PermanentError,
    RefundNotice,
    StockUpdate,
    TrackingUpdater,
    TransientError,
    WmsConnector,
)
from orderhub.hub.allocation import availability
from orderhub.hub.errors import Conflict
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import OutboxRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.sync import channel_stock, ratelimit, tracking_updates
from orderhub.hub.sync.claims import WorkTable
from orderhub.hub.sync.outbox import job_id
from orderhub.hub.sync.state import record_failure, record_success, revocation

log = logging.getLogger(__name__)

OUTBOX = OutboxRow.__table__


def _stock_updates(payload: dict[str, Any]) -> list[StockUpdate]:
    if "updates" in payload:
        return msgspec.convert(payload["updates"], list[StockUpdate])
    return [msgspec.convert(payload, StockUpdate)]


Send = Callable[[Hub, str, Any, Any], Awaitable[Any]]
"""Calls the connector (hub, connection id, connector, argument); returns what it answered."""


class Operation(NamedTuple):
    capability: Capability
    argument: Callable[[dict[str, Any]], Any]
    """Turns the stored payload into the connector method's argument."""
    send: Send
    """The connector method the operation is named after (in core's `CAPABILITY_METHODS`
    or an optional protocol), called through the protocol that declares it."""


def _channel(call: Callable[[ChannelConnector, Any], Awaitable[Any]]) -> Send:
    return lambda hub, connection_id, connector, argument: call(connector, argument)


async def _update_tracking(
    hub: Hub, connection_id: str, connector: TrackingUpdater, update: Any
) -> Any:
    return await tracking_updates.send(hub, connection_id, connector, update)


async def _send_fulfillment_order(
    hub: Hub, connection_id: str, connector: WmsConnector, payload: dict[str, Any]
) -> Any:
    return await connector.send_fulfillment_order(payload)


OPERATIONS: dict[str, Operation] = {
    "push_stock": Operation(
        Capability.PUSH_STOCK,
        _stock_updates,
        _channel(lambda connector, updates: connector.push_stock(updates)),
    ),
    "push_fulfillment": Operation(
        Capability.PUSH_FULFILLMENT,
        lambda p: msgspec.convert(p, FulfillmentNotice),
        _channel(lambda connector, notice: connector.push_fulfillment(notice)),
    ),
    "push_cancellation": Operation(
        Capability.PUSH_CANCELLATION,
        lambda p: msgspec.convert(p, CancellationNotice),
        _channel(lambda connector, notice: connector.push_cancellation(notice)),
    ),
    "push_refund": Operation(
        Capability.PUSH_REFUND,
        lambda p: msgspec.convert(p, RefundNotice),
        _channel(lambda connector, notice: connector.push_refund(notice)),
    ),
    tracking_updates.OPERATION: Operation(
        Capability.PUSH_FULFILLMENT, tracking_updates.decode, _update_tracking
    ),
    "send_fulfillment_order": Operation(
        Capability.SEND_FULFILLMENT_ORDERS, dict, _send_fulfillment_order
    ),
}


async def _record_failure(session: AsyncSession, row: Any, error: str) -> None:
    await record_failure(session, row.connection_id, error)


WORK = WorkTable(
    OUTBOX,
    job="dispatch_outbox",
    job_id=job_id,
    waiting=("pending",),
    retry_status="pending",
    replayable=("dead", "failed"),
    noun="outbox row",
    on_failure=_record_failure,
)
_EFFECT_COLUMNS = (OUTBOX.c.connection_id, OUTBOX.c.operation, OUTBOX.c.payload)


def _result(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    data = msgspec.to_builtins(value)
    return data if isinstance(data, dict) else {"value": data}


async def dispatch_outbox(ctx: dict[str, Any], outbox_id: int, attempts: int = 0) -> str:
    """arq job: send one outbox row, after `attempts` attempts. Returns what happened."""
    hub: Hub = ctx["hub"]
    return await WORK.run(hub, outbox_id, attempts, _EFFECT_COLUMNS, lambda row: _send(hub, row))


async def _send(hub: Hub, row: Any) -> str:
    operation = OPERATIONS.get(row.operation)
    if operation is None:
        known = ", ".join(sorted(OPERATIONS))
        return await WORK.dead(hub, row, f"unknown operation {row.operation!r} (known: {known})")
    if not hub.supports(row.connection_id, operation.capability):
        return await WORK.dead(
            hub,
            row,
            f"connection {row.connection_id!r} is not configured, enabled and able to "
            f"{operation.capability.value}; replay the row once it is",
        )
    async with hub.read() as session:
        revoked = await revocation(session, row.connection_id)
    if revoked is not None:
        return await WORK.dead(
            hub,
            row,
            f"connection {row.connection_id!r} was revoked by the provider: {revoked}; "
            "nothing is sent until access is back (register its webhooks again), then replay",
        )
    computed: StockUpdate | None = None
    if availability.is_computed_push(row.operation, row.payload):
        # Queued by a stock change: the number is the channel's ATP now, not when queued.
        sku = row.payload["sku"]
        computed, why = await availability.prepare_push(
            hub, row.connection_id, sku, f"stock:{sku}:{row.id}"
        )
        if computed is None:
            async with hub.transaction() as session:
                await WORK.settle(
                    session, row, status="done", processed_at=utcnow(), result={"skipped": why}
                )
            return "skipped"
        argument: Any = [computed]
    else:
        try:
            argument = operation.argument(row.payload or {})
        except (msgspec.ValidationError, TypeError) as exc:
            return await WORK.dead(hub, row, f"payload does not fit {row.operation}: {exc}")
    if row.operation == "push_stock":
        argument = await channel_stock.address_all(hub, row.connection_id, argument)
    connector = hub.connector(row.connection_id)
    try:
        async with ratelimit.budget(hub, row.connection_id, row.operation):
            value = await operation.send(hub, row.connection_id, connector, argument)
    except TransientError as exc:
        return await WORK.retry_later(hub, row, str(exc), exc.retry_after)
    except PermanentError as exc:
        return await WORK.dead(hub, row, f"{exc.code}: {exc}" if exc.code else str(exc))
    except Exception as exc:
        log.exception("outbox %s: %s raised", row.id, row.operation)
        return await WORK.retry_later(hub, row, f"unexpected error: {exc!r}")
    async with hub.transaction() as session:
        if await WORK.settle(
            session,
            row,
            status="done",
            processed_at=utcnow(),
            result=_result(value) if computed is None else msgspec.to_builtins(computed),
            last_error=None,
        ):
            await record_success(session, row.connection_id)
            if computed is not None:
                await availability.record_pushed(hub, session, row.connection_id, computed)
    return "done"


# ---------------------------------------------------------------------------- operators


async def replay(session: AsyncSession, outbox_id: int) -> None:
    """Put a dead (or failed) row back to pending with its attempts reset.

    404 if there is no such row; 409 `not_replayable` while it is pending, processing or
    done, and 409 `superseded` when a newer pending row with its coalesce key will send the
    latest state anyway.
    """
    row = await WORK.lock_for_replay(
        session, outbox_id, OUTBOX.c.connection_id, OUTBOX.c.coalesce_key
    )
    if row.coalesce_key is not None:
        newer = await session.scalar(
            sa.select(OUTBOX.c.id).where(
                OUTBOX.c.connection_id == row.connection_id,
                OUTBOX.c.coalesce_key == row.coalesce_key,
                OUTBOX.c.status == "pending",
            )
        )
        if newer is not None:
            raise Conflict(
                f"outbox row {newer} is pending with the same coalesce key and newer data",
                code="superseded",
                pending_id=newer,
            )
    await WORK.reset(session, outbox_id)
