"""Reading CSV and XLSX files into rows of text, numbered as a spreadsheet program shows them.

Everything a cell holds becomes text here (numbers from XLSX exactly as Python prints them,
dates in ISO 8601), so one set of validation rules serves both formats. Problems with the file
as a whole (unreadable, unknown or missing columns) raise `SheetError`; problems with a single
row are left for the importer to report against that row.
"""

from __future__ import annotations

import csv
import enum
import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import msgspec

from orderhub.hub.channels.spreadsheet.columns import COLUMNS, REQUIRED, SheetKind

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPES = ("text/csv", "application/csv", "text/plain")


class SheetFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class SheetError(ValueError):
    """The file cannot be imported at all; the message says why."""


class SheetRow(msgspec.Struct, kw_only=True):
    number: int
    """The row number a spreadsheet program shows (the header is row 1 in a plain file)."""
    values: dict[str, str]
    """Cell text by column name, stripped; only the columns the file has."""
    unnamed: list[str] = []
    """Values found in cells that have no column name above them."""


class Sheet(msgspec.Struct, kw_only=True):
    columns: list[str]
    rows: list[SheetRow]


def format_for_path(path: str | Path) -> SheetFormat:
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return SheetFormat.CSV
    if suffix == ".xlsx":
        return SheetFormat.XLSX
    raise SheetError(f"{Path(path).name}: use a .csv or .xlsx file")


def format_for_media_type(media_type: str) -> SheetFormat | None:
    base = media_type.split(";", 1)[0].strip().lower()
    if base == XLSX_MEDIA_TYPE:
        return SheetFormat.XLSX
    if base in CSV_MEDIA_TYPES:
        return SheetFormat.CSV
    return None


def read_sheet(data: bytes, fmt: SheetFormat, kind: SheetKind) -> Sheet:
    """Parse a whole file and check its header against the columns of `kind`."""
    records = _csv_records(data) if fmt is SheetFormat.CSV else _xlsx_records(data)
    header_at = next((i for i, (_, cells) in enumerate(records) if any(cells)), None)
    if header_at is None:
        raise SheetError("the file is empty: the first row must name the columns")
    columns = _header(records[header_at][1], kind)
    rows: list[SheetRow] = []
    for number, cells in records[header_at + 1 :]:
        if not any(cells):
            continue
        values = dict.fromkeys((c for c in columns if c), "")
        unnamed: list[str] = []
        for i, cell in enumerate(cells):
            column = columns[i] if i < len(columns) else ""
            if column:
                values[column] = cell
            elif cell:
                unnamed.append(cell)
        rows.append(SheetRow(number=number, values=values, unnamed=unnamed))
    return Sheet(columns=[c for c in columns if c], rows=rows)


def _header(cells: list[str], kind: SheetKind) -> list[str]:
    known = COLUMNS[kind]
    columns = [cell.strip().lower().replace(" ", "_") for cell in cells]
    unknown = [c for c in columns if c and c not in known]
    if unknown:
        raise SheetError(
            f"unknown column(s) {', '.join(repr(c) for c in unknown)} for {kind.value}; "
            f"the columns are: {', '.join(known)}"
        )
    seen: set[str] = set()
    for column in columns:
        if column and column in seen:
            raise SheetError(f"column {column!r} appears twice")
        seen.add(column)
    missing = [c for c in REQUIRED[kind] if c not in seen]
    if missing:
        raise SheetError(
            f"missing required column(s) for {kind.value}: {', '.join(missing)} "
            f"(the first non-empty row must name the columns)"
        )
    return columns


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else Windows-1252 as Excel saves it in
    Western Europe."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise SheetError("the file is neither UTF-8 nor Windows-1252 text") from exc


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab that spreadsheet programs use in some locales."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def _csv_records(data: bytes) -> list[tuple[int, list[str]]]:
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise SheetError("the file is not CSV text (is it an XLSX file sent as CSV?)")
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return [
            (number, [cell.strip() for cell in cells]) for number, cells in enumerate(reader, 1)
        ]
    except csv.Error as exc:
        raise SheetError(f"row {reader.line_num}: not valid CSV: {exc}") from exc


def _xlsx_records(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetError(f"not a readable XLSX file: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        return [
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), 1)
        ]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: 19.99, not 19.989999...
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()
