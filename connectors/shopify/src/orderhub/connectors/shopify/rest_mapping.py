"""Webhook bodies (REST JSON) to canonical orders, refunds and stock observations."""

from __future__ import annotations

from orderhub.connectors.shopify import canonical, payloads
from orderhub.core.connectors import PayloadError
from orderhub.core.events import RefundObserved, StockObserved
from orderhub.core.model import (
    Address,
    Customer,
    Money,
    Order,
    OrderLine,
    ShippingLine,
    TaxLine,
)

_RESTOCKING = {"return", "cancel", "legacy_restock"}


def _set_money(value: payloads.MoneySet | None, field: str) -> Money:
    if value is None:
        raise PayloadError(f"{field} is missing")
    shop = value.shop_money
    return canonical.money(shop.amount, shop.currency_code, field)


def _set_money_or_none(value: payloads.MoneySet | None, field: str) -> Money | None:
    return None if value is None else _set_money(value, field)


def _amount(
    money_set: payloads.MoneySet | None, amount: str | None, currency: str, field: str
) -> Money:
    """Prefer the `*_set` shop money; older payloads only carry the bare amount string."""
    if money_set is not None:
        return _set_money(money_set, field)
    return canonical.money(amount, currency, field)


def _taxes(lines: list[payloads.TaxLine], currency: str, field: str) -> list[TaxLine]:
    return [
        TaxLine(
            title=tax.title,
            rate=canonical.rate_text(tax.rate),
            amount=_amount(tax.price_set, tax.price, currency, f"{field}[{i}].price"),
        )
        for i, tax in enumerate(lines)
    ]


def _line(item: payloads.LineItem, currency: str, index: int) -> OrderLine:
    field = f"line_items[{index}]"
    sku = (item.sku or "").strip() or None
    bindings = {}
    if item.variant_id is not None:
        bindings["variant_id"] = str(item.variant_id)
    if item.product_id is not None:
        bindings["product_id"] = str(item.product_id)
    removed = 0
    if item.current_quantity is not None and item.current_quantity < item.quantity:
        removed = item.quantity - item.current_quantity
    return OrderLine(
        sku=sku,
        name=item.name or item.title or sku or f"line {item.id}",
        quantity=item.quantity,
        unit_price=_amount(item.price_set, item.price, currency, f"{field}.price"),
        total_discount=canonical.sum_money(
            (
                _amount(d.amount_set, d.amount, currency, f"{field}.discount_allocations")
                for d in item.discount_allocations
            ),
            currency,
        ),
        taxes=_taxes(item.tax_lines, currency, f"{field}.tax_lines"),
        external_id=str(item.id),
        bindings=bindings,
        quantity_cancelled=removed,
        requires_shipping=item.requires_shipping,
    )


def _address(value: payloads.MailingAddress | None) -> Address | None:
    if value is None:
        return None
    return canonical.address(
        name=value.name,
        first_name=value.first_name,
        last_name=value.last_name,
        company=value.company,
        address1=value.address1,
        address2=value.address2,
        city=value.city,
        province_code=value.province_code,
        zip_code=value.zip,
        country_code=value.country_code,
        phone=value.phone,
        latitude=value.latitude,
        longitude=value.longitude,
    )


def _attributes(payload: payloads.Order) -> dict[str, str]:
    attributes = {
        attr.name: "" if attr.value is None else str(attr.value) for attr in payload.note_attributes
    }
    prefix = canonical.ATTRIBUTE_PREFIX
    attributes[f"{prefix}fulfillment_status"] = canonical.rest_fulfillment_status(
        payload.fulfillment_status
    )
    total = payload.total_price_set
    if total is not None and total.presentment_money is not None:
        attributes[f"{prefix}presentment_currency"] = total.presentment_money.currency_code
        attributes[f"{prefix}presentment_total"] = str(total.presentment_money.amount)
    elif payload.presentment_currency:
        attributes[f"{prefix}presentment_currency"] = payload.presentment_currency
    return attributes


def order(payload: payloads.Order, connection: str) -> Order:
    """The canonical snapshot of one order webhook."""
    currency = payload.currency
    lines = [_line(item, currency, i) for i, item in enumerate(payload.line_items)]
    customer = None
    if payload.customer is not None or payload.email:
        person = payload.customer or payloads.Customer()
        # The order's own contact details, as the GraphQL poll reads them: both doors agree.
        customer = Customer(
            email=payload.email or None,
            name=canonical.full_name(person.first_name, person.last_name),
            phone=payload.phone or None,
            external_id=str(person.id) if person.id is not None else None,
            accepts_marketing=payload.buyer_accepts_marketing,
        )
    shipping_lines = [
        ShippingLine(
            title=line.title,
            code=line.code,
            price=_amount(line.price_set, line.price, currency, f"shipping_lines[{i}].price"),
        )
        for i, line in enumerate(payload.shipping_lines)
    ]
    totals = canonical.order_totals(
        lines,
        currency,
        shipping=_set_money_or_none(payload.total_shipping_price_set, "total_shipping_price_set"),
        discounts=_set_money_or_none(payload.total_discounts_set, "total_discounts_set"),
        tax=_set_money_or_none(payload.total_tax_set, "total_tax_set"),
        total=_set_money(payload.total_price_set, "total_price_set"),
    )
    return Order(
        connection=connection,
        external_id=str(payload.id),
        number=payload.name,
        currency=currency.upper(),
        placed_at=canonical.require_time(payload.processed_at or payload.created_at, "created_at"),
        lines=lines,
        financial_status=canonical.financial_status(payload.financial_status),
        customer=customer,
        shipping_address=_address(payload.shipping_address),
        billing_address=_address(payload.billing_address),
        shipping_lines=shipping_lines,
        discounts=canonical.order_discounts(
            (code.code or "" for code in payload.discount_codes), totals.discounts
        ),
        taxes=_taxes(payload.tax_lines, currency, "tax_lines"),
        totals=totals,
        tags=canonical.split_tags(payload.tags),
        notes=payload.note or None,
        attributes=_attributes(payload),
        cancel_reason=canonical.cancel_reason(payload.cancel_reason),
        test=payload.test,
        source_updated_at=canonical.parse_time(payload.updated_at, "updated_at"),
    )


def refund(payload: payloads.Refund, connection: str) -> RefundObserved:
    """What was refunded: the money that left through successful refund transactions."""
    transactions = [
        t for t in payload.transactions if t.kind == "refund" and t.status in (None, "success")
    ]
    currencies = {t.currency for t in transactions if t.currency}
    if len(currencies) > 1:
        raise PayloadError(f"refund {payload.id}: transactions in {sorted(currencies)}")
    if transactions and not currencies:
        raise PayloadError(f"refund {payload.id}: transaction currency missing")
    if currencies:
        currency = currencies.pop()
        amount = Money.zero(currency)
        for t in transactions:
            amount = amount + canonical.money(t.amount, currency, "transactions.amount")
    else:
        # No money moved (a restock-only refund): zero in the currency the lines were priced
        # in, or ISO 4217 "XXX" (no currency involved) when the body names none at all.
        line_currencies = [
            item.subtotal_set.shop_money.currency_code
            for item in payload.refund_line_items
            if item.subtotal_set is not None
        ]
        amount = Money.zero(line_currencies[0] if line_currencies else "XXX")
    quantities: dict[str, int] = {}
    for item in payload.refund_line_items:
        key = str(item.line_item_id)
        quantities[key] = quantities.get(key, 0) + item.quantity
    restock = payload.restock or any(
        item.restock_type in _RESTOCKING for item in payload.refund_line_items
    )
    return RefundObserved(
        connection=connection,
        order_external_id=str(payload.order_id),
        refund_id=str(payload.id),
        amount=amount,
        line_quantities=quantities,
        restock=restock,
        at=canonical.parse_time(payload.processed_at or payload.created_at, "processed_at"),
    )


def stock(payload: payloads.InventoryLevel, connection: str, location_ref: str) -> StockObserved:
    return StockObserved(
        connection=connection,
        location_ref=location_ref,
        quantity=payload.available if payload.available is not None else 0,
        item_ref=str(payload.inventory_item_id),
        at=canonical.parse_time(payload.updated_at, "updated_at"),
    )
