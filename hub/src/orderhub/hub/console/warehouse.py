"""The warehouse view: one location's work. Orders allocated there (released by rule or by
hand), the pick list of what is released, picks confirmed with what was found (a short pick
is re-routed by the fulfillment service), packing into a parcel, buying the labels of what is
packed and the labels waiting to be printed and handed over (`console.labels`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from orderhub.hub.auth.middleware import WRITE_ORDERS, WRITE_STOCK, check_location_scope
from orderhub.hub.console import queries
from orderhub.hub.console.labels import WAITING_DAYS
from orderhub.hub.console.orders import actor
from orderhub.hub.console.web import Can, done, integer, page, text, url
from orderhub.hub.deps import HubDep
from orderhub.hub.errors import InvalidInput
from orderhub.hub.fulfillment import packing, picking, release
from orderhub.hub.fulfillment.records import fulfillment_views, get_fulfillment_row, location_of
from orderhub.hub.fulfillment.schemas import PackIn, ParcelIn, PickIn, PicksIn
from orderhub.hub.locations.service import list_locations
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import FulfillmentRow, LocationRow
from orderhub.hub.store.types import utcnow

OPEN_GROUPS = ("planned", "picking", "packed")


@get("/warehouse", name="console-warehouse")
async def warehouse(
    request: Request[Any, Any, Any], hub: HubDep, location: FromQuery[str | None] = None
) -> Template:
    can = Can(request.user)
    async with hub.read() as session:
        locations = [loc for loc in await list_locations(session) if can.see_location(loc.code)]
        current = location or (locations[0].code if locations else None)
        work, picks, groups, waiting = queries.LocationWork(), None, [], []
        if current is not None:
            check_location_scope(request.user, current)
            work = await queries.location_work(session, current)
            picks = await picking.pick_list(session, current)
            rows = await session.scalars(
                sa.select(FulfillmentRow)
                .join(LocationRow, LocationRow.id == FulfillmentRow.location_id)
                .where(LocationRow.code == current, FulfillmentRow.status.in_(OPEN_GROUPS))
                .order_by(FulfillmentRow.planned_at, FulfillmentRow.id)
            )
            groups = await fulfillment_views(session, list(rows))
            waiting = await queries.labels_waiting(
                session, current, since=utcnow() - timedelta(days=WAITING_DAYS)
            )
    planned = {g.order_id: g for g in groups if g.status == "planned"}
    return page(
        request,
        "warehouse.html",
        section="warehouse",
        locations=locations,
        current=current,
        work=work,
        picks=picks,
        planned=planned,
        to_pack=[g for g in groups if g.status == "picking"],
        packed=[g for g in groups if g.status == "packed"],
        waiting=waiting,
        waiting_days=WAITING_DAYS,
    )


async def _group_location(hub: Hub, request: Request[Any, Any, Any], fulfillment_id: str) -> str:
    """The group's location code, if the user may act there (403 otherwise)."""
    async with hub.read() as session:
        group = await get_fulfillment_row(session, fulfillment_id)
        code = (await location_of(session, group)).code
    check_location_scope(request.user, code)
    return code


@post("/fulfillments/{fulfillment_id:str}/release", guards=[WRITE_ORDERS], status_code=303)
async def release_now(
    request: Request[Any, Any, Any], hub: HubDep, fulfillment_id: FromPath[str]
) -> Redirect:
    code = await _group_location(hub, request, fulfillment_id)
    async with hub.transaction() as session:
        await release.release_by_operator(session, hub, fulfillment_id, actor=actor(request))
    return done(request, url(f"/warehouse?location={code}"), "Released for picking.")


@post("/fulfillments/{fulfillment_id:str}/picks", guards=[WRITE_STOCK], status_code=303)
async def confirm_picks(
    request: Request[Any, Any, Any], hub: HubDep, fulfillment_id: FromPath[str]
) -> Redirect:
    """Every line's found units; fewer than asked is a short pick."""
    code = await _group_location(hub, request, fulfillment_id)
    form = await request.form()
    lines = []
    for key in form:
        if key.startswith("found:"):
            found = integer(form, key, label="Found")
            if found < 0:
                raise InvalidInput("found units cannot be negative", code="invalid_quantity")
            lines.append(PickIn(line_id=key.removeprefix("found:"), found=found))
    if not lines:
        raise InvalidInput("say how many units were found for each line", code="no_lines")
    async with hub.transaction() as session:
        group = await picking.confirm_picks(
            session, hub, fulfillment_id, PicksIn(lines=lines), actor=actor(request)
        )
        views = await fulfillment_views(session, [group])
    short = sum(line.quantity_short for line in views[0].lines) if views else 0
    message = (
        f"Picks confirmed; {short} unit(s) short were re-routed."
        if short
        else "Picks confirmed: everything found."
    )
    return done(request, url(f"/warehouse?location={code}"), message)


@post("/fulfillments/{fulfillment_id:str}/pack", guards=[WRITE_STOCK], status_code=303)
async def pack(
    request: Request[Any, Any, Any], hub: HubDep, fulfillment_id: FromPath[str]
) -> Redirect:
    """Everything picked goes into one parcel of the given weight (and size)."""
    code = await _group_location(hub, request, fulfillment_id)
    form = await request.form()
    weight = integer(form, "weight_grams", label="The weight")
    sizes = {name: text(form, name) for name in ("length_mm", "width_mm", "height_mm")}
    if weight <= 0:
        raise InvalidInput("a parcel weighs at least 1 g", code="invalid_weight")
    parcel = ParcelIn(
        weight_grams=weight,
        **{name: int(value) for name, value in sizes.items() if value.isdigit() and int(value) > 0},
    )
    async with hub.transaction() as session:
        await packing.pack(session, fulfillment_id, PackIn(parcels=[parcel]), actor=actor(request))
    return done(request, url(f"/warehouse?location={code}"), "Packed: ready for its label.")
