"""Routing: each channel's rules, and the simulator (pick an order or paste one, see where
it would go and why). A simulation changes nothing: its session is rolled back."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from litestar import Request, get, post
from litestar.response import Template

from orderhub.hub.allocation import simulate
from orderhub.hub.allocation.schemas import SimulateIn
from orderhub.hub.console.dashboard import OVERVIEW
from orderhub.hub.console.web import page, text
from orderhub.hub.deps import HubDep
from orderhub.hub.errors import InvalidInput, NotFound
from orderhub.hub.orders.schemas import ManualOrderIn
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import OrderRow

EXAMPLE = """{
  "lines": [{"sku": "SKU-1", "quantity": 2}],
  "shipping_address": {"city": "Lyon", "postal_code": "69002", "country": "FR"}
}"""


async def _order_id(hub: Hub, wanted: str) -> str:
    """An order id from what the user typed: the id itself or the order's number."""
    async with hub.read() as session:
        found = await session.scalar(
            sa.select(OrderRow.id)
            .where(sa.or_(OrderRow.id == wanted, OrderRow.number == wanted))
            .order_by(OrderRow.id.desc())
            .limit(1)
        )
    if found is None:
        raise NotFound(f"no order {wanted!r}", code="unknown_order")
    return found


async def _render(request: Request[Any, Any, Any], hub: Hub, **context: Any) -> Template:
    context.setdefault("result", None)
    context.setdefault("order_ref", "")
    context.setdefault("body", "")
    context.setdefault("skus", {})
    if request.headers.get("hx-target") == "simulation":
        return page(request, "routing/_result.html", section="routing", **context)
    return page(
        request,
        "routing/page.html",
        section="routing",
        rules=simulate.rules(hub),
        example=EXAMPLE,
        **context,
    )


@get("/routing", name="console-routing", guards=[OVERVIEW])
async def routing(request: Request[Any, Any, Any], hub: HubDep) -> Template:
    return await _render(request, hub)


@post("/routing/simulate", guards=[OVERVIEW], status_code=200)
async def simulate_order(request: Request[Any, Any, Any], hub: HubDep) -> Template:
    form = await request.form()
    order_ref = text(form, "order")
    body = text(form, "body")
    if bool(order_ref) == bool(body):
        raise InvalidInput(
            "pick an order (its number) or paste one as JSON, not both", code="invalid_simulation"
        )
    if order_ref:
        data = SimulateIn(order_id=await _order_id(hub, order_ref))
    else:
        try:
            data = SimulateIn(order=msgspec.json.decode(body.encode(), type=ManualOrderIn))
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise InvalidInput(
                f"the pasted order does not fit: {exc}", code="invalid_order"
            ) from exc
    async with hub.read() as session:
        try:
            result = await simulate.simulate(hub, session, data)
        finally:
            await session.rollback()
    return await _render(request, hub, result=result, order_ref=order_ref, body=body)
