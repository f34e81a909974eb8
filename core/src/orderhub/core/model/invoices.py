"""Invoices: an immutable record of what was billed."""

from __future__ import annotations

from datetime import date

import msgspec

from orderhub.core.model.common import Address
from orderhub.core.model.orders import TaxLine
from orderhub.core.money import Money


class InvoiceLine(msgspec.Struct, kw_only=True):
    sku: str | None
    description: str
    quantity: int
    unit_price: Money
    taxes: list[TaxLine] = []


class Invoice(msgspec.Struct, kw_only=True):
    number: str
    order_id: str
    issued_on: date
    currency: str
    lines: list[InvoiceLine]
    billing_address: Address | None = None
    total: Money
    is_credit_note: bool = False
