"""`orderhub sync CONN` and `orderhub webhooks register CONN`: pulling a channel's orders now
and subscribing to its webhooks, from the command line."""

from __future__ import annotations

from typing import Any

import click

from orderhub.hub.cli.context import EXIT_PARTIAL, run_with_hub


@click.command()
@click.argument("connection")
@click.option(
    "--restart", is_flag=True, help="Forget the stored cursor: import the whole lookback again."
)
@click.option(
    "--pages",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many pages (default: until the provider has no more).",
)
def sync(connection: str, restart: bool, pages: int | None) -> None:
    """Pull CONNECTION's orders now, in this process, from where the last pull stopped.

    Every page is merged like a webhook (new orders accepted, newer snapshots applied,
    older ones ignored) and its cursor stored, so an interrupted run resumes. Exits with 1
    when the provider stopped the pull.
    """
    from orderhub.hub.sync.polling import pull_orders

    async def call(hub: Any) -> Any:
        return await pull_orders(hub, connection, restart=restart, max_pages=pages)

    report = run_with_hub(call)
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo(
        f"{connection}: {report.pages} page(s), {report.orders} order snapshot(s), "
        f"{report.changes} change(s) merged"
        + ("; more pages wait, run it again" if report.more else "")
    )
    if report.stopped:
        click.echo(f"stopped: {report.stopped}", err=True)
        raise click.exceptions.Exit(EXIT_PARTIAL)


@click.group()
def webhooks() -> None:
    """A connection's webhook subscriptions at its provider."""


@webhooks.command("register")
@click.argument("connection")
@click.option(
    "--url",
    default=None,
    help="Where the provider delivers (default: <api.public_url>/webhooks/CONNECTION).",
)
def webhooks_register(connection: str, url: str | None) -> None:
    """Subscribe CONNECTION's provider to every webhook OrderHub reads (existing ones kept)."""
    from orderhub.hub.sync.subscriptions import register_webhooks

    async def call(hub: Any) -> Any:
        return await register_webhooks(hub, connection, url)

    registration = run_with_hub(call)
    for subscription in registration.subscriptions:
        click.echo(subscription.id)
    click.echo(
        f"{connection}: {len(registration.subscriptions)} subscription(s) deliver to "
        f"{registration.url}",
        err=True,
    )
    if registration.revocation_cleared:
        click.echo(f"{connection}: access works again; the revocation is cleared", err=True)
