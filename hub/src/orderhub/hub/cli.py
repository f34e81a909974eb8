"""The `orderhub` command: serve, work, migrate, look at plugins and connections, manage
tokens, import and export spreadsheets, load demo data.

Configuration comes from `--config`, $ORDERHUB_CONFIG, ./orderhub.toml or the defaults. A
configuration or plugin problem prints the failing key and exits with 2; a command that did
part of its work but not all (an import with bad rows) exits with 1.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec
import sqlalchemy as sa

from orderhub.core.model import Actor, ActorKind, OrderStatus
from orderhub.core.plugins import PluginError
from orderhub.hub.channels.spreadsheet.reading import SheetError
from orderhub.hub.config import ConfigError, Settings, load_settings
from orderhub.hub.errors import HubError

T = TypeVar("T")

EXIT_PARTIAL = 1
EXIT_USAGE = 2


class _Main(click.Group):
    """Turns the errors users cause into one line and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, PluginError, SheetError) as exc:
            _fail(str(exc), EXIT_USAGE)
        except HubError as exc:
            _fail(exc.message, EXIT_PARTIAL)
        except sa.exc.DBAPIError as exc:
            _fail(
                f"database error: {exc.orig}. Is the database reachable and migrated "
                "(`orderhub migrate`)?",
                EXIT_PARTIAL,
            )


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(code)


class _State:
    def __init__(self, config: str | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


def _settings() -> Settings:
    return click.get_current_context().find_object(_State).settings


def _run(make: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    """Open a hub, run `make(hub)` to completion, close the hub."""
    from orderhub.hub.assembly import open_hub

    async def main() -> T:
        hub = open_hub(_settings())
        try:
            return await make(hub)
        finally:
            await hub.aclose()

    return asyncio.run(main())


def _console(*, stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(kind=ActorKind.USER, name=f"cli:{user}")


def _json(value: Any) -> None:
    click.echo(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


def _redact(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


@click.group(cls=_Main)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML config file (default: $ORDERHUB_CONFIG, ./orderhub.toml, built-in defaults).",
)
@click.version_option(package_name="orderhub", prog_name="orderhub")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """OrderHub: every order and every unit of stock in one place."""
    ctx.obj = _State(config)


# ---------------------------------------------------------------------------- running


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default: api.host).")
@click.option("--port", type=int, default=None, help="Port (default: api.port).")
@click.option("--no-worker", is_flag=True, help="Serve the API only; run `orderhub worker` apart.")
def serve(host: str | None, port: int | None, no_worker: bool) -> None:
    """Migrate the database, then serve the API with a worker in the same process."""
    import uvicorn

    from orderhub.hub.app import create_app
    from orderhub.hub.assembly import open_hub
    from orderhub.hub.store.migrate import upgrade

    settings = _settings()
    _log_to_stderr()
    upgrade(settings.database_url)
    app = create_app(hub=open_hub(settings), run_worker=not no_worker)
    uvicorn.run(app, host=host or settings.api.host, port=port or settings.api.port)


@main.command()
def worker() -> None:
    """Run a worker: inbound events, outbound calls, the sweeper. Stop with Ctrl-C."""
    from orderhub.hub.worker import run_worker

    settings = _settings()
    _log_to_stderr()
    logging.getLogger(__name__).info(
        "worker on queue %r at %s", settings.worker.queue_name, _redact(settings.redis_url)
    )
    run_worker(settings)


def _log_to_stderr() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@main.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run at every start)."""
    from orderhub.hub.store.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    click.echo(f"database {_redact(settings.database_url)} is up to date")


# ---------------------------------------------------------------------------- inspecting


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins(as_json: bool) -> None:
    """Installed plugins: distribution, version, enabled or blocked, connectors."""
    from rich.table import Table

    from orderhub.hub.runtime import load_plugins

    info = load_plugins(_settings()).info()
    if as_json:
        _json(info)
        return
    table = Table("plugin", "distribution", "version", "state", "connectors")
    for plugin in info:
        table.add_row(
            plugin.name,
            plugin.distribution or "(built in)",
            plugin.version or "",
            "enabled" if plugin.enabled else "blocked",
            ", ".join(plugin.connectors),
        )
    _console().print(table)


class ConnectionInfo(msgspec.Struct, kw_only=True):
    id: str
    connector: str
    kind: str
    enabled: bool
    title: str | None
    capabilities: list[str]


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def connections(as_json: bool) -> None:
    """Configured connections with their connector, kind and capabilities."""
    from rich.table import Table

    async def collect(hub: Any) -> list[ConnectionInfo]:
        classes = hub.plugins.connectors()
        return [
            ConnectionInfo(
                id=conn.id,
                connector=conn.connector,
                kind=classes[conn.connector].kind.value,
                enabled=conn.enabled,
                title=conn.title,
                capabilities=sorted(c.value for c in classes[conn.connector].capabilities),
            )
            for conn in sorted(hub.connections.values(), key=lambda c: c.id)
        ]

    found = _run(collect)
    if as_json:
        _json(found)
        return
    table = Table("connection", "connector", "kind", "enabled", "capabilities")
    for conn in found:
        table.add_row(
            conn.id,
            conn.connector,
            conn.kind,
            "yes" if conn.enabled else "no",
            ", ".join(conn.capabilities) or "-",
        )
    _console().print(table)


# ---------------------------------------------------------------------------- tokens


@main.group()
def token() -> None:
    """API tokens: create (the secret is shown once), list, revoke."""


@token.command("create")
@click.option("--name", required=True, help="Who or what uses it (unique among active tokens).")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "operator", "warehouse", "read-only"]),
)
@click.option(
    "--location", "locations", multiple=True, help="For warehouse tokens: a location code."
)
def token_create(name: str, role: str, locations: tuple[str, ...]) -> None:
    """Create a token and print its secret, which is never shown again."""
    from orderhub.hub.auth import tokens

    async def create(hub: Any) -> str:
        async with hub.transaction() as session:
            return await tokens.issue_token(session, name, role, locations)

    secret = _run(create)
    click.echo(secret)
    click.echo(
        f"token {name!r} ({role}) created; keep the secret above, it is not shown again", err=True
    )


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def token_list(as_json: bool) -> None:
    """Every token (never its secret), revoked ones included."""
    from rich.table import Table

    from orderhub.hub.auth import tokens

    async def collect(hub: Any) -> list[dict[str, Any]]:
        async with hub.read() as session:
            return [
                {
                    "name": row.name,
                    "role": row.role,
                    "prefix": row.prefix,
                    "locations": list(row.locations or []),
                    "created_at": row.created_at,
                    "last_used_at": row.last_used_at,
                    "revoked_at": row.revoked_at,
                }
                for row in await tokens.list_tokens(session)
            ]

    rows = _run(collect)
    if as_json:
        _json(rows)
        return
    table = Table("name", "role", "prefix", "locations", "created", "state")
    for row in rows:
        table.add_row(
            row["name"],
            row["role"],
            row["prefix"] + "…",
            ", ".join(row["locations"]),
            f"{row['created_at']:%Y-%m-%d %H:%M}",
            f"revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "active",
        )
    _console().print(table)


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke the active token called NAME."""
    from orderhub.hub.auth import tokens
    from orderhub.hub.errors import NotFound

    async def revoke(hub: Any) -> None:
        async with hub.transaction() as session:
            if not await tokens.revoke_token(session, name):
                raise NotFound(f"no active token named {name!r}")

    _run(revoke)
    click.echo(f"token {name!r} revoked")


# ---------------------------------------------------------------------------- spreadsheets


@main.command("import")
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

    async def run(hub: Any) -> Any:
        with Progress(console=_console(stderr=True), transient=True) as progress:
            task = progress.add_task(f"importing {kind}", total=len(sheet.rows))
            return await import_sheet(
                hub,
                sheet,
                sheet_kind,
                actor=_cli_actor(),
                connection=connection,
                dry_run=dry_run,
                reference=file.name,
                progress=lambda n: progress.advance(task, n),
            )

    report = _run(run)
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


@main.group()
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

    written = _run(write)
    if str(file) != "-":
        click.echo(f"{written} order line(s) written to {file}", err=True)


# ---------------------------------------------------------------------------- demo


@main.command()
@click.option("--orders", "order_count", default=500, show_default=True, help="Orders to create.")
@click.option("--days", default=30, show_default=True, help="Spread them over this many days.")
@click.option("--seed", default=42, show_default=True, help="Same seed, same data.")
@click.option("--reset", is_flag=True, help="Erase everything in the database first.")
@click.option("--yes", is_flag=True, help="Do not ask before --reset erases the database.")
def demo(order_count: int, days: int, seed: int, reset: bool, yes: bool) -> None:
    """Migrate, then load sample channels, locations, items, stock and orders.

    Loads only into an empty database, so running it twice adds nothing; --reset erases the
    database first.
    """
    from orderhub.hub import demo as demo_data
    from orderhub.hub.store.migrate import upgrade

    settings = _settings()
    if order_count < 1 or days < 1:
        raise click.BadParameter("--orders and --days must be at least 1")
    if reset and not yes:
        click.confirm(
            f"Erase every order, item, location, token and event in "
            f"{_redact(settings.database_url)}?",
            abort=True,
        )
    upgrade(settings.database_url)

    async def load(hub: Any) -> Any:
        from rich.progress import Progress

        if reset:
            await demo_data.erase_everything(hub)
        with Progress(console=_console(stderr=True), transient=True) as progress:
            task = progress.add_task("creating orders", total=order_count)
            return await demo_data.load_demo(
                hub,
                orders=order_count,
                days=days,
                seed=seed,
                progress=lambda n: progress.advance(task, n),
            )

    result = _run(load)
    if result.skipped:
        click.echo(
            f"The database already holds {result.existing}; the demo loads only into an empty "
            "one. Nothing was added (use --reset to erase it and load again)."
        )
        return
    statuses = ", ".join(f"{status} {n}" for status, n in result.status_counts.items())
    holds = ", ".join(f"{reason} {n}" for reason, n in result.on_hold.items()) or "none"
    click.echo(
        f"Demo data loaded in {result.seconds:.0f} s: {len(result.channels)} channels "
        f"({', '.join(result.channels)}), {len(result.carriers)} carriers "
        f"({', '.join(result.carriers) or 'none: nothing ships'}), {result.locations} "
        f"locations, {result.items} items, {result.orders} orders over {days} days."
    )
    click.echo(f"  statuses: {statuses}")
    click.echo(f"  late: {result.late}; on hold: {holds}")
    click.echo(f"  dead letters to replay: {result.dead_inbox} inbox, {result.dead_outbox} outbox")
    state = click.get_current_context().find_object(_State)
    config = f" --config {state.config}" if state.config else ""
    base = f"http://{settings.api.host}:{settings.api.port}"
    click.echo("")
    click.echo(f"Start the server with `orderhub{config} serve`, then:")
    click.echo(f"  console  {base}/console   user {result.username}   password {result.password}")
    click.echo(f"  API      {base}/schema/swagger   Authorize with the token {result.token}")
    click.echo("The password and the token are shown once.")


# ---------------------------------------------------------------------------- console users

from orderhub.hub.console.commands import user  # noqa: E402  (registered last: it uses _run)

main.add_command(user)

# ---------------------------------------------------------------------------- channel sync

from orderhub.hub.sync.commands import sync, webhooks  # noqa: E402  (they use _run too)

main.add_command(sync)
main.add_command(webhooks)


if __name__ == "__main__":  # pragma: no cover
    main()
