"""Reading files as spreadsheet programs write them (pure: no database)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from orderhub.hub.channels.spreadsheet.columns import SheetKind
from orderhub.hub.channels.spreadsheet.reading import (
    SheetError,
    SheetFormat,
    format_for_media_type,
    format_for_path,
    read_sheet,
)

from .conftest import csv_bytes, xlsx_bytes


def values(sheet) -> list[tuple[int, dict[str, str]]]:
    return [(row.number, row.values) for row in sheet.rows]


def test_csv_as_excel_saves_it_in_france():
    """Semicolons, Windows-1252 accents, a byte-order mark elsewhere: all read the same."""
    rows = [["SKU", "Name", "Price"], ["CAF-1", "Café crème", "3.20"]]
    for data in (
        csv_bytes(rows, delimiter=";", encoding="cp1252"),
        b"\xef\xbb\xbf" + csv_bytes(rows),
        csv_bytes(rows, delimiter="\t"),
    ):
        sheet = read_sheet(data, SheetFormat.CSV, SheetKind.ITEMS)
        assert sheet.columns == ["sku", "name", "price"]
        assert values(sheet) == [(2, {"sku": "CAF-1", "name": "Café crème", "price": "3.20"})]


def test_row_numbers_match_the_spreadsheet_and_blank_rows_are_skipped():
    data = b'sku,location,on_hand\r\nA,WH,1\r\n,,\r\n\r\nB,WH,"2"\r\n'

    sheet = read_sheet(data, SheetFormat.CSV, SheetKind.STOCK)

    assert [(number, row["sku"]) for number, row in values(sheet)] == [(2, "A"), (5, "B")]


def test_quoted_newlines_count_as_one_row():
    data = b'sku,name\r\nA,"two\nlines"\r\nB,plain\r\n'

    sheet = read_sheet(data, SheetFormat.CSV, SheetKind.ITEMS)

    assert values(sheet) == [
        (2, {"sku": "A", "name": "two\nlines"}),
        (3, {"sku": "B", "name": "plain"}),
    ]


def test_values_without_a_column_name_are_kept_for_the_report():
    sheet = read_sheet(b"sku,name\nA,Apple,extra\n", SheetFormat.CSV, SheetKind.ITEMS)

    assert sheet.rows[0].unnamed == ["extra"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("sku,name,colour", "unknown column(s) 'colour' for items"),
        ("sku,name,Name", "column 'name' appears twice"),
        ("sku,price", "missing required column(s) for items: name"),
    ],
)
def test_header_problems_reject_the_file(header: str, message: str):
    with pytest.raises(SheetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_sheet(f"{header}\nA,B,C\n".encode(), SheetFormat.CSV, SheetKind.ITEMS)


def test_empty_and_unreadable_files_are_rejected():
    with pytest.raises(SheetError, match="empty"):
        read_sheet(b"\r\n,,\r\n", SheetFormat.CSV, SheetKind.ITEMS)
    with pytest.raises(SheetError, match="not a readable XLSX file"):
        read_sheet(b"sku,name\n", SheetFormat.XLSX, SheetKind.ITEMS)
    with pytest.raises(SheetError, match="not CSV text"):
        read_sheet(xlsx_bytes([["sku", "name"]]), SheetFormat.CSV, SheetKind.ITEMS)


def test_xlsx_cells_become_exact_text():
    rows = [
        [],
        ["order_ref", "placed_at", "sku", "quantity", "unit_price", "notes"],
        ["A-1", datetime(2024, 5, 1, 14, 30), "TEE", 2, 19.99, None],
        ["A-2", date(2024, 5, 2), "TEE", 3.0, 0.1, True],
    ]

    sheet = read_sheet(xlsx_bytes(rows), SheetFormat.XLSX, SheetKind.ORDERS)

    assert values(sheet) == [
        (
            3,
            {
                "order_ref": "A-1",
                "placed_at": "2024-05-01T14:30:00",
                "sku": "TEE",
                "quantity": "2",
                "unit_price": "19.99",
                "notes": "",
            },
        ),
        (
            4,
            {
                "order_ref": "A-2",
                "placed_at": "2024-05-02T00:00:00",
                "sku": "TEE",
                "quantity": "3",
                "unit_price": "0.1",
                "notes": "true",
            },
        ),
    ]


def test_formats_by_extension_and_media_type():
    assert format_for_path("Stock.XLSX") is SheetFormat.XLSX
    assert format_for_path("/tmp/orders.csv") is SheetFormat.CSV
    with pytest.raises(SheetError, match="use a .csv or .xlsx file"):
        format_for_path("orders.xls")
    assert format_for_media_type("text/csv; charset=utf-8") is SheetFormat.CSV
    assert (
        format_for_media_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        is SheetFormat.XLSX
    )
    assert format_for_media_type("application/json") is None
