"""GraphQL order nodes (the poll) to the same canonical order a webhook produces."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from orderhub.connectors.shopify import canonical
from orderhub.connectors.shopify.ids import numeric_id
from orderhub.core.connectors import PayloadError
from orderhub.core.model import (
    Address,
    Customer,
    Money,
    Order,
    OrderLine,
    ShippingLine,
    TaxLine,
)


class _Node(msgspec.Struct, kw_only=True, rename="camel"):
    pass


class MoneyV2(_Node, kw_only=True):
    amount: str
    currency_code: str


class MoneyBag(_Node, kw_only=True):
    shop_money: MoneyV2
    presentment_money: MoneyV2 | None = None


class Ref(_Node, kw_only=True):
    id: str


class Variant(_Node, kw_only=True):
    id: str
    inventory_item: Ref | None = None


class GqlTaxLine(_Node, kw_only=True):
    title: str = ""
    rate: Decimal | None = None
    price_set: MoneyBag


class GqlDiscountAllocation(_Node, kw_only=True):
    allocated_amount_set: MoneyBag


class PageInfo(_Node, kw_only=True):
    has_next_page: bool = False
    end_cursor: str | None = None


class GqlLineItem(_Node, kw_only=True):
    id: str
    quantity: int
    sku: str | None = None
    name: str | None = None
    current_quantity: int | None = None
    requires_shipping: bool = True
    variant: Variant | None = None
    product: Ref | None = None
    original_unit_price_set: MoneyBag
    discount_allocations: list[GqlDiscountAllocation] = []
    tax_lines: list[GqlTaxLine] = []


class LineItemPage(_Node, kw_only=True):
    page_info: PageInfo = msgspec.field(default_factory=PageInfo)
    nodes: list[GqlLineItem] = []


class GqlShippingLine(_Node, kw_only=True):
    title: str = ""
    code: str | None = None
    original_price_set: MoneyBag


class ShippingLinePage(_Node, kw_only=True):
    nodes: list[GqlShippingLine] = []


class Attribute(_Node, kw_only=True):
    key: str
    value: str | None = None


class GqlCustomer(_Node, kw_only=True):
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class GqlAddress(_Node, kw_only=True):
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code_v2: str | None = None
    phone: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


class GqlOrder(_Node, kw_only=True):
    id: str
    name: str
    created_at: str
    updated_at: str | None = None
    processed_at: str | None = None
    cancelled_at: str | None = None
    cancel_reason: str | None = None
    test: bool = False
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    tags: list[str] = []
    currency_code: str
    presentment_currency_code: str | None = None
    display_financial_status: str | None = None
    display_fulfillment_status: str | None = None
    customer_accepts_marketing: bool = False
    discount_codes: list[str] = []
    custom_attributes: list[Attribute] = []
    customer: GqlCustomer | None = None
    shipping_address: GqlAddress | None = None
    billing_address: GqlAddress | None = None
    total_price_set: MoneyBag
    total_tax_set: MoneyBag | None = None
    total_discounts_set: MoneyBag | None = None
    total_shipping_price_set: MoneyBag | None = None
    tax_lines: list[GqlTaxLine] = []
    shipping_lines: ShippingLinePage = msgspec.field(default_factory=ShippingLinePage)
    line_items: LineItemPage = msgspec.field(default_factory=LineItemPage)


def convert(value: Any, kind: type[Any], what: str) -> Any:
    """A GraphQL answer fragment as a typed struct; a shape we cannot read is a PayloadError."""
    try:
        return msgspec.convert(value, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise PayloadError(f"{what}: {exc}") from exc


def _money(bag: MoneyBag, field: str) -> Money:
    return canonical.money(bag.shop_money.amount, bag.shop_money.currency_code, field)


def _money_or_none(bag: MoneyBag | None, field: str) -> Money | None:
    return None if bag is None else _money(bag, field)


def _taxes(lines: list[GqlTaxLine], field: str) -> list[TaxLine]:
    return [
        TaxLine(
            title=tax.title,
            rate=canonical.rate_text(tax.rate),
            amount=_money(tax.price_set, f"{field}[{i}]"),
        )
        for i, tax in enumerate(lines)
    ]


def line(item: GqlLineItem, currency: str) -> OrderLine:
    external_id = numeric_id(item.id)
    field = f"lineItems[{external_id}]"
    bindings: dict[str, str] = {}
    if item.variant is not None:
        bindings["variant_id"] = numeric_id(item.variant.id)
        if item.variant.inventory_item is not None:
            bindings["inventory_item_id"] = numeric_id(item.variant.inventory_item.id)
    if item.product is not None:
        bindings["product_id"] = numeric_id(item.product.id)
    removed = 0
    if item.current_quantity is not None and item.current_quantity < item.quantity:
        removed = item.quantity - item.current_quantity
    sku = (item.sku or "").strip() or None
    return OrderLine(
        sku=sku,
        name=item.name or sku or f"line {external_id}",
        quantity=item.quantity,
        unit_price=_money(item.original_unit_price_set, f"{field}.originalUnitPriceSet"),
        total_discount=canonical.sum_money(
            (
                _money(d.allocated_amount_set, f"{field}.discountAllocations")
                for d in item.discount_allocations
            ),
            currency,
        ),
        taxes=_taxes(item.tax_lines, f"{field}.taxLines"),
        external_id=external_id,
        bindings=bindings,
        quantity_cancelled=removed,
        requires_shipping=item.requires_shipping,
    )


def _address(value: GqlAddress | None) -> Address | None:
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
        country_code=value.country_code_v2,
        phone=value.phone,
        latitude=value.latitude,
        longitude=value.longitude,
    )


def _attributes(node: GqlOrder) -> dict[str, str]:
    attributes = {attr.key: attr.value or "" for attr in node.custom_attributes}
    prefix = canonical.ATTRIBUTE_PREFIX
    attributes[f"{prefix}fulfillment_status"] = (
        node.display_fulfillment_status or "unfulfilled"
    ).lower()
    presentment = node.total_price_set.presentment_money
    if presentment is not None:
        attributes[f"{prefix}presentment_currency"] = presentment.currency_code
        attributes[f"{prefix}presentment_total"] = str(presentment.amount)
    elif node.presentment_currency_code:
        attributes[f"{prefix}presentment_currency"] = node.presentment_currency_code
    return attributes


def order(node: GqlOrder, lines: list[GqlLineItem], connection: str) -> Order:
    """The canonical snapshot of one polled order; `lines` are all its line items."""
    currency = node.currency_code.upper()
    order_lines = [line(item, currency) for item in lines]
    customer = None
    if node.customer is not None or node.email:
        person = node.customer or GqlCustomer()
        customer = Customer(
            email=node.email or None,
            name=canonical.full_name(person.first_name, person.last_name),
            phone=node.phone or None,
            external_id=numeric_id(person.id) if person.id else None,
            accepts_marketing=node.customer_accepts_marketing,
        )
    totals = canonical.order_totals(
        order_lines,
        currency,
        shipping=_money_or_none(node.total_shipping_price_set, "totalShippingPriceSet"),
        discounts=_money_or_none(node.total_discounts_set, "totalDiscountsSet"),
        tax=_money_or_none(node.total_tax_set, "totalTaxSet"),
        total=_money(node.total_price_set, "totalPriceSet"),
    )
    return Order(
        connection=connection,
        external_id=numeric_id(node.id),
        number=node.name,
        currency=currency,
        placed_at=canonical.require_time(node.processed_at or node.created_at, "createdAt"),
        lines=order_lines,
        financial_status=canonical.financial_status(node.display_financial_status),
        customer=customer,
        shipping_address=_address(node.shipping_address),
        billing_address=_address(node.billing_address),
        shipping_lines=[
            ShippingLine(
                title=shipping.title,
                code=shipping.code,
                price=_money(shipping.original_price_set, "shippingLines.originalPriceSet"),
            )
            for shipping in node.shipping_lines.nodes
        ],
        discounts=canonical.order_discounts(node.discount_codes, totals.discounts),
        taxes=_taxes(node.tax_lines, "taxLines"),
        totals=totals,
        tags=canonical.split_tags(node.tags),
        notes=node.note or None,
        attributes=_attributes(node),
        cancel_reason=canonical.cancel_reason(node.cancel_reason),
        test=node.test,
        source_updated_at=canonical.parse_time(node.updated_at, "updatedAt"),
    )
