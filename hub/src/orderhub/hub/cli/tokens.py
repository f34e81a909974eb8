"""`orderhub token create|list|revoke`: API tokens."""

from __future__ import annotations

from typing import Any

import click

from orderhub.hub.cli.context import console, print_json, run_with_hub


@click.group()
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

    secret = run_with_hub(create)
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

    rows = run_with_hub(collect)
    if as_json:
        print_json(rows)
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
    console().print(table)


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

    run_with_hub(revoke)
    click.echo(f"token {name!r} revoked")
