"""The `orderhub` command: serve, work, migrate, look at plugins and connections, manage
tokens, import and export spreadsheets, load demo data.

Configuration comes from `--config`, $ORDERHUB_CONFIG, ./orderhub.toml or the defaults. A
configuration or plugin problem prints the failing key and exits with 2; a command that did
part of its work but not all (an import with bad rows) exits with 1.
"""

from __future__ import annotations

from typing import Any

import click
import sqlalchemy as sa

from orderhub.core.plugins import PluginError
from orderhub.hub.channels.spreadsheet.reading import SheetError
from orderhub.hub.cli.context import EXIT_PARTIAL, EXIT_USAGE, State, fail
from orderhub.hub.cli.demo import demo
from orderhub.hub.cli.inspecting import connections, plugins
from orderhub.hub.cli.running import migrate, serve, worker
from orderhub.hub.cli.spreadsheets import export, import_
from orderhub.hub.cli.sync import sync, webhooks
from orderhub.hub.cli.tokens import token
from orderhub.hub.cli.users import user
from orderhub.hub.config import ConfigError
from orderhub.hub.errors import HubError


class _Main(click.Group):
    """Turns the errors users cause into one line and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, PluginError, SheetError) as exc:
            fail(str(exc), EXIT_USAGE)
        except HubError as exc:
            fail(exc.message, EXIT_PARTIAL)
        except sa.exc.DBAPIError as exc:
            fail(
                f"database error: {exc.orig}. Is the database reachable and migrated "
                "(`orderhub migrate`)?",
                EXIT_PARTIAL,
            )


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
    ctx.obj = State(config)


for command in (
    serve,
    worker,
    migrate,
    plugins,
    connections,
    token,
    import_,
    export,
    demo,
    user,
    sync,
    webhooks,
):
    main.add_command(command)
