"""Item and stock imports: good rows applied, bad rows reported by number, dry runs inert."""

from __future__ import annotations

import sqlalchemy as sa

from orderhub.core.model import Actor, ActorKind, Money
from orderhub.hub.catalog.service import get_item_row, item_from_row
from orderhub.hub.channels.spreadsheet.columns import SheetKind
from orderhub.hub.channels.spreadsheet.importer import import_sheet
from orderhub.hub.channels.spreadsheet.reading import SheetFormat, read_sheet
from orderhub.hub.channels.spreadsheet.report import RowStatus
from orderhub.hub.stock.service import levels, movements
from orderhub.hub.store.tables import ItemRow, StockLevelRow, StockMovementRow

from .conftest import count, csv_bytes, xlsx_bytes

BOB = Actor(kind=ActorKind.USER, name="bob")


async def run(hub, data: bytes, kind: SheetKind, fmt=SheetFormat.CSV, **kwargs):
    sheet = read_sheet(data, fmt, kind)
    return await import_sheet(hub, sheet, kind, actor=BOB, reference="stock.csv", **kwargs)


async def item(hub, sku: str):
    async with hub.read() as session:
        return item_from_row(await get_item_row(session, sku))


ITEM_ROWS = [
    ["sku", "name", "price", "currency", "barcode", "weight_grams", "tags", "sku_group"],
    ["NEW-1", "Linen apron", "32.00", "EUR", "3760000000017", "240", "kitchen, linen", ""],  # 2
    ["CAP", "Cap, washed", "18.5", "", "", "90", "", "clearance"],  # 3
    ["BAD-1", "Price typo", "abc", "EUR", "", "", "", ""],  # 4
    ["BAD-2", "", "1.00", "EUR", "", "1.5", "", ""],  # 5
    ["NEW-1", "Linen apron again", "30.00", "EUR", "", "", "", ""],  # 6
    ["JPY-1", "Furoshiki", "1200", "JPY", "", "", "", ""],  # 7
]


async def test_items_csv_applies_good_rows_and_reports_bad_ones(hub, catalog):
    report = await run(hub, csv_bytes(ITEM_ROWS), SheetKind.ITEMS)

    assert [(r.row, r.status.value, r.messages) for r in report.rows] == [
        (2, "ok", ["created"]),
        (3, "ok", ["updated"]),
        (4, "error", ["price 'abc' is not an amount"]),
        (5, "error", ["name is empty", "weight_grams '1.5' is not a whole number"]),
        (6, "error", ["SKU 'NEW-1' already appears on row 2"]),
        (7, "ok", ["created"]),
    ]
    apron = await item(hub, "NEW-1")
    assert apron.name == "Linen apron"
    assert apron.price == Money(amount=3200, currency="EUR")
    assert apron.barcode == "3760000000017"
    assert apron.weight_grams == 240
    assert apron.tags == ["kitchen", "linen"]
    cap = await item(hub, "CAP")
    assert cap.name == "Cap, washed"
    assert cap.price == Money(amount=1850, currency="EUR")  # the connection's default currency
    assert cap.sku_group == "clearance"
    assert cap.substitutes == ["TEE-M"]  # not a spreadsheet column: kept
    assert (await item(hub, "JPY-1")).price == Money(amount=1200, currency="JPY")
    async with hub.read() as session:
        skus = set(await session.scalars(sa.select(ItemRow.sku)))
    assert "BAD-1" not in skus and "BAD-2" not in skus


async def test_items_columns_absent_from_the_file_are_kept(hub, catalog):
    report = await run(
        hub, csv_bytes([["sku", "name"], ["TEE-M", "Organic tee, size M"]]), SheetKind.ITEMS
    )

    assert report.rows[0].status is RowStatus.OK
    tee = await item(hub, "TEE-M")
    assert tee.name == "Organic tee, size M"
    assert tee.price == Money(amount=2490, currency="EUR")


async def test_items_xlsx_numbers_are_exact(hub, catalog):
    rows = [
        ["sku", "name", "price", "currency", "weight_grams"],
        ["X-1", "Float price", 19.99, "EUR", 120],
        ["X-2", "Integral price", 5, "EUR", 80.0],
        ["X-3", "Too precise", 0.105, "EUR", None],
    ]

    report = await run(hub, xlsx_bytes(rows), SheetKind.ITEMS, SheetFormat.XLSX)

    assert [r.status.value for r in report.rows] == ["ok", "ok", "error"]
    assert report.rows[2].messages == ["price '0.105' has more than 2 decimals for EUR"]
    assert (await item(hub, "X-1")).price.amount == 1999
    assert (await item(hub, "X-2")).price.amount == 500
    assert (await item(hub, "X-2")).weight_grams == 80


async def test_items_dry_run_changes_nothing(hub, catalog):
    before = await item(hub, "CAP")

    report = await run(hub, csv_bytes(ITEM_ROWS), SheetKind.ITEMS, dry_run=True)

    assert report.rows[0].messages == ["would be created"]
    assert report.rows[1].messages == ["would be updated"]
    assert await count(hub, ItemRow) == 3
    assert await item(hub, "CAP") == before


STOCK_ROWS = [
    ["sku", "location", "on_hand", "safety_stock", "reason"],
    ["TEE-M", "PAR-WH", "40", "2", "cycle count"],  # 2
    ["MUG", "LYO-ST", "7", "", ""],  # 3
    ["X", "PAR-WH", "5", "", ""],  # 4
    ["MUG", "NOWHERE", "abc", "", ""],  # 5
    ["MUG", "PAR-WH", "-3", "", ""],  # 6
    ["TEE-M", "PAR-WH", "41", "", ""],  # 7
]


async def test_stock_csv_sets_levels_with_a_ledger_entry(hub, catalog):
    report = await run(hub, csv_bytes(STOCK_ROWS), SheetKind.STOCK)

    assert [(r.row, r.status.value, r.messages) for r in report.rows] == [
        (2, "ok", ["on hand 40, safety stock 2"]),
        (3, "ok", ["on hand 7, safety stock 0"]),
        (4, "error", ["unknown SKU 'X'"]),
        (5, "error", ["on_hand 'abc' is not a whole number"]),
        (6, "error", ["on_hand must be at least 0 (got -3)"]),
        (7, "error", ["TEE-M at PAR-WH already appears on row 2"]),
    ]
    assert report.rows[0].reference == "TEE-M@PAR-WH"
    async with hub.read() as session:
        found = {
            (lv.sku, lv.location): (lv.on_hand, lv.safety_stock) for lv in await levels(session)
        }
        ledger = [m for _, m in await movements(session)]
    assert found == {("TEE-M", "PAR-WH"): (40, 2), ("MUG", "LYO-ST"): (7, 0)}
    tee = next(m for m in ledger if m.sku == "TEE-M")
    assert (tee.kind.value, tee.delta, tee.reason, tee.reference, tee.actor) == (
        "set",
        40,
        "cycle count",
        "stock.csv",
        "user:bob",
    )
    assert next(m for m in ledger if m.sku == "MUG").reason == "spreadsheet import"


async def test_stock_unknown_location_is_reported(hub, catalog):
    rows = [["sku", "location", "on_hand"], ["MUG", "NOWHERE", "3"], ["ZZZ", "NOWHERE", "1"]]

    report = await run(hub, csv_bytes(rows), SheetKind.STOCK)

    assert report.rows[0].messages == ["unknown location 'NOWHERE'"]
    assert report.rows[1].messages == ["unknown SKU 'ZZZ'", "unknown location 'NOWHERE'"]
    assert await count(hub, StockLevelRow) == 0


async def test_stock_xlsx(hub, catalog):
    rows = [["SKU", "Location", "On hand"], ["MUG", "PAR-WH", 12], ["TEE-M", "LYO-ST", 3.0]]

    report = await run(hub, xlsx_bytes(rows), SheetKind.STOCK, SheetFormat.XLSX)

    assert report.summary.ok == 2 and not report.failed
    async with hub.read() as session:
        found = {(lv.sku, lv.location): lv.on_hand for lv in await levels(session)}
    assert found == {("MUG", "PAR-WH"): 12, ("TEE-M", "LYO-ST"): 3}


async def test_stock_dry_run_changes_nothing(hub, catalog):
    report = await run(hub, csv_bytes(STOCK_ROWS), SheetKind.STOCK, dry_run=True)

    assert report.rows[0].messages == ["would be set: on hand 40, safety stock 2"]
    assert report.summary.errors == 4
    assert await count(hub, StockLevelRow) == 0
    assert await count(hub, StockMovementRow) == 0
