"""The REST JSON bodies Shopify sends with webhooks, as lenient msgspec Structs.

Only the fields OrderHub reads are declared; unknown fields are ignored because Shopify adds
fields in every API version. Amounts are strings; JSON numbers (tax rates, refund subtotals)
decode to Decimal so nothing passes through a float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec


class _Lenient(msgspec.Struct, kw_only=True):
    pass


class MoneyAmount(_Lenient, kw_only=True):
    amount: str
    currency_code: str


class MoneySet(_Lenient, kw_only=True):
    shop_money: MoneyAmount
    presentment_money: MoneyAmount | None = None


class TaxLine(_Lenient, kw_only=True):
    title: str = ""
    price: str | None = None
    rate: Decimal | None = None
    price_set: MoneySet | None = None


class DiscountAllocation(_Lenient, kw_only=True):
    amount: str | None = None
    amount_set: MoneySet | None = None


class DiscountCode(_Lenient, kw_only=True):
    code: str | None = None
    amount: str | None = None
    type: str | None = None


class NoteAttribute(_Lenient, kw_only=True):
    name: str
    value: Any = None


class LineItem(_Lenient, kw_only=True):
    id: int
    quantity: int
    sku: str | None = None
    name: str | None = None
    title: str | None = None
    price: str | None = None
    price_set: MoneySet | None = None
    current_quantity: int | None = None
    variant_id: int | None = None
    product_id: int | None = None
    requires_shipping: bool = True
    tax_lines: list[TaxLine] = []
    discount_allocations: list[DiscountAllocation] = []


class ShippingLine(_Lenient, kw_only=True):
    title: str = ""
    code: str | None = None
    price: str | None = None
    price_set: MoneySet | None = None


class MailingAddress(_Lenient, kw_only=True):
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None
    phone: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


class Customer(_Lenient, kw_only=True):
    id: int | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


class Order(_Lenient, kw_only=True):
    """Body of orders/create, orders/updated, orders/paid and orders/cancelled."""

    id: int
    name: str
    currency: str
    created_at: str
    updated_at: str | None = None
    processed_at: str | None = None
    cancelled_at: str | None = None
    cancel_reason: str | None = None
    presentment_currency: str | None = None
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    tags: str | None = None
    test: bool = False
    buyer_accepts_marketing: bool = False
    financial_status: str | None = None
    fulfillment_status: str | None = None
    note_attributes: list[NoteAttribute] = []
    discount_codes: list[DiscountCode] = []
    tax_lines: list[TaxLine] = []
    total_discounts_set: MoneySet | None = None
    total_shipping_price_set: MoneySet | None = None
    total_tax_set: MoneySet | None = None
    total_price_set: MoneySet | None = None
    line_items: list[LineItem]
    shipping_lines: list[ShippingLine] = []
    customer: Customer | None = None
    shipping_address: MailingAddress | None = None
    billing_address: MailingAddress | None = None


class RefundLineItem(_Lenient, kw_only=True):
    line_item_id: int
    quantity: int
    restock_type: str | None = None
    location_id: int | None = None
    subtotal_set: MoneySet | None = None


class Transaction(_Lenient, kw_only=True):
    kind: str
    status: str | None = None
    amount: str
    currency: str | None = None


class Refund(_Lenient, kw_only=True):
    """Body of refunds/create."""

    id: int
    order_id: int
    created_at: str | None = None
    processed_at: str | None = None
    restock: bool = False
    note: str | None = None
    refund_line_items: list[RefundLineItem] = []
    transactions: list[Transaction] = []


class InventoryLevel(_Lenient, kw_only=True):
    """Body of inventory_levels/update: `available` only, never on hand."""

    inventory_item_id: int
    location_id: int
    available: int | None = None
    updated_at: str | None = None


class Shop(_Lenient, kw_only=True):
    """Body of app/uninstalled: the shop the app was removed from."""

    id: int | None = None
    domain: str | None = None
    myshopify_domain: str | None = None
