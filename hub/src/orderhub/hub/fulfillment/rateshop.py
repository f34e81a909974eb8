"""Rate shopping: every enabled carrier connection quotes every parcel, in parallel, with no
database transaction open; `rating.choose_rate` picks by the merchant's rules; the choice,
every alternative and every carrier's error are recorded on the shipment.

A parcel no carrier can take is flagged for an operator (`attention_code = "no_rate"`,
with the carriers' own messages) and the caller gets a 409 saying why.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connectors import Capability, ConnectorError, ConnectorKind, RateRequest
from orderhub.core.model import (
    Actor,
    Address,
    FulfillmentMethod,
    OrderStatus,
    Parcel,
    PickSchedule,
    ShippingLine,
)
from orderhub.hub.errors import Conflict
from orderhub.hub.fulfillment.rating import Quote, RateChoice, ShippingTerms, choose_rate
from orderhub.hub.fulfillment.records import get_fulfillment_row, group_shipments, location_of
from orderhub.hub.orders import service as orders
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import ShipmentRow
from orderhub.hub.store.types import utcnow

log = logging.getLogger(__name__)

NO_RATE = "no_rate"


def carrier_connections(hub: Hub) -> list[str]:
    """Enabled connections of carrier connectors that both rate and sell labels, by id."""
    connectors = hub.plugins.connectors()
    found = []
    for conn_id in sorted(hub.connections):
        cls = connectors.get(hub.connections[conn_id].connector)
        if (
            cls is not None
            and cls.kind is ConnectorKind.CARRIER
            and hub.supports(conn_id, Capability.RATES)
            and hub.supports(conn_id, Capability.LABELS)
        ):
            found.append(conn_id)
    return found


def error_text(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    return f"{code}: {exc}" if code else str(exc)


def parcel_of(shipment: ShipmentRow) -> Parcel:
    return Parcel(
        weight_grams=shipment.weight_grams,
        length_mm=shipment.length_mm,
        width_mm=shipment.width_mm,
        height_mm=shipment.height_mm,
    )


@dataclass
class Shipping:
    """What a carrier needs to know about a packed group, read in one short transaction."""

    fulfillment_id: str
    order_id: str
    origin: Address
    destination: Address
    terms: ShippingTerms
    shipments: list[ShipmentRow]


async def shipping_of(session: AsyncSession, hub: Hub, fulfillment_id: str) -> Shipping:
    """The packed group's addresses, terms and parcels; 409 when it cannot go by carrier."""
    group = await get_fulfillment_row(session, fulfillment_id)
    order = await orders.get_order_row(session, group.order_id)
    if order.status == OrderStatus.CANCELLED.value:
        raise Conflict(f"order {order.number} is cancelled", code="order_cancelled")
    if group.status != "packed":
        raise Conflict(
            f"fulfillment {group.id} is {group.status}; carriers are asked once it is packed",
            code="not_packed",
            status=group.status,
        )
    if group.method == FulfillmentMethod.PICKUP.value:
        raise Conflict(
            f"fulfillment {group.id} is collected by the customer, not sent by a carrier",
            code="pickup_not_shipped",
        )
    location = await location_of(session, group)
    if not location.address:
        raise Conflict(
            f"location {location.code} has no address to ship from",
            code="no_origin_address",
            location=location.code,
        )
    if not order.shipping_address:
        raise Conflict(f"order {order.number} has no shipping address", code="no_shipping_address")
    destination = msgspec.convert(order.shipping_address, Address)
    shipping = msgspec.convert(order.shipping_lines or [], list[ShippingLine])
    level = shipping[0].code if shipping else None
    config = hub.settings.fulfillment.shipping
    preferred = next(
        (p.carriers for p in config.preferred if p.matches(destination.country, level)), []
    )
    schedule = msgspec.convert(location.schedule or {}, PickSchedule)
    return Shipping(
        fulfillment_id=group.id,
        order_id=order.id,
        origin=msgspec.convert(location.address, Address),
        destination=destination,
        terms=ShippingTerms(
            ship_date=_today(schedule.timezone),
            currency=order.currency,
            service_level=level,
            max_transit_days=config.service_levels.get(level) if level else None,
            promised=order.promised_date,
            preferred=tuple(preferred),
        ),
        shipments=await group_shipments(session, group.id),
    )


def _today(timezone: str) -> date:
    try:
        return utcnow().astimezone(ZoneInfo(timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return utcnow().date()


async def _quotes(
    hub: Hub, conn_id: str, request: RateRequest
) -> tuple[str, list[Quote], str | None]:
    try:
        rates = await hub.connector(conn_id).get_rates(request)
    except ConnectorError as exc:
        return conn_id, [], error_text(exc)
    except Exception as exc:  # a connector bug must not hide the other carriers' rates
        log.exception("rates from %s failed", conn_id)
        return conn_id, [], f"unexpected error: {exc!r}"
    return conn_id, [Quote(connection=conn_id, rate=rate) for rate in rates], None


async def quote_all(
    hub: Hub, shipping: Shipping, shipments: list[ShipmentRow]
) -> dict[str, RateChoice]:
    """Shipment id -> the choice among every carrier's rates. No transaction is open here."""
    carriers = carrier_connections(hub)
    if not carriers:
        raise Conflict("no enabled carrier connection can rate and sell labels", code="no_carrier")
    calls = [
        _quotes(
            hub,
            conn_id,
            RateRequest(
                reference=shipment.id,
                origin=shipping.origin,
                destination=shipping.destination,
                parcels=[parcel_of(shipment)],
                ship_date=shipping.terms.ship_date,
            ),
        )
        for shipment in shipments
        for conn_id in carriers
    ]
    answers = await asyncio.gather(*calls)
    choices = {}
    for index, shipment in enumerate(shipments):
        mine = answers[index * len(carriers) : (index + 1) * len(carriers)]
        quotes = [quote for _, found, _ in mine for quote in found]
        choice = choose_rate(quotes, shipping.terms)
        choice.errors = {conn_id: error for conn_id, _, error in mine if error}
        choices[shipment.id] = choice
    return choices


def no_rate_text(choice: RateChoice) -> str:
    parts = list(choice.reasons)
    parts += [f"{conn_id}: {error}" for conn_id, error in sorted(choice.errors.items())]
    return "no carrier rate fits this parcel: " + "; ".join(parts)


async def record_choices(
    session: AsyncSession,
    order_id: str,
    fulfillment_id: str,
    choices: dict[str, RateChoice],
    *,
    actor: Actor,
) -> list[ShipmentRow]:
    """Write each choice on its shipment (still packed); returns those left without a rate."""
    order = await orders.get_order_row(session, order_id, for_update=True)
    unrated = []
    summary = {}
    for shipment in await session.scalars(
        sa.select(ShipmentRow)
        .where(ShipmentRow.id.in_(sorted(choices)))
        .order_by(ShipmentRow.position)
        .with_for_update()
    ):
        if shipment.status != "packed":
            continue  # a label was bought meanwhile: its rate stays
        choice = choices[shipment.id]
        shipment.rate_choice = msgspec.to_builtins(choice)
        if choice.chosen is None:
            shipment.rate = shipment.connection_id = shipment.carrier = shipment.service = None
            shipment.attention = no_rate_text(choice)[:2048]
            shipment.attention_code = NO_RATE
            unrated.append(shipment)
            summary[shipment.id] = None
            continue
        rate = choice.chosen.rate
        shipment.rate = msgspec.to_builtins(rate)
        shipment.connection_id = choice.chosen.connection
        shipment.carrier = rate.carrier
        shipment.service = rate.service
        if shipment.attention_code == NO_RATE:
            shipment.attention = shipment.attention_code = None
        summary[shipment.id] = {
            "connection": choice.chosen.connection,
            "carrier": rate.carrier,
            "service": rate.service,
            "price": rate.price.amount,
            "currency": rate.price.currency,
        }
    await orders.record(
        session,
        order,
        actor,
        "rates_chosen",
        {"fulfillment_id": fulfillment_id, "shipments": summary},
        bump=False,
    )
    await session.flush()
    return unrated


async def shop_rates(hub: Hub, fulfillment_id: str, *, actor: Actor) -> None:
    """Rate every packed parcel of the group that has no label yet and record the choice.
    409 `no_rate` (after recording) when a parcel has none."""
    async with hub.read() as session:
        shipping = await shipping_of(session, hub, fulfillment_id)
    waiting = [s for s in shipping.shipments if s.status == "packed"]
    if not waiting:
        return
    choices = await quote_all(hub, shipping, waiting)
    async with hub.transaction() as session:
        unrated = await record_choices(
            session, shipping.order_id, fulfillment_id, choices, actor=actor
        )
    if unrated:
        first = unrated[0]
        raise Conflict(
            first.attention or "no carrier rate fits",
            code=NO_RATE,
            shipment_id=first.id,
            errors=choices[first.id].errors,
        )
