"""Files written the way merchants' tools write them, and a small catalogue to import against."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa

from orderhub.core.model import Item, Location, LocationKind, Money
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.locations.service import upsert_location


def csv_bytes(rows: list[list[Any]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    """An XLSX workbook with real typed cells: numbers stay numbers, dates stay dates."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def count(hub: Any, table: Any) -> int:
    async with hub.read() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(table))


@pytest.fixture
async def catalog(hub: Any) -> dict[str, Item]:
    """Three items and two locations (PAR-WH, LYO-ST)."""
    items = {
        "TEE-M": Item(sku="TEE-M", name="Organic tee M", price=Money.parse("24.90", "EUR")),
        "MUG": Item(sku="MUG", name="Stoneware mug", price=Money.parse("14.50", "EUR")),
        "CAP": Item(sku="CAP", name="Cap", substitutes=["TEE-M"]),
    }
    async with hub.transaction() as session:
        for item in items.values():
            await upsert_item(session, item)
        await upsert_location(session, Location(code="PAR-WH", name="Paris warehouse"))
        await upsert_location(
            session, Location(code="LYO-ST", name="Lyon store", kind=LocationKind.STORE)
        )
    return items
