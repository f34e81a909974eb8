"""Acme resources -> OrderHub's canonical model. Pure functions: no I/O, easy to test."""

from __future__ import annotations

from orderhub.connectors.acme.payloads import AcmeAddress, AcmeOrder
from orderhub.core.events import InboundChange, OrderCancelObserved, OrderObserved
from orderhub.core.model import (
    Address,
    Customer,
    FinancialStatus,
    Order,
    OrderLine,
    OrderTotals,
    ShippingLine,
    TaxLine,
)
from orderhub.core.money import Money

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.cancelled"})
"""Webhook topics the connector translates; deliveries of other topics are acknowledged."""

FINANCIAL_STATUS = {
    "pending": FinancialStatus.PENDING,
    "authorized": FinancialStatus.AUTHORIZED,
    "paid": FinancialStatus.PAID,
    "partially_refunded": FinancialStatus.PARTIALLY_REFUNDED,
    "refunded": FinancialStatus.REFUNDED,
    "voided": FinancialStatus.VOIDED,
}


def address(raw: AcmeAddress | None) -> Address | None:
    if raw is None:
        return None
    return Address(
        name=raw.name,
        company=raw.company,
        line1=raw.line1,
        line2=raw.line2,
        city=raw.city,
        region=raw.region,
        postal_code=raw.postal_code,
        country=raw.country_code.upper() if raw.country_code else None,
        phone=raw.phone,
    )


def order(raw: AcmeOrder, connection_id: str) -> Order:
    """The canonical order; amounts are parsed exactly (a bad amount raises MoneyError)."""
    currency = raw.currency.upper()

    def money(value: str) -> Money:
        return Money.parse(value, currency)

    lines = []
    for line in raw.lines:
        discount = money(line.discount)
        lines.append(
            OrderLine(
                sku=line.sku or None,
                name=line.title,
                quantity=line.quantity,
                unit_price=money(line.unit_price),
                total_discount=discount if discount.amount else None,
                taxes=[
                    TaxLine(title=tax.title, rate=tax.rate, amount=money(tax.amount))
                    for tax in line.tax_lines
                ],
                external_id=line.id,
                bindings={"variant_id": line.variant_id} if line.variant_id else {},
            )
        )
    shipping_lines = (
        [
            ShippingLine(
                title=raw.shipping.title,
                code=raw.shipping.method,
                price=money(raw.shipping.price),
            )
        ]
        if raw.shipping is not None
        else []
    )
    totals = (
        OrderTotals(
            subtotal=money(raw.totals.subtotal),
            shipping=money(raw.totals.shipping),
            discounts=money(raw.totals.discount),
            tax=money(raw.totals.tax),
            total=money(raw.totals.total),
        )
        if raw.totals is not None
        else None
    )
    customer = (
        Customer(
            email=raw.customer.email,
            name=raw.customer.name,
            phone=raw.customer.phone,
            external_id=raw.customer.id,
        )
        if raw.customer is not None
        else None
    )
    return Order(
        connection=connection_id,
        external_id=raw.id,
        number=raw.number,
        currency=currency,
        placed_at=raw.created_at,
        lines=lines,
        financial_status=FINANCIAL_STATUS.get(raw.payment_status or "", FinancialStatus.UNKNOWN),
        customer=customer,
        shipping_address=address(raw.shipping_address),
        billing_address=address(raw.billing_address),
        shipping_lines=shipping_lines,
        totals=totals,
        tags=list(raw.tags),
        notes=raw.note,
        cancel_reason=raw.cancel_reason,
        test=raw.test,
        source_updated_at=raw.updated_at,
    )


def cancellation(raw: AcmeOrder, connection_id: str) -> OrderCancelObserved:
    return OrderCancelObserved(
        connection=connection_id,
        external_id=raw.id,
        reason=raw.cancel_reason,
        at=raw.cancelled_at or raw.updated_at,
    )


def order_changes(raw: AcmeOrder, connection_id: str) -> list[InboundChange]:
    """A pulled order: its snapshot, and its cancellation when Acme says it is cancelled."""
    found: list[InboundChange] = [OrderObserved(order=order(raw, connection_id))]
    if raw.status == "cancelled":
        found.append(cancellation(raw, connection_id))
    return found


def webhook_changes(topic: str, raw: AcmeOrder, connection_id: str) -> list[InboundChange]:
    """What one order webhook means for the hub."""
    if topic in ("order.created", "order.updated"):
        return [OrderObserved(order=order(raw, connection_id))]
    if topic == "order.cancelled":
        return [cancellation(raw, connection_id)]
    return []
