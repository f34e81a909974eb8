"""Labels in the console: buy them for packed groups, open them, print a location's batch.

"Buy label" is the API's `POST /fulfillments/{id}/ship`: `fulfillment.shipping.ship` rates the
parcels that have no carrier chosen, buys one label per parcel (carrier calls between short
transactions, never inside one) and ships the group. A refusal (no carrier connection, no
rate, the carrier said no, the group is not packed) comes back to the page it was asked from
as an error message with the service's reason; the group stays packed.

A label is served to whoever may see its order (a warehouse user: its own locations only;
another location's label is "not found", like its order). The print view lists the labels of
one location that wait to be handed over — bought in the last `WAITING_DAYS` days and not yet
scanned by the carrier — and "Print all" opens one page with every one of them, which calls
the browser's print dialog.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from orderhub.core.model import FulfillmentMethod
from orderhub.hub.auth.middleware import WRITE_STOCK, check_location_scope
from orderhub.hub.console import queries
from orderhub.hub.console.orders import actor
from orderhub.hub.console.templating import money
from orderhub.hub.console.web import Can, back_to, done, page, text, url
from orderhub.hub.deps import HubDep
from orderhub.hub.errors import HubError, NotFound
from orderhub.hub.fulfillment import labels, shipping
from orderhub.hub.fulfillment.records import (
    get_fulfillment_row,
    get_shipment_row,
    group_shipments,
    latest_label,
    location_of,
)
from orderhub.hub.locations.service import get_location_row
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import FulfillmentRow, LocationRow, OrderRow
from orderhub.hub.store.types import utcnow

WAITING_DAYS = 3
"""A label bought longer ago than this is no longer "waiting to go out" in the print view,
even if its carrier never reports a scan (offline carriers report nothing)."""
MAX_BULK = 50
"""Groups one "Buy all labels" click ships at most; the rest wait for the next click."""
MEDIA_TYPES = {**labels.CONTENT_TYPES, "ZPL": "text/plain"}
"""A ZPL label is printer code: shown as text (litestar adds the UTF-8 charset) in a browser
tab rather than downloaded."""


async def _group_at(hub: Hub, request: Request[Any, Any, Any], fulfillment_id: str) -> OrderRow:
    """The group's order, if the user may act at the group's location (403 otherwise)."""
    async with hub.read() as session:
        group = await get_fulfillment_row(session, fulfillment_id)
        code = (await location_of(session, group)).code
        order = await session.get(OrderRow, group.order_id)
    assert order is not None  # a foreign key
    check_location_scope(request.user, code)
    return order


async def _bought(hub: Hub, fulfillment_id: str) -> str:
    """What the group's parcels got, in words: "Test Post colis TP0123456789 (€4.90)"."""
    async with hub.read() as session:
        parcels = await group_shipments(session, fulfillment_id)
    parts = []
    for parcel in parcels:
        words = [parcel.carrier or parcel.connection_id, parcel.service, parcel.tracking_number]
        if parcel.cost_amount is not None:
            words.append(f"({money(parcel.cost_amount, parcel.cost_currency)})")
        parts.append(" ".join(word for word in words if word))
    return ", ".join(parts)


async def _ship(hub: Hub, request: Request[Any, Any, Any], fulfillment_id: str) -> str:
    """Buy the group's labels and ship it (the API's service); the labels in words."""
    await shipping.ship(hub, fulfillment_id, actor=actor(request))
    return await _bought(hub, fulfillment_id)


@post("/fulfillments/{fulfillment_id:str}/ship", guards=[WRITE_STOCK], status_code=303)
async def buy_label(
    request: Request[Any, Any, Any], hub: HubDep, fulfillment_id: FromPath[str]
) -> Redirect:
    """Buy a packed group's labels; back to the page the form was on, with what happened."""
    order = await _group_at(hub, request, fulfillment_id)
    to = back_to(request, url(f"/orders/{order.id}"))
    try:
        bought = await _ship(hub, request, fulfillment_id)
    except HubError as exc:
        return done(request, to, f"No label for order {order.number}: {exc.message}", kind="error")
    return done(request, to, f"Label bought for order {order.number}: {bought}.")


@post("/warehouse/ship", guards=[WRITE_STOCK], status_code=303)
async def buy_labels(request: Request[Any, Any, Any], hub: HubDep) -> Redirect:
    """Buy the labels of every packed group at one location; each succeeds or fails alone."""
    form = await request.form()
    code = text(form, "location", required=True, label="A location")
    check_location_scope(request.user, code)
    async with hub.read() as session:
        await get_location_row(session, code)
        rows = (
            await session.execute(
                sa.select(FulfillmentRow.id, OrderRow.number)
                .join(LocationRow, LocationRow.id == FulfillmentRow.location_id)
                .join(OrderRow, OrderRow.id == FulfillmentRow.order_id)
                .where(
                    LocationRow.code == code,
                    FulfillmentRow.status == "packed",
                    FulfillmentRow.method != FulfillmentMethod.PICKUP.value,
                )
                .order_by(FulfillmentRow.packed_at, FulfillmentRow.id)
                .limit(MAX_BULK)
            )
        ).all()
    to = url(f"/warehouse?location={quote(code)}")
    if not rows:
        return done(request, to, f"Nothing packed at {code} waits for a label.", kind="error")
    succeeded, failed = 0, []
    for fulfillment_id, number in rows:
        try:
            await _ship(hub, request, fulfillment_id)
            succeeded += 1
        except HubError as exc:
            failed.append(f"{number}: {exc.message}")
    message = f"Labels bought for {succeeded} order(s)"
    if failed:
        shown = "; ".join(failed[:5]) + (" …" if len(failed) > 5 else "")
        return done(request, to, f"{message}, {len(failed)} refused ({shown})", kind="error")
    return done(request, to, message + ".")


@get("/shipments/{shipment_id:str}/label", name="console-label")
async def label_document(
    request: Request[Any, Any, Any], hub: HubDep, shipment_id: FromPath[str]
) -> Response[bytes]:
    """The parcel's purchased label, shown in the browser (PDF, PNG, or ZPL as text)."""
    async with hub.read() as session:
        shipment = await get_shipment_row(session, shipment_id)
        group = await get_fulfillment_row(session, shipment.fulfillment_id)
        if not Can(request.user).see_location((await location_of(session, group)).code):
            raise NotFound(
                f"no shipment {shipment_id!r}", code="unknown_shipment", shipment_id=shipment_id
            )
        label = await latest_label(session, shipment_id)
    if label is None or label.status != "purchased":
        raise NotFound(f"shipment {shipment_id} has no purchased label", code="no_label")
    document = await labels.read_document(label)
    extension = labels.EXTENSIONS.get(label.label_format, "bin")
    name = label.tracking_number or label.id
    return Response(
        document,
        media_type=MEDIA_TYPES.get(label.label_format, "application/octet-stream"),
        headers={
            "Content-Disposition": f'inline; filename="{_safe(name)}.{extension}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _safe(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "-_") or "label"


@get("/warehouse/labels", name="console-print-labels")
async def print_labels(
    request: Request[Any, Any, Any], hub: HubDep, location: FromQuery[str]
) -> Template:
    """Every label of the location waiting to go out, on one page that prints itself."""
    check_location_scope(request.user, location)
    now = utcnow()
    async with hub.read() as session:
        place = await get_location_row(session, location)
        waiting = await queries.labels_waiting(
            session, location, since=now - timedelta(days=WAITING_DAYS)
        )
    return page(
        request,
        "labels_print.html",
        section="warehouse",
        location=place,
        labels=waiting,
        days=WAITING_DAYS,
        now=now,
    )
