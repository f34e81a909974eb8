"""Items: what is sold and stocked, identified by SKU across every channel and location."""

from __future__ import annotations

import msgspec

from orderhub.core.money import Money


class Item(msgspec.Struct, kw_only=True):
    """A stock-keeping unit. The SKU is the one key every connector maps to."""

    sku: str
    name: str
    barcode: str | None = None
    price: Money | None = None
    weight_grams: int | None = None
    tags: list[str] = []
    substitutes: list[str] = []
    """SKUs that may replace this one when it cannot be allocated, best first."""
    sku_group: str | None = None
    """Optional group for per-group availability policies (e.g. "clearance")."""
    active: bool = True
