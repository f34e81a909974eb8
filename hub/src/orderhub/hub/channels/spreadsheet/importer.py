"""Applying a checked spreadsheet to the hub, one unit of work per row — for orders, per chunk
of up to `ORDER_CHUNK` orders, accepted together (`allocation.intake.accept_orders`: one
commit and one reservation statement for many).

A bad row never blocks the others: it is reported and left out; an order refused in a chunk
gets its own error, and a chunk whose transaction fails is written again one order at a time. A dry run does the very same
work in transactions that are rolled back, so it finds every problem a real run would (unknown
SKUs, orders already imported) and changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import sqlalchemy as sa

from orderhub.core.connection import Connection
from orderhub.core.model import Actor, MovementKind, Order
from orderhub.hub.allocation.intake import accept_order, accept_orders
from orderhub.hub.catalog.service import get_item_row, item_from_row, item_ids, upsert_item
from orderhub.hub.channels.spreadsheet.columns import SheetKind
from orderhub.hub.channels.spreadsheet.parsing import (
    group_orders,
    item_with,
    parse_item,
    parse_order,
    parse_stock,
)
from orderhub.hub.channels.spreadsheet.reading import Sheet, SheetRow
from orderhub.hub.channels.spreadsheet.report import (
    ImportReport,
    RowResult,
    RowStatus,
    build_report,
)
from orderhub.hub.errors import HubError, InvalidInput, NotFound
from orderhub.hub.locations.service import location_ids
from orderhub.hub.runtime import Hub
from orderhub.hub.stock.service import set_on_hand
from orderhub.hub.store.tables import ItemRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import UnitOfWork

SPREADSHEET_CONNECTOR = "spreadsheet"

Progress = Callable[[int], None]
"""Told how many more rows are done, as the import goes."""


def spreadsheet_connection(hub: Hub, connection_id: str) -> Connection:
    """The connection imports are made for; it must be an enabled spreadsheet connection."""
    connection = hub.connection(connection_id)
    if connection.connector != SPREADSHEET_CONNECTOR:
        raise InvalidInput(
            f"connection {connection_id!r} is a {connection.connector} connection; "
            "imports go to a spreadsheet connection",
            code="not_a_spreadsheet_connection",
            connection=connection_id,
        )
    if not connection.enabled:
        raise InvalidInput(
            f"connection {connection_id!r} is disabled",
            code="connection_disabled",
            connection=connection_id,
        )
    return connection


async def import_sheet(
    hub: Hub,
    sheet: Sheet,
    kind: SheetKind,
    *,
    actor: Actor,
    connection: str = SPREADSHEET_CONNECTOR,
    dry_run: bool = False,
    reference: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import every row of `sheet` and say, row by row, what happened.

    `reference` lands on stock movements (the file name, say) so the ledger shows where a
    change came from.
    """
    conn = spreadsheet_connection(hub, connection)
    run = _Run(hub, conn, actor, dry_run, reference or "spreadsheet import", progress)
    if kind is SheetKind.ITEMS:
        await run.items(sheet)
    elif kind is SheetKind.STOCK:
        await run.stock(sheet)
    else:
        await run.orders(sheet)
    return build_report(kind.value, dry_run=dry_run, connection=conn.id, rows=run.results)


ORDER_CHUNK = 50
"""Orders accepted in one transaction by an import."""


class _Run:
    def __init__(
        self,
        hub: Hub,
        connection: Connection,
        actor: Actor,
        dry_run: bool,
        reference: str,
        progress: Progress | None,
    ) -> None:
        self.hub = hub
        self.connection = connection
        self.actor = actor
        self.dry_run = dry_run
        self.reference = reference
        self.progress = progress or (lambda _: None)
        self.results: list[RowResult] = []
        self.default_currency: str = connection.settings.default_currency

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UnitOfWork]:
        """A transaction that commits, or in a dry run is always rolled back."""
        if not self.dry_run:
            async with self.hub.transaction() as session:
                yield session
            return
        async with self.hub.read() as session:
            await session.begin()
            try:
                yield session
            finally:
                await session.rollback()
                session.forget()

    def done(self, row: int, status: RowStatus, reference: str | None, *messages: str) -> None:
        self.results.append(
            RowResult(row=row, status=status, reference=reference, messages=list(messages))
        )

    def would(self, text: str) -> str:
        return f"would be {text}" if self.dry_run else text

    # ------------------------------------------------------------------ items

    async def items(self, sheet: Sheet) -> None:
        first_seen: dict[str, int] = {}
        for row in sheet.rows:
            self.progress(1)
            fields, errors = parse_item(row, self.default_currency)
            sku = fields.get("sku")
            if sku is not None:
                if sku in first_seen:
                    errors.append(f"SKU {sku!r} already appears on row {first_seen[sku]}")
                else:
                    first_seen[sku] = row.number
            if errors:
                self.done(row.number, RowStatus.ERROR, sku, *errors)
                continue
            try:
                async with self.unit() as session:
                    try:
                        existing = item_from_row(await get_item_row(session, sku))
                    except NotFound:
                        existing = None
                    _, created = await upsert_item(session, item_with(fields, existing))
            except HubError as exc:
                self.done(row.number, RowStatus.ERROR, sku, exc.message)
                continue
            self.done(
                row.number, RowStatus.OK, sku, self.would("created" if created else "updated")
            )

    # ------------------------------------------------------------------ stock

    async def stock(self, sheet: Sheet) -> None:
        async with self.hub.read() as session:
            skus = {row.values.get("sku", "") for row in sheet.rows}
            known_skus = await item_ids(session, skus - {""})
            known_locations = await location_ids(session)
        first_seen: dict[tuple[str, str], int] = {}
        for row in sheet.rows:
            self.progress(1)
            line, errors = parse_stock(row)
            key = f"{row.values.get('sku', '')}@{row.values.get('location', '')}"
            if line is not None:
                if line.sku not in known_skus:
                    errors.append(f"unknown SKU {line.sku!r}")
                if line.location not in known_locations:
                    errors.append(f"unknown location {line.location!r}")
                pair = (line.sku, line.location)
                if pair in first_seen:
                    errors.append(
                        f"{line.sku} at {line.location} already appears on row {first_seen[pair]}"
                    )
                else:
                    first_seen[pair] = row.number
            if errors or line is None:
                self.done(row.number, RowStatus.ERROR, key, *errors)
                continue
            try:
                async with self.unit() as session:
                    level = await set_on_hand(
                        session,
                        line.sku,
                        line.location,
                        line.on_hand,
                        kind=MovementKind.SET,
                        reason=line.reason or "spreadsheet import",
                        reference=self.reference[:128],
                        actor=str(self.actor),
                        safety_stock=line.safety_stock,
                    )
            except HubError as exc:
                self.done(row.number, RowStatus.ERROR, key, exc.message)
                continue
            text = f"on hand {level.on_hand}, safety stock {level.safety_stock}"
            self.done(
                row.number, RowStatus.OK, key, f"would be set: {text}" if self.dry_run else text
            )

    # ------------------------------------------------------------------ orders

    async def orders(self, sheet: Sheet) -> None:
        async with self.hub.read() as session:
            skus = {row.values.get("sku", "") for row in sheet.rows} - {""}
            rows = await session.execute(
                sa.select(ItemRow.sku, ItemRow.name).where(ItemRow.sku.in_(sorted(skus)))
            )
            names = dict(rows.all()) if skus else {}
        now = utcnow()
        pending: list[tuple[Order, str, list[SheetRow]]] = []
        for ref, rows in group_orders(sheet.rows).items():
            self.progress(len(rows))
            if not ref:
                for row in rows:
                    self.done(row.number, RowStatus.ERROR, None, "order_ref is empty")
                continue
            order_in, problems = parse_order(ref, rows, self.default_currency, now)
            for line in order_in.lines if order_in is not None else ():
                if line.sku not in names:
                    problems.setdefault(line.row, []).append(f"unknown SKU {line.sku!r}")
            if problems or order_in is None:
                bad = ", ".join(str(number) for number in sorted(problems))
                for row in rows:
                    if row.number in problems:
                        self.done(row.number, RowStatus.ERROR, ref, *problems[row.number])
                    else:
                        self.done(
                            row.number,
                            RowStatus.SKIPPED,
                            ref,
                            f"not imported: order {ref!r} has errors on row(s) {bad}",
                        )
                continue
            pending.append((order_in.to_order(self.connection.id, names), ref, rows))
            if len(pending) >= ORDER_CHUNK:
                await self._create_chunk(pending)
                pending = []
        if pending:
            await self._create_chunk(pending)

    async def _create_chunk(self, chunk: list[tuple[Order, str, list[SheetRow]]]) -> None:
        try:
            async with self.unit() as session:
                results = await accept_orders(
                    self.hub,
                    session,
                    [(order, self.actor) for order, _, _ in chunk],
                    reject_unknown_skus=True,
                )
        except Exception:
            # Not one order's refusal (those come back as results): try each alone, so the
            # failure is reported on the order that causes it.
            for order, ref, rows in chunk:
                await self._create(order, ref, rows)
            return
        for (_, ref, rows), result in zip(chunk, results, strict=True):
            self._report(result, ref, rows)

    async def _create(self, order: Order, ref: str, rows: list[SheetRow]) -> None:
        try:
            async with self.unit() as session:
                created = await accept_order(
                    self.hub, session, order, actor=self.actor, reject_unknown_skus=True
                )
        except HubError as exc:
            self._report(exc, ref, rows)
            return
        self._report(created, ref, rows)

    def _report(self, result: Order | HubError, ref: str, rows: list[SheetRow]) -> None:
        if isinstance(result, HubError):
            if result.code == "duplicate_order":
                for row in rows:
                    self.done(row.number, RowStatus.SKIPPED, ref, f"order {ref!r} already imported")
            else:
                for row in rows:
                    self.done(row.number, RowStatus.ERROR, ref, result.message)
            return
        total = result.totals.total if result.totals else None
        summary = f"order {ref!r} " + (
            "would be created" if self.dry_run else f"created as {result.id}"
        )
        summary += f" ({len(result.lines)} line(s), total {total})"
        for position, row in enumerate(rows):
            self.done(
                row.number, RowStatus.OK, ref, summary if position == 0 else f"line of {ref!r}"
            )
