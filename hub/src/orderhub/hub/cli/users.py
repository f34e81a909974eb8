"""`orderhub user ...`: console accounts from the command line, the first admin included."""

from __future__ import annotations

import sys
from typing import Any

import click

from orderhub.hub.cli.context import current_settings, run_with_hub

ROLES = ["admin", "operator", "warehouse", "read-only"]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group()
def user() -> None:
    """Console users: create (the first admin too), list, change, disable."""


@user.command("create")
@click.option("--username", required=True, help="What the person types to sign in.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--location", "locations", multiple=True, help="For warehouse users: a location code."
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
def user_create(username: str, role: str, locations: tuple[str, ...], password_stdin: bool) -> None:
    """Create a console user; the password is asked twice (or read from stdin)."""
    from orderhub.hub.console import accounts
    from orderhub.hub.store.migrate import upgrade

    password = _read_password(password_stdin)
    upgrade(current_settings().database_url)

    async def create(hub: Any) -> str:
        async with hub.transaction() as session:
            row = await accounts.create_user(
                session, username, password, role, locations=list(locations)
            )
            return row.username

    name = run_with_hub(create)
    click.echo(f"user {name!r} ({role}) created; sign in at /console/login")


@user.command("list")
def user_list() -> None:
    """Every console user with its role, locations and last sign-in."""
    from orderhub.hub.console import accounts

    async def collect(hub: Any) -> list[Any]:
        async with hub.read() as session:
            return await accounts.list_users(session)

    for row in run_with_hub(collect):
        state = "active" if row.active else "disabled"
        where = f" [{', '.join(row.locations)}]" if row.locations else ""
        last = f"{row.last_sign_in_at:%Y-%m-%d %H:%M}" if row.last_sign_in_at else "never"
        click.echo(f"{row.username}\t{row.role}{where}\t{state}\tlast sign-in {last}")


@user.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default=None)
@click.option(
    "--location", "locations", multiple=True, help="Replace a warehouse user's locations."
)
@click.option("--password", "new_password", is_flag=True, help="Set a new password (asked).")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
@click.option("--disable/--enable", "disabled", default=None, help="Stop or allow sign-in.")
def user_set(
    username: str,
    role: str | None,
    locations: tuple[str, ...],
    new_password: bool,
    password_stdin: bool,
    disabled: bool | None,
) -> None:
    """Change a user. A new password or --disable signs the user out everywhere."""
    from orderhub.hub.console import accounts
    from orderhub.hub.console.sessions import close_user_sessions

    password = _read_password(password_stdin) if new_password or password_stdin else None

    async def change(hub: Any) -> None:
        async with hub.transaction() as session:
            row = await accounts.update_user(
                session,
                username,
                role=role,
                locations=list(locations) if locations else None,
                password=password,
                active=None if disabled is None else not disabled,
            )
            if password is not None or disabled:
                await close_user_sessions(session, row.id)

    run_with_hub(change)
    click.echo(f"user {accounts.normalize_username(username)!r} updated")
