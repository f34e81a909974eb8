"""API shapes for items. Input is decoded strictly: an unknown field is an error."""

from __future__ import annotations

from typing import Annotated

import msgspec

from orderhub.core.model import Item
from orderhub.hub.schemas import CurrencyCode, DecimalString


class ItemIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An item as `PUT /items/{sku}` replaces it; the SKU is the path."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
    barcode: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    price: DecimalString | None = None
    """Decimal string in `currency` ("19.99"); read back as minor units."""
    currency: CurrencyCode | None = None
    """Required with `price`."""
    weight_grams: Annotated[int, msgspec.Meta(ge=0)] | None = None
    tags: list[str] = []
    substitutes: list[str] = []
    """SKUs that may replace this one when it cannot be allocated, best first."""
    sku_group: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    active: bool = True


class ItemPage(msgspec.Struct, kw_only=True):
    items: list[Item]
    next_cursor: str | None
    """Pass back as `cursor` for the next page; None on the last one."""
