"""Orders typed in through `POST /orders`: from the API's input to a stored canonical order.

They belong to the built-in `manual` connection. The number is the caller's reference when one
is given, otherwise the connection's prefix and the next value of a per-connection counter
("M-1001"); a line without a price takes the item's price.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connection import Connection
from orderhub.core.model import Actor, Money, Order, OrderLine, ShippingLine
from orderhub.core.money import MoneyError
from orderhub.hub.allocation.intake import accept_orders
from orderhub.hub.errors import Conflict, HubError, InvalidInput
from orderhub.hub.ids import new_id
from orderhub.hub.orders.schemas import ManualOrderIn
from orderhub.hub.orders.service import check_lines
from orderhub.hub.store.counters import next_values
from orderhub.hub.store.tables import ItemRow
from orderhub.hub.store.types import utcnow

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

MANUAL_CONNECTION = "manual"
FIRST_NUMBER = 1001


def _money(value: str, currency: str, field: str) -> Money:
    try:
        return Money.parse(value, currency)
    except MoneyError as exc:
        raise InvalidInput(str(exc), code="invalid_amount", field=field) from exc


def _lines(data: ManualOrderIn, items: dict[str, ItemRow]) -> list[OrderLine]:
    lines = []
    for index, line in enumerate(data.lines):
        item = items[line.sku]
        if line.unit_price is not None:
            price = _money(line.unit_price, data.currency, f"lines[{index}].unit_price")
        elif item.price_amount is None or item.price_currency is None:
            raise InvalidInput(
                f"line {index}: item {line.sku} has no price; give unit_price",
                code="missing_price",
                line=index,
                sku=line.sku,
            )
        elif item.price_currency != data.currency:
            raise InvalidInput(
                f"line {index}: item {line.sku} is priced in {item.price_currency}, the order "
                f"is in {data.currency}; give unit_price",
                code="currency_mismatch",
                line=index,
                sku=line.sku,
            )
        else:
            price = Money(amount=item.price_amount, currency=data.currency)
        lines.append(
            OrderLine(
                sku=line.sku, name=line.name or item.name, quantity=line.quantity, unit_price=price
            )
        )
    return lines


async def catalog_items(session: AsyncSession, skus: Iterable[str]) -> dict[str, ItemRow]:
    rows = await session.scalars(sa.select(ItemRow).where(ItemRow.sku.in_(sorted(set(skus)))))
    return {row.sku: row for row in rows}


def build_order(
    data: ManualOrderIn,
    items: dict[str, ItemRow],
    *,
    connection: Connection,
    number: str,
    external_id: str,
) -> Order:
    """The canonical order for the input, validated against `items` (the catalog's rows for
    its SKUs, and maybe more)."""
    skus = sorted({line.sku for line in data.lines})
    unknown = [sku for sku in skus if sku not in items]
    if unknown:
        raise InvalidInput(
            f"unknown SKU(s): {', '.join(unknown)}",
            code="unknown_sku",
            skus=unknown,
            lines_without_sku=[],
        )
    lines = _lines(data, items)
    shipping = []
    if data.shipping is not None:
        shipping.append(
            ShippingLine(
                title=data.shipping.title,
                code=data.shipping.code,
                price=_money(data.shipping.price, data.currency, "shipping.price"),
            )
        )
    return Order(
        connection=connection.id,
        external_id=external_id,
        number=number,
        currency=data.currency,
        placed_at=data.placed_at.astimezone(UTC) if data.placed_at else utcnow(),
        lines=lines,
        financial_status=data.financial_status,
        customer=data.customer,
        shipping_address=data.shipping_address,
        billing_address=data.billing_address,
        shipping_lines=shipping,
        tags=list(data.tags),
        notes=data.notes,
        pickup_location=data.pickup_location,
    )


async def manual_order(
    session: AsyncSession,
    data: ManualOrderIn,
    *,
    connection: Connection,
    number: str,
    external_id: str,
) -> tuple[Order, dict[str, int]]:
    """The canonical order for the input, validated against the catalog, and SKU -> item id
    of its lines; nothing is stored (`POST /routing/simulate` routes it as it would be)."""
    items = await catalog_items(session, (line.sku for line in data.lines))
    order = build_order(data, items, connection=connection, number=number, external_id=external_id)
    return order, {sku: row.id for sku, row in items.items()}


class ManualRequest(NamedTuple):
    """One `POST /orders`: its input, the manual connection it names and who sent it."""

    data: ManualOrderIn
    connection: Connection
    actor: Actor


async def create_manual_order(
    hub: Hub, session: AsyncSession, data: ManualOrderIn, *, connection: Connection, actor: Actor
) -> Order:
    """Validate against the catalog, number the order and accept it: stored with its first
    history, checked, routed and reserved (`orderhub.hub.allocation.intake`)."""
    (created,) = await create_manual_orders(hub, session, [ManualRequest(data, connection, actor)])
    if isinstance(created, HubError):
        raise created
    return created


async def create_manual_orders(
    hub: Hub, session: AsyncSession, requests: Sequence[ManualRequest]
) -> list[Order | HubError]:
    """`create_manual_order` for requests that arrive together: one catalog lookup, one
    counter update per connection and one `accept_orders` for all. Each request's result is
    in its place: the order, or the error that kept it out."""
    results: list[Order | HubError | None] = [None] * len(requests)
    items = await catalog_items(session, (line.sku for r in requests for line in r.data.lines))
    built: list[tuple[int, Order, Actor]] = []
    for index, (data, connection, actor) in enumerate(requests):
        try:
            if not connection.enabled:
                raise Conflict(
                    f"connection {connection.id} is disabled", code="connection_disabled"
                )
            order = build_order(data, items, connection=connection, number="", external_id="")
            check_lines(order)  # before numbering: a refused order takes no number
        except HubError as exc:
            results[index] = exc
            continue
        if data.reference is not None:
            order.number, order.external_id = data.reference, data.reference
        built.append((index, order, actor))
    await _number(session, [(order, requests[index].connection) for index, order, _ in built])
    accepted = await accept_orders(
        hub,
        session,
        [(order, actor) for _, order, actor in built],
        reject_unknown_skus=True,
        known_items={sku: row.id for sku, row in items.items()},
    )
    for (index, _, _), result in zip(built, accepted, strict=True):
        results[index] = result
    return [result for result in results if result is not None]


async def _number(session: AsyncSession, orders: list[tuple[Order, Connection]]) -> None:
    """Number the orders that came without a reference: the connection's prefix and the next
    values of its counter, in arrival order."""
    unnumbered: dict[str, list[tuple[Order, Connection]]] = {}
    for order, connection in orders:
        if not order.external_id:
            unnumbered.setdefault(connection.id, []).append((order, connection))
    for connection_id, waiting in unnumbered.items():
        values = await next_values(
            session, f"order_number:{connection_id}", len(waiting), start=FIRST_NUMBER
        )
        for (order, connection), sequence in zip(waiting, values, strict=True):
            order.number = f"{connection.settings.number_prefix}{sequence}"
            order.external_id = new_id("man")
