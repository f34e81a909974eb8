"""`orderhub import KIND FILE`, `orderhub export orders FILE`: spreadsheets in and out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from orderhub.core.model import OrderStatus
from orderhub.hub.cli.context import EXIT_PARTIAL, cli_actor, console, run_with_hub


@click.command("import")
@click.argument("kind", type=click.Choice(["orders", "items", "stock"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; change nothing.")
@click.option(
    "--connection",
    default="spreadsheet",
    show_default=True,
    help="The spreadsheet connection the import is for.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the row-by-row report (every row) to this CSV file.",
)
def import_(
    kind: str, file: Path, dry_run: bool, connection: str, report_path: Path | None
) -> None:
    """Import KIND (orders, items or stock) from FILE (.csv or .xlsx).

    Valid rows are applied, invalid rows are not and are listed with their row number.
    Exits with 1 if any row failed.
    """
    from rich.progress import Progress

    from orderhub.hub.channels.spreadsheet.columns import SheetKind
    from orderhub.hub.channels.spreadsheet.importer import import_sheet
    from orderhub.hub.channels.spreadsheet.reading import format_for_path, read_sheet

    sheet_kind = SheetKind(kind)
    sheet = read_sheet(file.read_bytes(), format_for_path(file), sheet_kind)

    async def import_rows(hub: Any) -> Any:
        with Progress(console=console(stderr=True), transient=True) as progress:
            task = progress.add_task(f"importing {kind}", total=len(sheet.rows))
            return await import_sheet(
                hub,
                sheet,
                sheet_kind,
                actor=cli_actor(),
                connection=connection,
                dry_run=dry_run,
                reference=file.name,
                progress=lambda n: progress.advance(task, n),
            )

    report = run_with_hub(import_rows)
    _print_report(report)
    if report_path is not None:
        report_path.write_text(report.to_csv())
    if report.failed:
        raise click.exceptions.Exit(EXIT_PARTIAL)


def _print_report(report: Any) -> None:
    """Every row that was not applied, one line each, then the counts."""
    for line in report.lines():
        click.echo(line)
    s = report.summary
    prefix = "dry run, nothing changed: " if report.dry_run else ""
    click.echo(f"{prefix}{s.rows} row(s): {s.ok} ok, {s.errors} error(s), {s.skipped} skipped")


@click.group()
def export() -> None:
    """Export data as CSV."""


@export.command("orders")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in OrderStatus]),
    help="Only orders in this status (repeatable).",
)
@click.option("--connection", default=None, help="Only orders from this connection.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    default=None,
    help="Only orders placed at or after this UTC date or time.",
)
def export_orders(
    file: Path, statuses: tuple[str, ...], connection: str | None, since: Any
) -> None:
    """Write orders to FILE (CSV, one row per line, the columns `import orders` reads).
    Use - for standard output."""
    from datetime import UTC

    from orderhub.hub.channels.spreadsheet.exporter import orders_csv
    from orderhub.hub.orders.schemas import OrderFilter

    filters = OrderFilter(
        status=[OrderStatus(s) for s in statuses],
        connection=connection,
        placed_from=since.replace(tzinfo=UTC) if since else None,
    )

    async def write(hub: Any) -> int:
        lines = 0
        out = sys.stdout if str(file) == "-" else file.open("w", newline="", encoding="utf-8")
        try:
            async for chunk in orders_csv(hub, filters):
                out.write(chunk)
                lines += chunk.count("\n")
        finally:
            if out is not sys.stdout:
                out.close()
        return lines - 1

    written = run_with_hub(write)
    if str(file) != "-":
        click.echo(f"{written} order line(s) written to {file}", err=True)
