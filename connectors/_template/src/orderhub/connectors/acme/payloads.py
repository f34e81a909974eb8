"""The Acme API's resources as it sends them (see the package README for the API).

Decoding is lenient on purpose: unknown fields are ignored, so a provider adding a field
never breaks the connector. Amounts stay decimal strings until mapping turns them into Money.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class AcmeCustomer(msgspec.Struct, kw_only=True):
    id: str | None = None
    email: str | None = None
    name: str | None = None
    phone: str | None = None


class AcmeAddress(msgspec.Struct, kw_only=True):
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


class AcmeTaxLine(msgspec.Struct, kw_only=True):
    title: str
    rate: str
    amount: str


class AcmeLine(msgspec.Struct, kw_only=True):
    id: str
    sku: str | None = None
    title: str
    quantity: int
    unit_price: str
    discount: str = "0"
    """Total discount on the line (all units)."""
    tax_lines: list[AcmeTaxLine] = []
    variant_id: str | None = None


class AcmeShipping(msgspec.Struct, kw_only=True):
    method: str | None = None
    title: str
    price: str


class AcmeTotals(msgspec.Struct, kw_only=True):
    subtotal: str
    shipping: str
    discount: str
    tax: str
    total: str


class AcmeOrder(msgspec.Struct, kw_only=True):
    id: str
    number: str
    status: str
    """open | cancelled"""
    currency: str
    created_at: datetime
    updated_at: datetime
    payment_status: str | None = None
    """pending | authorized | paid | partially_refunded | refunded | voided"""
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    customer: AcmeCustomer | None = None
    shipping_address: AcmeAddress | None = None
    billing_address: AcmeAddress | None = None
    lines: list[AcmeLine]
    shipping: AcmeShipping | None = None
    totals: AcmeTotals | None = None
    note: str | None = None
    tags: list[str] = []
    test: bool = False


class AcmeOrderPage(msgspec.Struct, kw_only=True):
    """``GET /v1/orders``: one page, newest changes last."""

    orders: list[AcmeOrder]
    next_page_token: str | None = None


class AcmeShop(msgspec.Struct, kw_only=True):
    """``GET /v1/shop``."""

    id: str
    name: str
