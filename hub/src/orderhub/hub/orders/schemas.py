"""API shapes for orders. Input is decoded strictly: an unknown field is an error."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from orderhub.core.model import FinancialStatus, HistoryEntry, Money, OrderStatus
from orderhub.hub.schemas import AddressIn, CurrencyCode, CustomerIn, DecimalString

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class ManualLineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    quantity: int
    """At least 1; zero or less is refused with 422 invalid_quantity."""
    unit_price: DecimalString | None = None
    """Decimal string in the order currency; the item's price when omitted."""
    name: str | None = None


class ManualShippingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: str = "Standard"
    code: str = "standard"
    price: DecimalString = "0"


class ManualOrderIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An order taken by phone, e-mail or at the counter."""

    lines: list[ManualLineIn]
    currency: CurrencyCode = "EUR"
    reference: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    """Your own reference, used as the order number and external id; also the idempotency
    key: the same reference is refused twice (409 duplicate_order)."""
    customer: CustomerIn | None = None
    shipping_address: AddressIn | None = None
    billing_address: AddressIn | None = None
    shipping: ManualShippingIn | None = None
    financial_status: FinancialStatus = FinancialStatus.PENDING
    tags: list[str] = []
    notes: str | None = None
    pickup_location: str | None = None
    placed_at: AwareDatetime | None = None
    """When the customer ordered, with a UTC offset; now when omitted."""
    connection: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    """A connection of the manual connector (phone, counter, B2B desk...); `manual` when
    omitted. Each has its own numbering and allocation policy."""


class CancelIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class OrderSummary(msgspec.Struct, kw_only=True):
    id: str
    number: str
    connection: str
    external_id: str
    status: OrderStatus
    financial_status: FinancialStatus
    placed_at: datetime
    customer_email: str | None
    total: Money
    promised_date: date | None
    version: int


class OrderPage(msgspec.Struct, kw_only=True):
    items: list[OrderSummary]
    next_cursor: str | None


class OrderFilter(msgspec.Struct, kw_only=True):
    status: list[OrderStatus] = []
    connection: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    customer: str | None = None
    """E-mail, exact (case-insensitive)."""
    q: str | None = None
    """Order number or e-mail fragment."""


class HistoryPage(msgspec.Struct, kw_only=True):
    items: list[HistoryEntry]
    """Oldest first."""
