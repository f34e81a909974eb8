"""Changing an order before it is released: edits and re-routes.

An edit (new shipping address, shipping method, line quantities, cancelled lines) is
versioned: the caller names the version it read (`If-Match` or `version`) and a different
current version is a 409, so two people never overwrite each other. The order must still be
editable (pending, on hold, allocated, partially allocated, backordered): a released or
shipped order, or a line with shipped units, is a 409.

After an edit every reservation and preorder of the order is given back, the holds that the
checks or routing placed are cleared (they are decided again), and — unless an operator's
hold remains — the checks and routing run again, as for a new order. The history has one
`edited` entry with what changed and the version it applied to.

A re-route gives back the reservations and plans again, optionally at a location the
operator forces (the channel's routing rules do not apply to it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core import lifecycle
from orderhub.core.model import Actor, Money, Order, OrderStatus, ShippingLine
from orderhub.core.money import MoneyError
from orderhub.hub.allocation import engine, intake
from orderhub.hub.allocation.schemas import OrderEditIn, RerouteIn
from orderhub.hub.errors import Conflict, InvalidInput, NotFound
from orderhub.hub.orders import aggregate, service
from orderhub.hub.orders.aggregate import OrderRows
from orderhub.hub.orders.mapping import line_from_row
from orderhub.hub.store.tables import LocationRow
from orderhub.hub.store.types import utcnow

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

AUTOMATIC_HOLD_SOURCES = ("preprocess.", "routing")
"""Holds placed by checks or routing: decided again after an edit."""


def _editable(rows: OrderRows) -> None:
    status = OrderStatus(rows.row.status)
    if not lifecycle.is_editable(status):
        raise Conflict(
            f"order {rows.row.number} is {status.value}: it can no longer be changed",
            code="order_not_editable",
            status=status.value,
        )


def _check_version(rows: OrderRows, expected: int | None) -> None:
    if expected is None:
        raise InvalidInput(
            "say which version of the order you edit: an If-Match header or a version field",
            code="version_required",
            current_version=rows.row.version,
        )
    if expected != rows.row.version:
        raise Conflict(
            f"order {rows.row.number} is at version {rows.row.version}, not {expected}: "
            "read it again and redo the change",
            code="version_mismatch",
            current_version=rows.row.version,
            given_version=expected,
        )


def _line_changes(rows: OrderRows, edit: OrderEditIn) -> dict[str, dict[str, Any]]:
    """Validate the line edits against the order; line id -> what changes. Raises on bad input."""
    seen: set[str] = set()
    changes: dict[str, dict[str, Any]] = {}
    by_id = {line.id: line for line in rows.lines}
    for index, change in enumerate(edit.lines):
        line = by_id.get(change.id)
        if line is None:
            raise InvalidInput(
                f"lines[{index}]: order {rows.row.number} has no line {change.id!r}",
                code="unknown_line",
                line_id=change.id,
            )
        if change.id in seen:
            raise InvalidInput(
                f"lines[{index}]: line {change.id} is listed twice", code="duplicate_line"
            )
        seen.add(change.id)
        if change.cancel == (change.quantity is not None):
            raise InvalidInput(
                f"lines[{index}]: give either a new quantity or cancel = true",
                code="invalid_line_edit",
                line_id=change.id,
            )
        if line.quantity_shipped > 0:
            raise Conflict(
                f"line {line.id} ({line.sku}) has shipped units: it can no longer be changed",
                code="line_shipped",
                line_id=line.id,
                shipped=line.quantity_shipped,
            )
        if change.cancel:
            if line.quantity - line.quantity_cancelled <= 0:
                raise Conflict(f"line {line.id} is already cancelled", code="line_cancelled")
            changes[line.id] = {"cancelled": line.quantity - line.quantity_cancelled}
            continue
        assert change.quantity is not None
        if change.quantity <= 0:
            raise InvalidInput(
                f"lines[{index}]: quantity must be at least 1 (to drop the line, cancel it)",
                code="invalid_quantity",
                line_id=line.id,
                quantity=change.quantity,
            )
        active = line.quantity - line.quantity_cancelled
        if change.quantity != active:
            changes[line.id] = {"quantity": {"from": active, "to": change.quantity}}
    return changes


def _shipping(edit: OrderEditIn, currency: str) -> list[ShippingLine] | None:
    if edit.shipping is None:
        return None
    try:
        price = Money.parse(edit.shipping.price, currency)
    except MoneyError as exc:
        raise InvalidInput(str(exc), code="invalid_amount", field="shipping.price") from exc
    return [ShippingLine(title=edit.shipping.title, code=edit.shipping.code, price=price)]


async def _clear_automatic_holds(session: AsyncSession, rows: OrderRows, actor: Actor) -> None:
    for hold in rows.active_holds:
        if hold.source.startswith(AUTOMATIC_HOLD_SOURCES):
            hold.released_at = utcnow()
            hold.released_by = str(actor)
            hold.release_note = "decided again after an edit"
            await service.record(
                session,
                rows.row,
                actor,
                "hold_released",
                {"hold_id": hold.id, "reason": hold.reason, "source": hold.source},
                "decided again after an edit",
                bump=False,
            )


async def _run_again(
    hub: Hub, session: AsyncSession, rows: OrderRows, actor: Actor, cause: str
) -> None:
    """Settle the status after a change, then check and allocate unless a hold remains."""
    lines = [line_from_row(line, rows.row.currency) for line in rows.lines]
    if lifecycle.status_from_quantities(lines) is OrderStatus.CANCELLED:
        await service.change_status(
            session,
            rows.row,
            OrderStatus.CANCELLED,
            actor,
            reason="every line cancelled",
            bump=False,
        )
        rows.row.cancel_reason = rows.row.cancel_reason or "every line cancelled by an edit"
        return
    if rows.active_holds:
        return
    await service.change_status(
        session,
        rows.row,
        OrderStatus.PENDING,
        actor,
        reason=f"{cause}: checked and routed again",
        bump=False,
    )
    await intake.preprocess(hub, session, rows, cause=cause)


async def edit_order(
    hub: Hub,
    session: AsyncSession,
    order_id: str,
    edit: OrderEditIn,
    *,
    actor: Actor,
    if_match: int | None = None,
) -> Order:
    rows = await aggregate.lock_order(session, order_id)
    _check_version(rows, edit.version if edit.version is not None else if_match)
    _editable(rows)
    line_changes = _line_changes(rows, edit)
    shipping = _shipping(edit, rows.row.currency)
    if edit.shipping_address is None and shipping is None and not line_changes:
        raise InvalidInput("the edit changes nothing", code="empty_edit")
    from_version = rows.row.version
    released = await engine.give_back(session, rows)
    changed: dict[str, Any] = {}
    if edit.shipping_address is not None:
        changed["shipping_address"] = {
            "from": rows.row.shipping_address,
            "to": msgspec.to_builtins(edit.shipping_address),
        }
        rows.row.shipping_address = msgspec.to_builtins(edit.shipping_address)
    if shipping is not None:
        changed["shipping_lines"] = {
            "from": rows.row.shipping_lines,
            "to": msgspec.to_builtins(shipping),
        }
        rows.row.shipping_lines = msgspec.to_builtins(shipping)
    by_id = {line.id: line for line in rows.lines}
    for line_id, change in line_changes.items():
        line = by_id[line_id]
        if "cancelled" in change:
            line.quantity_cancelled = line.quantity
        else:
            line.quantity = line.quantity_cancelled + change["quantity"]["to"]
    if line_changes:
        changed["lines"] = line_changes
    if line_changes or shipping is not None:
        totals = rows.order().computed_totals()
        rows.row.totals = msgspec.to_builtins(totals)
        rows.row.total_amount = totals.total.amount
    changed["units_given_back"] = released
    await service.record(
        session,
        rows.row,
        actor,
        "edited",
        {"from_version": from_version, "changes": changed},
        edit.reason,
    )
    await _clear_automatic_holds(session, rows, actor)
    await _run_again(hub, session, rows, actor, "edit")
    return rows.order()


async def reroute(
    hub: Hub, session: AsyncSession, order_id: str, data: RerouteIn, *, actor: Actor
) -> Order:
    """Give back the order's reservations and plan again (at `data.location` if given)."""
    rows = await aggregate.lock_order(session, order_id)
    _editable(rows)
    if rows.active_holds:
        raise Conflict(
            f"order {rows.row.number} is on hold: release its holds first",
            code="order_on_hold",
        )
    if data.location is not None:
        active = await session.scalar(
            sa.select(LocationRow.active).where(LocationRow.code == data.location)
        )
        if active is None:
            raise NotFound(
                f"no location with code {data.location!r}",
                code="unknown_location",
                location=data.location,
            )
        if not active:
            raise Conflict(f"location {data.location} is not active", code="inactive_location")
    released = await engine.give_back(session, rows)
    await service.record(
        session,
        rows.row,
        actor,
        "rerouted",
        {"units_given_back": released, "location": data.location},
        data.reason,
    )
    await service.change_status(
        session, rows.row, OrderStatus.PENDING, actor, reason="re-routed by an operator", bump=False
    )
    await engine.allocate(
        hub, session, rows, cause="reroute", actor=actor, force_location=data.location
    )
    return rows.order()
