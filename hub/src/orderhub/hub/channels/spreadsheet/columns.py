"""The spreadsheet formats: which columns each kind of file has, and which are required.

The same columns serve import and export, so an exported file imports again unchanged.
"""

from __future__ import annotations

import enum


class SheetKind(enum.StrEnum):
    """What a file holds."""

    ORDERS = "orders"
    ITEMS = "items"
    STOCK = "stock"


ITEM_COLUMNS = ("sku", "name", "price", "currency", "barcode", "weight_grams", "tags", "sku_group")
STOCK_COLUMNS = ("sku", "location", "on_hand", "safety_stock", "reason")
ORDER_COLUMNS = (
    "order_ref",
    "placed_at",
    "currency",
    "customer_email",
    "customer_name",
    "ship_name",
    "ship_line1",
    "ship_city",
    "ship_postal_code",
    "ship_country",
    "sku",
    "quantity",
    "unit_price",
    "shipping_price",
    "financial_status",
    "tags",
    "notes",
)

ORDER_LEVEL_COLUMNS = tuple(c for c in ORDER_COLUMNS if c not in ("sku", "quantity", "unit_price"))
"""Columns that describe the whole order: repeated on each of its rows, or given on one only."""

COLUMNS: dict[SheetKind, tuple[str, ...]] = {
    SheetKind.ITEMS: ITEM_COLUMNS,
    SheetKind.STOCK: STOCK_COLUMNS,
    SheetKind.ORDERS: ORDER_COLUMNS,
}

REQUIRED: dict[SheetKind, tuple[str, ...]] = {
    SheetKind.ITEMS: ("sku", "name"),
    SheetKind.STOCK: ("sku", "location", "on_hand"),
    SheetKind.ORDERS: ("order_ref", "sku", "quantity", "unit_price"),
}
