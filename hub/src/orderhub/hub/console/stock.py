"""Stock: levels per item and location, what each channel may sell, adjustments, transfers
and the movements ledger. Warehouse users see and change their own locations only."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from orderhub.core.model import MovementKind, StockLevel
from orderhub.hub.allocation import availability, receipts
from orderhub.hub.allocation.schemas import TransferIn
from orderhub.hub.auth.middleware import WRITE_STOCK, check_location_scope
from orderhub.hub.catalog.service import get_item_row
from orderhub.hub.console import queries
from orderhub.hub.console.orders import actor, channels
from orderhub.hub.console.web import Can, back_to, done, integer, page, text, url
from orderhub.hub.deps import HubDep
from orderhub.hub.locations.service import list_locations
from orderhub.hub.runtime import Hub
from orderhub.hub.stock import service

MOVEMENTS_PAGE = 50


async def channel_availability(
    hub: Hub, session: Any, sku: str
) -> dict[str, tuple[int | None, str]]:
    """What each sales channel may sell of one SKU now, by its availability policy."""
    out = {}
    for channel_id in channels(hub):
        policy = hub.policies.for_connection(channel_id)
        out[channel_id] = await availability.channel_quantity(session, policy, sku)
    return out


@get("/stock", name="console-stock")
async def stock_list(
    request: Request[Any, Any, Any],
    hub: HubDep,
    q: FromQuery[str | None] = None,
    after: FromQuery[str | None] = None,
) -> Template:
    can = Can(request.user)
    async with hub.read() as session:
        locations = [loc for loc in await list_locations(session) if can.see_location(loc.code)]
        items, next_after = await queries.item_page(session, q=q, after=after)
        levels = await service.levels(session, skus=[item.sku for item in items])
    codes = [loc.code for loc in locations]
    by_item: dict[str, dict[str, StockLevel]] = {}
    for level in levels:
        if level.location in codes:
            by_item.setdefault(level.sku, {})[level.location] = level
    return page(
        request,
        "stock/list.html",
        section="stock",
        items=items,
        locations=locations,
        levels=by_item,
        q=q or "",
        next_after=next_after,
        first_page=after is None,
    )


@get("/stock/movements", name="console-movements")
async def movements(
    request: Request[Any, Any, Any],
    hub: HubDep,
    sku: FromQuery[str | None] = None,
    location: FromQuery[str | None] = None,
    before: FromQuery[int | None] = None,
) -> Template:
    can = Can(request.user)
    scoped = can.scoped_locations
    if location and not can.see_location(location):
        check_location_scope(request.user, location)
    async with hub.read() as session:
        if scoped is not None and not location:
            rows: list[Any] = []
            for code in scoped:
                rows += await service.movements(
                    session,
                    sku=sku or None,
                    location=code,
                    limit=MOVEMENTS_PAGE + 1,
                    before_id=before,
                )
            rows.sort(key=lambda pair: -pair[0])
        else:
            rows = await service.movements(
                session,
                sku=sku or None,
                location=location or None,
                limit=MOVEMENTS_PAGE + 1,
                before_id=before,
            )
        locations = [loc for loc in await list_locations(session) if can.see_location(loc.code)]
    more = len(rows) > MOVEMENTS_PAGE
    rows = rows[:MOVEMENTS_PAGE]
    return page(
        request,
        "stock/movements.html",
        section="stock",
        rows=rows,
        sku=sku or "",
        location=location or "",
        locations=locations,
        next_before=rows[-1][0] if more and rows else None,
    )


@get("/stock/{sku:str}", name="console-stock-item")
async def stock_item(request: Request[Any, Any, Any], hub: HubDep, sku: FromPath[str]) -> Template:
    can = Can(request.user)
    async with hub.read() as session:
        item = await get_item_row(session, sku)
        locations = await list_locations(session)
        levels = await service.levels(session, skus=[sku])
        ledger = await service.movements(session, sku=sku, limit=30)
        per_channel = await channel_availability(hub, session, sku) if can.overview else {}
    visible = [loc for loc in locations if can.see_location(loc.code)]
    by_location = {level.location: level for level in levels}
    return page(
        request,
        "stock/item.html",
        section="stock",
        item=item,
        locations=visible,
        levels=by_location,
        channels=per_channel,
        ledger=[(i, m) for i, m in ledger if can.see_location(m.location)],
        movable=[loc for loc in visible if can.stock_at(loc.code)],
    )


@post("/stock/{sku:str}/adjust", guards=[WRITE_STOCK], status_code=303)
async def adjust(request: Request[Any, Any, Any], hub: HubDep, sku: FromPath[str]) -> Redirect:
    form = await request.form()
    location = text(form, "location", required=True, label="The location")
    check_location_scope(request.user, location)
    delta = integer(form, "delta", label="The change")
    reason = text(form, "reason", required=True, label="A reason")
    async with hub.transaction() as session:
        level = await service.adjust(
            session,
            sku,
            location,
            delta,
            kind=MovementKind.ADJUSTMENT,
            reason=reason,
            reference=text(form, "reference") or None,
            actor=request.user.name,
        )
    return done(
        request,
        back_to(request, url(f"/stock/{sku}")),
        f"{sku} at {location}: {delta:+d}. On hand {level.on_hand}, available {level.available}.",
    )


@post("/stock/{sku:str}/transfer", guards=[WRITE_STOCK], status_code=303)
async def transfer(request: Request[Any, Any, Any], hub: HubDep, sku: FromPath[str]) -> Redirect:
    """Move available units between two locations with the allocation's transfer service
    (backorders at the destination are filled from them)."""
    form = await request.form()
    source = text(form, "from", required=True, label="From")
    target = text(form, "to", required=True, label="To")
    check_location_scope(request.user, source)
    check_location_scope(request.user, target)
    data = TransferIn(
        sku=sku,
        from_location=source,
        to_location=target,
        quantity=integer(form, "quantity", label="The quantity"),
        reference=text(form, "reference") or None,
    )
    async with hub.transaction() as session:
        moved = await receipts.transfer(hub, session, data, actor=actor(request))
    return done(
        request,
        back_to(request, url(f"/stock/{sku}")),
        f"{moved.quantity} × {sku} moved from {source} to {target} ({moved.reference}).",
    )
