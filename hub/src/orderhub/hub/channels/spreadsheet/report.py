"""The result of an import, row by row: what was applied, what was refused and why."""

from __future__ import annotations

import csv
import enum
import io

import msgspec


class RowStatus(enum.StrEnum):
    OK = "ok"
    """Applied (or, in a dry run, would be applied)."""
    ERROR = "error"
    """Refused: the messages say why. Nothing of this row was applied."""
    SKIPPED = "skipped"
    """Not applied, and not wrong: already imported, or part of an order refused elsewhere."""


class RowResult(msgspec.Struct, kw_only=True):
    row: int
    status: RowStatus
    reference: str | None = None
    """The row's key: the SKU, "SKU@location" or the order reference."""
    messages: list[str] = []


class ImportSummary(msgspec.Struct, kw_only=True):
    rows: int = 0
    ok: int = 0
    errors: int = 0
    skipped: int = 0


class ImportReport(msgspec.Struct, kw_only=True):
    kind: str
    dry_run: bool
    connection: str
    summary: ImportSummary
    rows: list[RowResult]
    """Every data row of the file, in file order."""

    @property
    def failed(self) -> bool:
        return self.summary.errors > 0

    def lines(self, *, include_ok: bool = False) -> list[str]:
        """Human-readable lines: "row 7: quantity 'abc' is not a whole number" for errors,
        "row 9 (skipped): ..." and "row 2 (ok): ..." for the others."""
        out = []
        for result in self.rows:
            if result.status is RowStatus.OK and not include_ok:
                continue
            text = "; ".join(result.messages) or result.status.value
            label = "" if result.status is RowStatus.ERROR else f" ({result.status.value})"
            out.append(f"row {result.row}{label}: {text}")
        return out

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["row", "status", "reference", "messages"])
        for result in self.rows:
            writer.writerow(
                [
                    result.row,
                    result.status.value,
                    result.reference or "",
                    "; ".join(result.messages),
                ]
            )
        return buffer.getvalue()


def build_report(
    kind: str, *, dry_run: bool, connection: str, rows: list[RowResult]
) -> ImportReport:
    ordered = sorted(rows, key=lambda r: r.row)
    summary = ImportSummary(
        rows=len(ordered),
        ok=sum(r.status is RowStatus.OK for r in ordered),
        errors=sum(r.status is RowStatus.ERROR for r in ordered),
        skipped=sum(r.status is RowStatus.SKIPPED for r in ordered),
    )
    return ImportReport(
        kind=kind, dry_run=dry_run, connection=connection, summary=summary, rows=ordered
    )
