"""`orderhub plugins`, `connections`: what is installed and configured."""

from __future__ import annotations

from typing import Any

import click
import msgspec

from orderhub.hub.cli.context import console, current_settings, print_json, run_with_hub


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins(as_json: bool) -> None:
    """Installed plugins: distribution, version, enabled or blocked, connectors."""
    from rich.table import Table

    from orderhub.hub.runtime import load_plugins

    info = load_plugins(current_settings()).info()
    if as_json:
        print_json(info)
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
    console().print(table)


class ConnectionInfo(msgspec.Struct, kw_only=True):
    id: str
    connector: str
    kind: str
    enabled: bool
    title: str | None
    capabilities: list[str]


@click.command()
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

    found = run_with_hub(collect)
    if as_json:
        print_json(found)
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
    console().print(table)
