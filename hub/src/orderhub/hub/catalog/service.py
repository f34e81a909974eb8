"""Reading and writing items."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.model import Item, Money
from orderhub.hub.errors import NotFound
from orderhub.hub.store.tables import ItemRow


def item_from_row(row: ItemRow) -> Item:
    price = (
        Money(amount=row.price_amount, currency=row.price_currency)
        if row.price_amount is not None and row.price_currency
        else None
    )
    return Item(
        sku=row.sku,
        name=row.name,
        barcode=row.barcode,
        price=price,
        weight_grams=row.weight_grams,
        tags=list(row.tags or []),
        substitutes=list(row.substitutes or []),
        sku_group=row.sku_group,
        active=row.active,
    )


def _apply(row: ItemRow, item: Item) -> None:
    row.name = item.name
    row.barcode = item.barcode
    row.price_amount = item.price.amount if item.price else None
    row.price_currency = item.price.currency if item.price else None
    row.weight_grams = item.weight_grams
    row.tags = list(item.tags)
    row.substitutes = list(item.substitutes)
    row.sku_group = item.sku_group
    row.active = item.active


async def upsert_item(session: AsyncSession, item: Item) -> tuple[ItemRow, bool]:
    """Create or replace an item by SKU. Returns the row and whether it was created."""
    row = await session.scalar(sa.select(ItemRow).where(ItemRow.sku == item.sku))
    created = row is None
    if row is None:
        row = ItemRow(sku=item.sku)
        session.add(row)
    _apply(row, item)
    await session.flush()
    return row, created


async def get_item_row(session: AsyncSession, sku: str) -> ItemRow:
    row = await session.scalar(sa.select(ItemRow).where(ItemRow.sku == sku))
    if row is None:
        raise NotFound(f"no item with SKU {sku!r}", code="unknown_sku", sku=sku)
    return row


async def item_ids(session: AsyncSession, skus: Iterable[str]) -> dict[str, int]:
    """SKU -> item id for the SKUs that exist; absent SKUs are simply missing."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.execute(sa.select(ItemRow.sku, ItemRow.id).where(ItemRow.sku.in_(wanted)))
    return {sku: item_id for sku, item_id in rows.all()}


async def list_items(
    session: AsyncSession, *, after: str | None = None, limit: int = 100, search: str | None = None
) -> list[Item]:
    query = sa.select(ItemRow).order_by(ItemRow.sku).limit(limit)
    if after:
        query = query.where(ItemRow.sku > after)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(ItemRow.sku).like(pattern), sa.func.lower(ItemRow.name).like(pattern)
            )
        )
    return [item_from_row(row) for row in await session.scalars(query)]


def item_to_json(item: Item) -> dict:
    return msgspec.to_builtins(item)
