"""The stock invariants, measured: what the no-oversell test asserts and the flash-sale
bench prints, and what an operator can run against a live database.

- oversold units: reservations beyond on hand minus safety stock, summed over every
  (SKU, location) — always 0;
- ledger mismatch: |reserved - sum of active reservations|, summed — always 0.
"""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.store.tables import ItemRow, LocationRow, ReservationRow, StockLevelRow


class StockAudit(msgspec.Struct, kw_only=True):
    oversold: int
    """Units reserved beyond on hand minus safety stock."""
    ledger_mismatch: int
    """Units by which `stock_levels.reserved` differs from the active reservations."""
    reserved: int
    on_hand: dict[tuple[str, str], int]
    """(SKU, location) -> on hand."""


async def audit_stock(session: AsyncSession) -> StockAudit:
    levels = (
        await session.execute(
            sa.select(
                ItemRow.sku,
                LocationRow.code,
                StockLevelRow.on_hand,
                StockLevelRow.reserved,
                StockLevelRow.safety_stock,
            )
            .join(ItemRow, ItemRow.id == StockLevelRow.item_id)
            .join(LocationRow, LocationRow.id == StockLevelRow.location_id)
        )
    ).all()
    ledger = {
        (sku, code): int(units)
        for sku, code, units in (
            await session.execute(
                sa.select(ItemRow.sku, LocationRow.code, sa.func.sum(ReservationRow.quantity))
                .join(ItemRow, ItemRow.id == ReservationRow.item_id)
                .join(LocationRow, LocationRow.id == ReservationRow.location_id)
                .where(ReservationRow.status == "active")
                .group_by(ItemRow.sku, LocationRow.code)
            )
        ).all()
    }
    return StockAudit(
        oversold=sum(
            max(0, reserved - (on_hand - safety)) for _, _, on_hand, reserved, safety in levels
        ),
        ledger_mismatch=sum(
            abs(reserved - ledger.get((sku, code), 0)) for sku, code, _, reserved, _ in levels
        ),
        reserved=sum(reserved for _, _, _, reserved, _ in levels),
        on_hand={(sku, code): on_hand for sku, code, on_hand, _, _ in levels},
    )
