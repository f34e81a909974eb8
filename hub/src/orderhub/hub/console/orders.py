"""Orders: the filtered list with bulk actions, and one order's page with its actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from orderhub.core import lifecycle
from orderhub.core.connectors import ConnectorKind
from orderhub.core.model import Actor, ActorKind, Order, OrderStatus
from orderhub.hub.allocation import edits, holds
from orderhub.hub.allocation.schemas import OrderEditIn, RerouteIn
from orderhub.hub.auth.middleware import WRITE_ORDERS
from orderhub.hub.auth.tokens import Principal
from orderhub.hub.console import queries
from orderhub.hub.console.web import Can, back_to, done, page, text, url
from orderhub.hub.deps import HubDep
from orderhub.hub.errors import Conflict, HubError, InvalidInput, NotFound
from orderhub.hub.fulfillment.records import fulfillment_views, shipment_views
from orderhub.hub.locations.service import list_locations
from orderhub.hub.orders import service
from orderhub.hub.orders.cancellation import cancel_and_notify
from orderhub.hub.orders.schemas import OrderFilter
from orderhub.hub.runtime import Hub
from orderhub.hub.schemas import AddressIn
from orderhub.hub.store.tables import FulfillmentRow, OrderRow, ShipmentRow
from orderhub.hub.store.types import utcnow

PAGE_SIZE = 50
MAX_BULK = 200


def actor(request: Request[Any, Any, Any]) -> Actor:
    """The signed-in person, as the order history names them."""
    return Actor(kind=ActorKind.USER, name=request.user.name)


def channels(hub: Hub) -> list[str]:
    """Connections whose connector is a sales channel, by id."""
    classes = hub.plugins.connectors()
    return sorted(
        conn.id
        for conn in hub.connections.values()
        if getattr(classes.get(conn.connector), "kind", None) is ConnectorKind.CHANNEL
    )


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{field} must be a date (YYYY-MM-DD)", code="invalid_date") from exc


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class ListQuery(msgspec.Struct, kw_only=True):
    """The list's filters as the form sends them (every field a string, blank for none)."""

    status: str = ""
    channel: str = ""
    location: str = ""
    placed_from: str = ""
    placed_to: str = ""
    customer: str = ""
    q: str = ""
    late: bool = False

    @classmethod
    def of(cls, request: Request[Any, Any, Any]) -> ListQuery:
        params = request.query_params
        return cls(
            **{name: (params.get(name) or "").strip() for name in _TEXT_FIELDS},
            late=params.get("late") in ("1", "on", "true"),
        )

    def link(self, **changes: Any) -> str:
        values = {**msgspec.structs.asdict(self), **changes}
        parts = [f"{k}={v}" for k, v in values.items() if v and k != "late"]
        if values.get("late"):
            parts.append("late=1")
        return url("/orders") + ("?" + "&".join(parts) if parts else "")


_TEXT_FIELDS = ("status", "channel", "location", "placed_from", "placed_to", "customer", "q")


async def _scope_condition(can: Can, location: str) -> list[Any]:
    """Location filter, narrowed to a warehouse user's own locations whatever they ask."""
    scoped = can.scoped_locations
    if scoped is not None:
        codes = [location] if location in scoped else list(scoped)
        if location and location not in scoped:
            raise NotFound(f"no location {location!r} for you", code="unknown_location")
        return [queries.location_condition(codes)]
    return [queries.location_condition([location])] if location else []


@get("/orders", name="console-orders")
async def order_list(
    request: Request[Any, Any, Any], hub: HubDep, cursor: FromQuery[str | None] = None
) -> Template:
    query = ListQuery.of(request)
    can = Can(request.user)
    if query.status and query.status not in {s.value for s in OrderStatus}:
        raise InvalidInput(f"unknown status {query.status!r}", code="invalid_status")
    placed_from, placed_to = _day(query.placed_from, "from"), _day(query.placed_to, "to")
    now = utcnow()
    where = await _scope_condition(can, query.location)
    if query.late:
        where.append(queries.late_condition(now))
    search = query.q
    async with hub.read() as session:
        if search:
            tracked = await queries.order_ids_by_tracking(session, search)
            if tracked:
                where.append(OrderRow.id.in_(tracked))
                search = ""
        filters = OrderFilter(
            status=[OrderStatus(query.status)] if query.status else [],
            connection=query.channel or None,
            placed_from=_midnight(placed_from) if placed_from else None,
            placed_to=_midnight(placed_to) + timedelta(days=1) if placed_to else None,
            customer=query.customer or None,
            q=search or None,
        )
        items, next_cursor = await service.list_orders(
            session, filters, limit=PAGE_SIZE, cursor=cursor, where=where
        )
        ids = [item.id for item in items]
        locations = await queries.order_locations(session, ids)
        late_ids = await queries.late_among(session, ids, now)
        all_locations = [loc for loc in await list_locations(session) if can.see_location(loc.code)]
    partial = request.headers.get("hx-target") == "results"
    return page(
        request,
        "orders/_results.html" if partial else "orders/list.html",
        section="orders",
        query=query,
        items=items,
        locations=locations,
        next_cursor=next_cursor,
        first_page=cursor is None,
        statuses=[s.value for s in OrderStatus],
        channels=channels(hub),
        all_locations=all_locations,
        late_ids=late_ids,
        bulk_labels=[(name, text) for name, (text, _) in bulk_actions().items()],
    )


async def check_order_scope(hub: Hub, user: Principal, order_id: str) -> None:
    """A warehouse user sees only orders reserved or shipped at its locations (else 404)."""
    scoped = Can(user).scoped_locations
    if scoped is None:
        return
    async with hub.read() as session:
        visible = await session.scalar(
            sa.select(OrderRow.id).where(
                OrderRow.id == order_id, queries.location_condition(scoped)
            )
        )
    if visible is None:
        raise NotFound(f"no order {order_id!r}", code="unknown_order", order_id=order_id)


@get("/orders/{order_id:str}", name="console-order")
async def order_page(
    request: Request[Any, Any, Any], hub: HubDep, order_id: FromPath[str]
) -> Template:
    await check_order_scope(hub, request.user, order_id)
    now = utcnow()
    async with hub.read() as session:
        order = await service.get_order(session, order_id)
        row = await queries.order_row(session, order_id)
        history = await service.history(session, order_id)
        allocations = await queries.allocations(session, order_id)
        shipments = await queries.shipments(session, order_id)
        groups = await fulfillment_views(
            session,
            list(
                await session.scalars(
                    sa.select(FulfillmentRow)
                    .where(FulfillmentRow.order_id == order_id)
                    .order_by(FulfillmentRow.planned_at, FulfillmentRow.id)
                )
            ),
        )
        parcels = await shipment_views(
            session,
            list(
                await session.scalars(
                    sa.select(ShipmentRow)
                    .where(ShipmentRow.order_id == order_id)
                    .order_by(ShipmentRow.id)
                )
            ),
        )
    scoped = Can(request.user).scoped_locations
    if scoped is not None:  # a warehouse user sees its own locations' part of the order
        allocations = [a for a in allocations if a.location in scoped]
        groups = [g for g in groups if g.location in scoped]
        parcels = [s for s in parcels if s.location in scoped]
        shipments = [s for s in shipments if s.location in scoped]
    return page(
        request,
        "orders/detail.html",
        section="orders",
        order=order,
        trace=(row.routing_trace if row is not None and scoped is None else None) or [],
        history=list(reversed(history)),
        allocations=allocations,
        shipments=shipments,
        groups=groups,
        parcels=parcels,
        late=queries.late_reason(row, now) if row is not None else "",
        can_cancel=order.status not in _NOT_CANCELLABLE,
        editable=lifecycle.is_editable(order.status),
        address=msgspec.to_builtins(order.shipping_address) if order.shipping_address else {},
        reroute_locations=[loc.code for loc in await _locations(hub)],
    )


_NOT_CANCELLABLE = {
    OrderStatus.CANCELLED,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.PARTIALLY_RETURNED,
    OrderStatus.RETURNED,
}


async def cancel(hub: Hub, order_id: str, *, by: Actor, reason: str) -> Order:
    async with hub.transaction() as session:
        return await cancel_and_notify(hub, session, order_id, actor=by, reason=reason)


@post("/orders/{order_id:str}/cancel", guards=[WRITE_ORDERS], status_code=303)
async def cancel_one(
    request: Request[Any, Any, Any], hub: HubDep, order_id: FromPath[str]
) -> Redirect:
    form = await request.form()
    reason = text(form, "reason", required=True, label="A reason")
    order = await cancel(hub, order_id, by=actor(request), reason=reason)
    return done(request, url(f"/orders/{order_id}"), f"Order {order.number} cancelled.")


@post("/orders/bulk", guards=[WRITE_ORDERS], status_code=303)
async def bulk(request: Request[Any, Any, Any], hub: HubDep) -> Redirect:
    """Apply one action to the ticked orders; each order succeeds or fails on its own."""
    form = await request.form()
    action = text(form, "action", required=True, label="An action")
    order_ids = [value for value in form.getall("order") if isinstance(value, str)][:MAX_BULK]
    if not order_ids:
        raise InvalidInput("tick at least one order", code="nothing_selected")
    handlers = bulk_actions()
    if action not in handlers:
        raise InvalidInput(f"unknown action {action!r}", code="unknown_action")
    label, handler = handlers[action]
    reason = text(form, "reason")
    succeeded, failed = 0, []
    for order_id in order_ids:
        try:
            await handler(hub, request, order_id, reason)
            succeeded += 1
        except HubError as exc:
            failed.append(f"{order_id}: {exc.message}")
    to = back_to(request, url("/orders"))
    message = f"{label}: {succeeded} order(s) done"
    if failed:
        shown = "; ".join(failed[:5]) + (" …" if len(failed) > 5 else "")
        return done(request, to, f"{message}, {len(failed)} refused ({shown})", kind="error")
    return done(request, to, message + ".")


async def _bulk_cancel(
    hub: Hub, request: Request[Any, Any, Any], order_id: str, reason: str
) -> None:
    if not reason:
        raise InvalidInput("a reason is required to cancel", code="missing_field")
    await cancel(hub, order_id, by=actor(request), reason=reason)


def bulk_actions() -> dict[str, tuple[str, Any]]:
    """Bulk action name -> (label, handler(hub, request, order_id, reason))."""
    return {
        "release_holds": ("Release holds", _bulk_clear_holds),
        "cancel": ("Cancel", _bulk_cancel),
    }


async def _locations(hub: Hub) -> list[Any]:
    async with hub.read() as session:
        return [loc for loc in await list_locations(session) if loc.active]


async def clear_holds(hub: Hub, order_id: str, *, by: Actor, note: str) -> int:
    """Clear every active hold of an order with the hold service; with none left it is
    allocated. Returns how many holds were cleared."""
    async with hub.transaction() as session:
        order = await service.get_order(session, order_id)
        active = [hold.id for hold in order.active_holds]
        if not active:
            raise Conflict(f"order {order.number} has no hold to release", code="no_active_hold")
        for hold_id in active:
            await holds.clear_hold(hub, session, order_id, hold_id, actor=by, note=note)
    return len(active)


async def _bulk_clear_holds(
    hub: Hub, request: Request[Any, Any, Any], order_id: str, note: str
) -> None:
    await clear_holds(hub, order_id, by=actor(request), note=note or "released from the console")


@post("/orders/{order_id:str}/holds/{hold_id:str}/release", guards=[WRITE_ORDERS], status_code=303)
async def clear_hold(
    request: Request[Any, Any, Any], hub: HubDep, order_id: FromPath[str], hold_id: FromPath[str]
) -> Redirect:
    form = await request.form()
    note = text(form, "note", required=True, label="A note saying why it may go on")
    async with hub.transaction() as session:
        order = await holds.clear_hold(
            hub, session, order_id, hold_id, actor=actor(request), note=note
        )
    return done(
        request,
        url(f"/orders/{order_id}"),
        f"Hold released. Order {order.number} is now {order.status.value.replace('_', ' ')}.",
    )


@post("/orders/{order_id:str}/reroute", guards=[WRITE_ORDERS], status_code=303)
async def reroute(
    request: Request[Any, Any, Any], hub: HubDep, order_id: FromPath[str]
) -> Redirect:
    """Give back the reservations and route again (at one location if chosen)."""
    form = await request.form()
    data = RerouteIn(location=text(form, "location") or None, reason=text(form, "reason") or None)
    async with hub.transaction() as session:
        order = await edits.reroute(hub, session, order_id, data, actor=actor(request))
    return done(
        request,
        url(f"/orders/{order_id}") + "#trace",
        f"Order {order.number} re-routed: now {order.status.value.replace('_', ' ')}.",
    )


ADDRESS_FIELDS = (
    "name",
    "company",
    "line1",
    "line2",
    "postal_code",
    "city",
    "region",
    "country",
    "phone",
)


@post("/orders/{order_id:str}/address", guards=[WRITE_ORDERS], status_code=303)
async def edit_address(
    request: Request[Any, Any, Any], hub: HubDep, order_id: FromPath[str]
) -> Redirect:
    """Change the shipping address (the order is checked and routed again)."""
    form = await request.form()
    fields = {name: text(form, name) or None for name in ADDRESS_FIELDS}
    if fields["country"]:
        fields["country"] = fields["country"].upper()
    try:
        address = msgspec.convert(fields, AddressIn)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"the address is not valid: {exc}", code="invalid_address") from exc
    version = text(form, "version")
    edit = OrderEditIn(
        version=int(version) if version.isdigit() else None,
        shipping_address=address,
        reason=text(form, "reason") or None,
    )
    async with hub.transaction() as session:
        order = await edits.edit_order(hub, session, order_id, edit, actor=actor(request))
    return done(request, url(f"/orders/{order_id}"), f"Address of order {order.number} saved.")
