"""`orderhub import` and `orderhub export orders` on files, as a merchant runs them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

from orderhub.hub.channels.spreadsheet.columns import ORDER_COLUMNS

from .conftest import Cli

ITEMS = "sku,name,price,currency\nTEE-M,Organic tee M,24.90,EUR\nMUG,Stoneware mug,14.50,EUR\n"
STOCK = "sku,location,on_hand\nMUG,PAR-WH,10\n"


def order_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ORDER_COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def count(tmp_path: Path, table: str) -> int:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def test_import_items_then_orders_with_a_report(cli: Cli, tmp_path: Path):
    items = tmp_path / "items.csv"
    items.write_text(ITEMS)
    orders = tmp_path / "orders.csv"
    orders.write_text(
        order_csv(
            [
                {"order_ref": "A-1", "sku": "TEE-M", "quantity": "2", "unit_price": "24.90"},
                {"order_ref": "A-1", "sku": "MUG", "quantity": "1", "unit_price": "14.50"},
                {"order_ref": "A-2", "sku": "MUG", "quantity": "abc", "unit_price": "14.50"},
                {"order_ref": "A-3", "sku": "X", "quantity": "1", "unit_price": "1.00"},
            ]
        )
    )
    report = tmp_path / "report.csv"

    first = cli("import", "items", str(items))
    result = cli("import", "orders", str(orders), "--report", str(report))

    assert first.exit_code == 0, first.output
    assert "2 row(s): 2 ok, 0 error(s), 0 skipped" in first.stdout
    assert result.exit_code == 1
    assert "4 row(s): 2 ok, 2 error(s), 0 skipped" in result.stdout
    assert "quantity 'abc' is not a whole number" in result.stdout
    assert "unknown SKU 'X'" in result.stdout
    rows = list(csv.DictReader(report.open()))
    assert [(r["row"], r["status"], r["reference"]) for r in rows] == [
        ("2", "ok", "A-1"),
        ("3", "ok", "A-1"),
        ("4", "error", "A-2"),
        ("5", "error", "A-3"),
    ]
    assert rows[2]["messages"] == "quantity 'abc' is not a whole number"
    assert count(tmp_path, "orders") == 1
    history = count(tmp_path, "order_history")

    again = cli("import", "orders", str(orders))
    assert "already imported" in again.stdout
    assert count(tmp_path, "orders") == 1 and count(tmp_path, "order_history") == history


def test_import_xlsx_and_dry_run(cli: Cli, tmp_path: Path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["sku", "name", "price"])
    sheet.append(["BOWL", "Ceramic bowl", 18.9])
    sheet.append(["PLATE", "Plate", "1,50"])
    path = tmp_path / "items.xlsx"
    workbook.save(path)

    dry = cli("import", "items", str(path), "--dry-run")
    assert dry.exit_code == 1
    assert "dry run, nothing changed: 2 row(s): 1 ok, 1 error(s)" in dry.stdout
    assert "use a dot as the decimal separator" in dry.stdout
    assert count(tmp_path, "items") == 0

    real = cli("import", "items", str(path))
    assert real.exit_code == 1
    assert count(tmp_path, "items") == 1


def test_import_refuses_bad_files_with_exit_2(cli: Cli, tmp_path: Path):
    wrong_columns = tmp_path / "stock.csv"
    wrong_columns.write_text("sku,where,on_hand\nMUG,PAR-WH,1\n")
    wrong_kind = tmp_path / "stock.ods"
    wrong_kind.write_text("x")

    first = cli("import", "stock", str(wrong_columns))
    second = cli("import", "stock", str(wrong_kind))
    third = cli("import", "stock", str(tmp_path / "missing.csv"))
    items = tmp_path / "items.csv"
    items.write_text(ITEMS)
    fourth = cli("import", "items", str(items), "--connection", "manual")

    assert first.exit_code == 2 and "unknown column(s) 'where'" in first.stderr
    assert second.exit_code == 2 and "use a .csv or .xlsx file" in second.stderr
    assert third.exit_code == 2
    assert fourth.exit_code == 1 and "imports go to a spreadsheet connection" in fourth.stderr
    assert count(tmp_path, "items") == 0
    assert "Traceback" not in first.output + second.output + fourth.output


def test_export_orders_reimports_cleanly(cli: Cli, tmp_path: Path):
    items = tmp_path / "items.csv"
    items.write_text(ITEMS)
    cli("import", "items", str(items))
    orders = tmp_path / "orders.csv"
    orders.write_text(
        order_csv(
            [
                {
                    "order_ref": "B-1",
                    "placed_at": "2024-03-01T10:00:00Z",
                    "customer_email": "jo@example.com",
                    "ship_country": "DE",
                    "sku": "MUG",
                    "quantity": "3",
                    "unit_price": "14.50",
                    "shipping_price": "5.00",
                },
                {
                    "order_ref": "B-2",
                    "placed_at": "2024-03-05",
                    "sku": "TEE-M",
                    "quantity": "1",
                    "unit_price": "20.00",
                },
            ]
        )
    )
    cli("import", "orders", str(orders))
    out = tmp_path / "export.csv"

    exported = cli("export", "orders", str(out))
    since = cli("export", "orders", "-", "--since", "2024-03-02")
    held = cli("export", "orders", "-", "--status", "on_hold", "--connection", "spreadsheet")
    shipped = cli("export", "orders", "-", "--status", "shipped")

    assert exported.exit_code == 0, exported.output
    assert "2 order line(s) written" in exported.stderr
    rows = list(csv.DictReader(out.open()))
    assert {(r["order_ref"], r["sku"], r["quantity"], r["unit_price"]) for r in rows} == {
        ("B-1", "MUG", "3", "14.50"),
        ("B-2", "TEE-M", "1", "20.00"),
    }
    assert [r["order_ref"] for r in csv.DictReader(io.StringIO(since.stdout))] == ["B-2"]
    # no stock anywhere: the intake holds both orders for availability
    assert len(list(csv.DictReader(io.StringIO(held.stdout)))) == 2
    assert list(csv.DictReader(io.StringIO(shipped.stdout))) == []
    reimport = cli("import", "orders", str(out))
    assert reimport.exit_code == 0
    assert "2 row(s): 0 ok, 0 error(s), 2 skipped" in reimport.stdout
    bad_status = cli("export", "orders", "-", "--status", "lost")
    assert bad_status.exit_code == 2
