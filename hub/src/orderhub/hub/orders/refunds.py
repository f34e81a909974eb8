"""Refunds decided in OrderHub, sent to the order's channel through the outbox.

The refund is recorded in the order's history (`refund_requested`) and a ``push_refund``
row is written in the same transaction, keyed by a new OrderHub refund id, which the
connector passes on as the provider's idempotency key (Shopify `@idempotent`): a retried
push never refunds twice. The money goes back on the channel's payments, so only orders
from a channel that takes refunds can be refunded here. The channel checks what is still
refundable; OrderHub checks the amount against the order's total and that the lines exist.

When the channel reports the refund back (Shopify's `refunds/create`), the merge records it
as `refund_observed`: the first entry says who decided, the second that the money moved.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connectors import Capability, RefundNotice
from orderhub.core.model import Actor
from orderhub.core.money import Money, MoneyError
from orderhub.hub.errors import Conflict, InvalidInput
from orderhub.hub.ids import new_id
from orderhub.hub.orders import service as orders
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import OrderLineRow
from orderhub.hub.sync import outbox

OPERATION = "push_refund"


class RefundIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount: Annotated[str, msgspec.Meta(pattern=r"^\d+(\.\d+)?$", examples=["19.99"])]
    """The money to give back, as a decimal string."""
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
    """The currency the customer paid in (a channel refuses any other)."""
    lines: dict[
        Annotated[str, msgspec.Meta(min_length=1, max_length=40)],
        Annotated[int, msgspec.Meta(ge=1)],
    ] = {}
    """OrderHub line id -> units refunded (empty: an amount only, e.g. a goodwill refund)."""
    note: Annotated[str, msgspec.Meta(max_length=1024)] | None = None


class RefundOut(msgspec.Struct, kw_only=True):
    refund_id: str
    """OrderHub's id, also the provider's idempotency key."""
    order_id: str
    connection: str
    amount: Money
    lines: dict[str, int]
    """Channel line id -> units, as sent."""
    outbox_id: int | None
    """The `push_refund` row that sends it (see `GET /outbox/{id}`)."""


async def request_refund(
    session: AsyncSession, hub: Hub, order_id: str, data: RefundIn, *, actor: Actor
) -> RefundOut:
    """404 unknown order; 409 `refund_not_supported`; 422 `invalid_amount`, `unknown_line`,
    `too_many_units`, `line_not_on_channel`, `refund_exceeds_total`."""
    row = await orders.get_order_row(session, order_id, for_update=True)
    if not hub.supports(row.connection_id, Capability.PUSH_REFUND):
        raise Conflict(
            f"orders from {row.connection_id!r} cannot be refunded from OrderHub: its "
            "connector takes no refunds",
            code="refund_not_supported",
            connection=row.connection_id,
        )
    try:
        amount = Money.parse(data.amount, data.currency)
    except MoneyError as exc:
        raise InvalidInput(str(exc), code="invalid_amount", amount=data.amount) from exc
    if amount.amount <= 0:
        raise InvalidInput("a refund gives back more than nothing", code="invalid_amount")
    if data.currency == row.currency and amount.amount > row.total_amount:
        raise InvalidInput(
            f"{amount.to_string()} {amount.currency} is more than the order's total",
            code="refund_exceeds_total",
            total=row.total_amount,
        )
    lines = await _channel_lines(session, order_id, data.lines)
    refund_id = new_id("rfd")
    notice = RefundNotice(
        order_external_id=row.external_id,
        refund_id=refund_id,
        amount=amount,
        lines=lines,
        note=data.note,
    )
    await orders.record(
        session,
        row,
        actor,
        "refund_requested",
        {
            "refund_id": refund_id,
            "amount": amount.amount,
            "currency": amount.currency,
            "line_quantities": dict(data.lines),
        },
        data.note,
    )
    outbox_id = await outbox.enqueue(
        session,
        connection_id=row.connection_id,
        operation=OPERATION,
        payload=msgspec.to_builtins(notice),
        idempotency_key=f"refund:{refund_id}",
    )
    return RefundOut(
        refund_id=refund_id,
        order_id=order_id,
        connection=row.connection_id,
        amount=amount,
        lines=lines,
        outbox_id=outbox_id,
    )


async def _channel_lines(
    session: AsyncSession, order_id: str, wanted: dict[str, int]
) -> dict[str, int]:
    """Our line ids and units to the channel's line ids, each checked against the order."""
    if not wanted:
        return {}
    found = {
        line.id: line
        for line in await session.scalars(
            sa.select(OrderLineRow).where(OrderLineRow.order_id == order_id)
        )
    }
    out: dict[str, int] = {}
    for line_id, units in sorted(wanted.items()):
        line = found.get(line_id)
        if line is None:
            raise InvalidInput(
                f"order {order_id} has no line {line_id!r}", code="unknown_line", line_id=line_id
            )
        if units > line.quantity:
            raise InvalidInput(
                f"line {line_id} has {line.quantity} unit(s), not {units}",
                code="too_many_units",
                line_id=line_id,
            )
        if not line.external_id:
            raise InvalidInput(
                f"line {line_id} has no id on the channel", code="line_not_on_channel"
            )
        out[line.external_id] = units
    return out
