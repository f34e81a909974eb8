"""Building blocks shared by the webhook (REST JSON) and poll (GraphQL) mappings.

Both sources must produce the same canonical order for the same Shopify order, or every
poll would look like a change; the small decisions that guarantee it live here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from orderhub.core.connectors import PayloadError
from orderhub.core.model import (
    Address,
    Discount,
    FinancialStatus,
    GeoPoint,
    Money,
    OrderLine,
    OrderTotals,
)
from orderhub.core.money import MoneyError

ATTRIBUTE_PREFIX = "shopify."
"""Attributes OrderHub adds to an order carry this prefix; note attributes keep their names."""

_FULFILLMENT_STATUS = {
    # REST `fulfillment_status` -> the GraphQL `displayFulfillmentStatus` vocabulary, lower case.
    None: "unfulfilled",
    "partial": "partially_fulfilled",
    "fulfilled": "fulfilled",
    "restocked": "restocked",
}


def parse_time(value: str | None, field: str) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise PayloadError(f"{field}: not an ISO 8601 timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        raise PayloadError(f"{field}: timestamp without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def require_time(value: str | None, field: str) -> datetime:
    parsed = parse_time(value, field)
    if parsed is None:
        raise PayloadError(f"{field} is missing")
    return parsed


def money(amount: str | Decimal | int | None, currency: str | None, field: str) -> Money:
    """A Shopify decimal amount as exact minor units."""
    if amount is None or currency is None:
        raise PayloadError(f"{field}: amount or currency missing")
    try:
        return Money.parse(amount if not isinstance(amount, int) else str(amount), currency)
    except MoneyError as exc:
        raise PayloadError(f"{field}: {exc}") from exc


def rate_text(rate: Decimal | int | str | None) -> str:
    """A tax rate as the decimal string the canonical model keeps ("0.06")."""
    if rate is None:
        return "0"
    return str(rate if isinstance(rate, Decimal) else Decimal(str(rate)))


def split_tags(tags: str | Iterable[str] | None) -> list[str]:
    """REST sends "tag1, tag2", GraphQL a list; both become the same sorted, de-duplicated list."""
    if tags is None:
        return []
    parts = tags.split(",") if isinstance(tags, str) else list(tags)
    return sorted({part.strip() for part in parts if part and part.strip()})


def financial_status(value: str | None) -> FinancialStatus:
    """REST "partially_paid" and GraphQL "PARTIALLY_PAID" name the same state."""
    if not value:
        return FinancialStatus.UNKNOWN
    try:
        return FinancialStatus(value.lower())
    except ValueError:
        return FinancialStatus.UNKNOWN


def rest_fulfillment_status(value: str | None) -> str:
    return _FULFILLMENT_STATUS.get(value, value or "unfulfilled")


def cancel_reason(value: str | None) -> str | None:
    return value.lower() if value else None


def full_name(*parts: str | None) -> str | None:
    name = " ".join(part.strip() for part in parts if part and part.strip())
    return name or None


def address(
    *,
    name: str | None,
    first_name: str | None,
    last_name: str | None,
    company: str | None,
    address1: str | None,
    address2: str | None,
    city: str | None,
    province_code: str | None,
    zip_code: str | None,
    country_code: str | None,
    phone: str | None,
    latitude: Decimal | float | None,
    longitude: Decimal | float | None,
) -> Address:
    point = None
    if latitude is not None and longitude is not None:
        point = GeoPoint(lat=float(latitude), lon=float(longitude))
    return Address(
        name=name or full_name(first_name, last_name),
        company=company or None,
        line1=address1 or None,
        line2=address2 or None,
        city=city or None,
        region=province_code or None,
        postal_code=zip_code or None,
        country=country_code or None,
        phone=phone or None,
        point=point,
    )


def order_discounts(codes: Iterable[str], total: Money) -> list[Discount]:
    """One discount carrying the order's total discount and the codes used.

    GraphQL gives no per-code amount, so both sources report the aggregate the same way.
    """
    if total.amount == 0:
        return []
    joined = ", ".join(code for code in codes if code)
    return [Discount(code=joined or None, title=None, amount=total)]


def sum_money(amounts: Iterable[Money], currency: str) -> Money | None:
    """The sum, or None when there is nothing to add (a line without discount allocations)."""
    items = list(amounts)
    if not items:
        return None
    result = Money.zero(currency)
    for item in items:
        if item.currency != result.currency:
            raise PayloadError(f"mixed currencies: {item.currency} and {result.currency}")
        result = result + item
    return result


def order_totals(
    lines: Iterable[OrderLine],
    currency: str,
    *,
    shipping: Money | None,
    discounts: Money | None,
    tax: Money | None,
    total: Money,
) -> OrderTotals:
    """Shopify's totals; the subtotal is the lines' gross value, before any discount.

    So subtotal + shipping - discounts + tax is the total, as in the canonical model.
    """
    zero = Money.zero(currency)
    subtotal = zero
    for line in lines:
        subtotal = subtotal + line.unit_price * line.quantity
    return OrderTotals(
        subtotal=subtotal,
        shipping=shipping or zero,
        discounts=discounts or zero,
        tax=tax or zero,
        total=total,
    )
