"""Helpers shared by the API tests: seeding through the services, reading tables directly."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from orderhub.core.model import Item, Location, Money
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.locations.service import upsert_location


async def count_rows(hub: Any, table: Any) -> int:
    async with hub.read() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(table))


@pytest.fixture
async def catalog(hub: Any) -> dict[str, Item]:
    """Two priced items, one without a price, and locations WH1 and WH2."""
    items = {
        "TSHIRT-M": Item(sku="TSHIRT-M", name="T-shirt M", price=Money.parse("19.99", "EUR")),
        "MUG": Item(sku="MUG", name="Mug", price=Money.parse("8.50", "EUR")),
        "SAMPLE": Item(sku="SAMPLE", name="Free sample"),
    }
    async with hub.transaction() as session:
        for item in items.values():
            await upsert_item(session, item)
        await upsert_location(session, Location(code="WH1", name="Main warehouse"))
        await upsert_location(session, Location(code="WH2", name="Second warehouse"))
    return items
