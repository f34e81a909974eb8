"""Between canonical `Order` structs and their rows. JSON columns hold msgspec builtins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from orderhub.core.model import (
    Address,
    Customer,
    Discount,
    FinancialStatus,
    Hold,
    HoldReason,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    OrderTotals,
    Payment,
    ShippingLine,
    TaxLine,
)
from orderhub.hub.store.tables import OrderHoldRow, OrderLineRow, OrderRow


def _json(value: Any) -> Any:
    return msgspec.to_builtins(value) if value is not None else None


def order_row(order: Order, order_id: str) -> OrderRow:
    totals = order.totals or order.computed_totals()
    return OrderRow(
        id=order_id,
        connection_id=order.connection,
        external_id=order.external_id,
        number=order.number,
        status=order.status.value,
        financial_status=order.financial_status.value,
        currency=order.currency,
        total_amount=totals.total.amount,
        placed_at=order.placed_at,
        customer_email=(
            order.customer.email.lower() if order.customer and order.customer.email else None
        ),
        customer=_json(order.customer),
        shipping_address=_json(order.shipping_address),
        billing_address=_json(order.billing_address),
        shipping_lines=_json(order.shipping_lines),
        discounts=_json(order.discounts),
        taxes=_json(order.taxes),
        totals=_json(totals),
        payments=_json(order.payments),
        tags=list(order.tags),
        notes=order.notes,
        attributes=dict(order.attributes),
        promised_date=order.promised_date,
        pickup_location=order.pickup_location,
        cancel_reason=order.cancel_reason,
        test=order.test,
        source_updated_at=order.source_updated_at,
        version=max(order.version, 1),
    )


def line_rows(order: Order, order_id: str, item_ids: dict[str, int]) -> list[OrderLineRow]:
    return [
        OrderLineRow(
            id=line.id,
            order_id=order_id,
            position=position,
            external_id=line.external_id,
            sku=line.sku,
            item_id=item_ids.get(line.sku) if line.sku else None,
            name=line.name,
            quantity=line.quantity,
            unit_price_amount=line.unit_price.amount,
            total_discount_amount=line.total_discount.amount if line.total_discount else 0,
            taxes=_json(line.taxes),
            bindings=dict(line.bindings),
            requires_shipping=line.requires_shipping,
            quantity_allocated=line.quantity_allocated,
            quantity_backordered=line.quantity_backordered,
            quantity_shipped=line.quantity_shipped,
            quantity_cancelled=line.quantity_cancelled,
            quantity_returned=line.quantity_returned,
        )
        for position, line in enumerate(order.lines)
    ]


def line_from_row(row: OrderLineRow, currency: str) -> OrderLine:
    return OrderLine(
        id=row.id,
        sku=row.sku,
        name=row.name,
        quantity=row.quantity,
        unit_price=Money(amount=row.unit_price_amount, currency=currency),
        total_discount=Money(amount=row.total_discount_amount, currency=currency)
        if row.total_discount_amount
        else None,
        taxes=msgspec.convert(row.taxes or [], list[TaxLine]),
        external_id=row.external_id,
        bindings=dict(row.bindings or {}),
        requires_shipping=row.requires_shipping,
        quantity_allocated=row.quantity_allocated,
        quantity_backordered=row.quantity_backordered,
        quantity_shipped=row.quantity_shipped,
        quantity_cancelled=row.quantity_cancelled,
        quantity_returned=row.quantity_returned,
    )


def hold_from_row(row: OrderHoldRow) -> Hold:
    return Hold(
        id=row.id,
        reason=HoldReason(row.reason),
        detail=row.detail,
        source=row.source,
        placed_at=row.placed_at,
        released_at=row.released_at,
        released_by=row.released_by,
        release_note=row.release_note,
    )


def order_from_rows(
    row: OrderRow, lines: Sequence[OrderLineRow], holds: Sequence[OrderHoldRow] = ()
) -> Order:
    def conv(value: Any, typ: Any) -> Any:
        return msgspec.convert(value, typ) if value is not None else None

    return Order(
        id=row.id,
        connection=row.connection_id,
        external_id=row.external_id,
        number=row.number,
        currency=row.currency,
        placed_at=row.placed_at,
        lines=[
            line_from_row(line, row.currency) for line in sorted(lines, key=lambda x: x.position)
        ],
        status=OrderStatus(row.status),
        financial_status=FinancialStatus(row.financial_status),
        customer=conv(row.customer, Customer),
        shipping_address=conv(row.shipping_address, Address),
        billing_address=conv(row.billing_address, Address),
        shipping_lines=conv(row.shipping_lines or [], list[ShippingLine]),
        discounts=conv(row.discounts or [], list[Discount]),
        taxes=conv(row.taxes or [], list[TaxLine]),
        totals=conv(row.totals, OrderTotals),
        payments=conv(row.payments or [], list[Payment]),
        tags=list(row.tags or []),
        notes=row.notes,
        attributes=dict(row.attributes or {}),
        holds=[hold_from_row(hold) for hold in holds],
        promised_date=row.promised_date,
        pickup_location=row.pickup_location,
        cancel_reason=row.cancel_reason,
        test=row.test,
        source_updated_at=row.source_updated_at,
        version=row.version,
    )
