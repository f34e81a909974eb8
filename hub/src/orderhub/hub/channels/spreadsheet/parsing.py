"""Turning the text of spreadsheet rows into checked values, with a message per problem.

Pure: no database. What needs the database (does the SKU exist, was the order imported
already) is checked by the importer. Messages name the column and quote the cell, so a
merchant can find and fix it ("quantity 'abc' is not a whole number").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import msgspec

from orderhub.core.model import (
    Address,
    Customer,
    FinancialStatus,
    Item,
    Money,
    Order,
    OrderLine,
    ShippingLine,
)
from orderhub.core.money import MoneyError, currency_exponent
from orderhub.hub.channels.spreadsheet.columns import ORDER_LEVEL_COLUMNS
from orderhub.hub.channels.spreadsheet.reading import SheetRow

T = TypeVar("T")

MAX_QUANTITY = 1_000_000_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG_SEPARATORS = re.compile(r"[,;]")


class CellError(ValueError):
    """One cell's value is not acceptable; the message is shown to the merchant."""


# ------------------------------------------------------------------ single values


def text(value: str, column: str, *, max_length: int | None = None) -> str:
    if max_length is not None and len(value) > max_length:
        raise CellError(f"{column} is longer than {max_length} characters")
    return value


def whole(value: str, column: str, *, minimum: int = 0) -> int:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError(f"{column} {value!r} is not a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise CellError(f"{column} {value!r} is not a whole number")
    if number < minimum:
        raise CellError(f"{column} must be at least {minimum} (got {value})")
    if number > MAX_QUANTITY:
        raise CellError(f"{column} {value!r} is too large")
    return int(number)


def currency(value: str, column: str = "currency") -> str:
    try:
        currency_exponent(value)
    except MoneyError:
        raise CellError(f"{column} {value!r} is not a 3-letter ISO 4217 currency code") from None
    return value.upper()


def amount(value: str, column: str, code: str) -> Money:
    """An exact, non-negative amount in `code` ("19.99"); floats never come into it."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        hint = " (use a dot as the decimal separator)" if "," in value else ""
        raise CellError(f"{column} {value!r} is not an amount{hint}") from None
    if not number.is_finite():
        raise CellError(f"{column} {value!r} is not an amount")
    if number < 0:
        raise CellError(f"{column} must not be negative (got {value})")
    try:
        return Money.parse(number, code)
    except MoneyError:
        digits = currency_exponent(code)
        raise CellError(f"{column} {value!r} has more than {digits} decimals for {code}") from None


def moment(value: str, column: str) -> datetime:
    """ISO 8601 date or date-time; a time without offset is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CellError(
            f"{column} {value!r} is not an ISO 8601 date or date-time "
            "(e.g. 2024-05-01 or 2024-05-01T14:30:00Z)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def email(value: str, column: str) -> str:
    if not _EMAIL.match(value) or len(value) > 320:
        raise CellError(f"{column} {value!r} is not an e-mail address")
    return value.lower()


def country(value: str, column: str) -> str:
    if len(value) != 2 or not value.isalpha() or not value.isascii():
        raise CellError(f"{column} {value!r} is not a 2-letter ISO 3166 country code")
    return value.upper()


def financial_status(value: str, column: str) -> FinancialStatus:
    try:
        return FinancialStatus(value.lower())
    except ValueError:
        allowed = ", ".join(s.value for s in FinancialStatus)
        raise CellError(f"{column} {value!r} is not one of: {allowed}") from None


def tags(value: str) -> list[str]:
    """Comma- or semicolon-separated; blanks dropped, order kept, no repeats."""
    out: list[str] = []
    for part in _TAG_SEPARATORS.split(value):
        tag = part.strip()
        if tag and tag not in out:
            out.append(tag)
    return out


def join_tags(values: list[str]) -> str:
    return ", ".join(values)


# ------------------------------------------------------------------ rows


@dataclass
class RowCheck:
    """Collects the problems of one row while its cells are read."""

    row: SheetRow
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.row.unnamed:
            self.errors.append(
                "values in a column without a name: " + ", ".join(repr(v) for v in self.row.unnamed)
            )

    def has(self, column: str) -> bool:
        return column in self.row.values

    def raw(self, column: str) -> str:
        return self.row.values.get(column, "")

    def take(
        self,
        column: str,
        parse: Callable[..., T],
        *args: Any,
        required: bool = False,
        **kwargs: Any,
    ) -> T | None:
        """Parse the cell (None when blank); record the problem and return None if it fails."""
        value = self.raw(column)
        if not value:
            if required:
                self.errors.append(f"{column} is empty")
            return None
        try:
            return parse(value, column, *args, **kwargs)
        except CellError as exc:
            self.errors.append(str(exc))
            return None


def parse_item(row: SheetRow, default_currency: str) -> tuple[dict[str, Any], list[str]]:
    """The item fields this row sets (only for columns the file has) and its problems."""
    check = RowCheck(row)
    fields: dict[str, Any] = {
        "sku": check.take("sku", text, required=True, max_length=128),
        "name": check.take("name", text, required=True, max_length=512),
    }
    if check.has("price"):
        code = check.take("currency", currency) or default_currency
        fields["price"] = check.take("price", amount, code)
    elif check.raw("currency"):
        check.errors.append("currency is given but there is no price column")
    if check.has("barcode"):
        fields["barcode"] = check.take("barcode", text, max_length=64)
    if check.has("weight_grams"):
        fields["weight_grams"] = check.take("weight_grams", whole)
    if check.has("tags"):
        fields["tags"] = tags(check.raw("tags"))
    if check.has("sku_group"):
        fields["sku_group"] = check.take("sku_group", text, max_length=64)
    return fields, check.errors


def item_with(fields: dict[str, Any], existing: Item | None) -> Item:
    """The item after the import: the file's columns over what was there (substitutes and
    the active flag are not spreadsheet columns and stay as they were)."""
    if existing is None:
        return Item(**fields)
    return msgspec.structs.replace(existing, **fields)


class StockInput(msgspec.Struct, kw_only=True):
    sku: str
    location: str
    on_hand: int
    safety_stock: int | None = None
    reason: str | None = None


def parse_stock(row: SheetRow) -> tuple[StockInput | None, list[str]]:
    check = RowCheck(row)
    sku = check.take("sku", text, required=True, max_length=128)
    location = check.take("location", text, required=True, max_length=64)
    on_hand = check.take("on_hand", whole, required=True)
    safety = check.take("safety_stock", whole)
    reason = check.take("reason", text, max_length=256)
    if check.errors or sku is None or location is None or on_hand is None:
        return None, check.errors
    return StockInput(
        sku=sku, location=location, on_hand=on_hand, safety_stock=safety, reason=reason
    ), []


# ------------------------------------------------------------------ orders


class LineInput(msgspec.Struct, kw_only=True):
    row: int
    sku: str
    quantity: int
    unit_price: Money


class OrderInput(msgspec.Struct, kw_only=True):
    """One order of the file, checked, before it meets the database."""

    ref: str
    rows: list[int]
    currency: str
    placed_at: datetime
    lines: list[LineInput]
    customer: Customer | None = None
    shipping_address: Address | None = None
    shipping_price: Money | None = None
    financial_status: FinancialStatus = FinancialStatus.UNKNOWN
    tags: list[str] = []
    notes: str | None = None

    def to_order(self, connection: str, names: dict[str, str]) -> Order:
        """The canonical order; `names` gives each SKU's catalogue name for its line."""
        return Order(
            connection=connection,
            external_id=self.ref,
            number=self.ref,
            currency=self.currency,
            placed_at=self.placed_at,
            lines=[
                OrderLine(
                    sku=line.sku,
                    name=names.get(line.sku, line.sku),
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                )
                for line in self.lines
            ],
            financial_status=self.financial_status,
            customer=self.customer,
            shipping_address=self.shipping_address,
            shipping_lines=(
                [ShippingLine(title="Shipping", price=self.shipping_price)]
                if self.shipping_price is not None
                else []
            ),
            tags=self.tags,
            notes=self.notes,
        )


def group_orders(rows: list[SheetRow]) -> dict[str, list[SheetRow]]:
    """Rows by order reference, in order of first appearance; rows without one under ""."""
    groups: dict[str, list[SheetRow]] = {}
    for row in rows:
        groups.setdefault(row.values.get("order_ref", ""), []).append(row)
    return groups


def parse_order(
    ref: str, rows: list[SheetRow], default_currency: str, now: datetime
) -> tuple[OrderInput | None, dict[int, list[str]]]:
    """Check every row of one order. Returns the order (None if any row has a problem) and
    the problems by row number."""
    checks = {row.number: RowCheck(row) for row in rows}
    # Order-level values: the first row that gives one sets it; a different one later is wrong.
    source: dict[str, RowCheck] = {}
    for check in checks.values():
        for column in ORDER_LEVEL_COLUMNS:
            value = check.raw(column)
            if not value:
                continue
            first = source.get(column)
            if first is None:
                source[column] = check
            elif first.raw(column) != value:
                check.errors.append(
                    f"{column} {value!r} differs from {first.raw(column)!r} "
                    f"on row {first.row.number} of order {ref!r}"
                )

    def level(column: str, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        check = source.get(column)
        return check.take(column, parse, *args, **kwargs) if check is not None else None

    if len(ref) > 64:
        checks[rows[0].number].errors.append("order_ref is longer than 64 characters")
    code = level("currency", currency) or default_currency
    placed_at = level("placed_at", moment) or now
    customer_email = level("customer_email", email)
    customer_name = level("customer_name", text, max_length=256)
    address = {
        key: level(f"ship_{key}", text, max_length=256)
        for key in ("name", "line1", "city", "postal_code")
    }
    ship_country = level("ship_country", country)
    shipping_price = level("shipping_price", amount, code)
    status = level("financial_status", financial_status) or FinancialStatus.UNKNOWN
    notes = level("notes", text, max_length=10_000)
    order_tags = tags(source["tags"].raw("tags")) if "tags" in source else []

    lines: list[LineInput] = []
    for number, check in checks.items():
        sku = check.take("sku", text, required=True, max_length=128)
        quantity = check.take("quantity", whole, required=True, minimum=1)
        price = check.take("unit_price", amount, code, required=True)
        if sku is not None and quantity is not None and price is not None:
            lines.append(LineInput(row=number, sku=sku, quantity=quantity, unit_price=price))

    problems = {number: check.errors for number, check in checks.items() if check.errors}
    if problems:
        return None, problems
    has_address = any(address.values()) or ship_country
    return OrderInput(
        ref=ref,
        rows=list(checks),
        currency=code,
        placed_at=placed_at,
        lines=lines,
        customer=Customer(email=customer_email, name=customer_name)
        if customer_email or customer_name
        else None,
        shipping_address=Address(**address, country=ship_country) if has_address else None,
        shipping_price=shipping_price,
        financial_status=status,
        tags=order_tags,
        notes=notes,
    ), {}
