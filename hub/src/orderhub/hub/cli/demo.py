"""`orderhub demo`: sample channels, locations, stock and orders to look around in."""

from __future__ import annotations

from typing import Any

import click

from orderhub.hub.cli.context import console, current_settings, current_state, redact, run_with_hub


@click.command()
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

    settings = current_settings()
    if order_count < 1 or days < 1:
        raise click.BadParameter("--orders and --days must be at least 1")
    if reset and not yes:
        click.confirm(
            f"Erase every order, item, location, token and event in "
            f"{redact(settings.database_url)}?",
            abort=True,
        )
    upgrade(settings.database_url)

    async def load(hub: Any) -> Any:
        from rich.progress import Progress

        if reset:
            await demo_data.erase_everything(hub)
        with Progress(console=console(stderr=True), transient=True) as progress:
            task = progress.add_task("creating orders", total=order_count)
            return await demo_data.load_demo(
                hub,
                orders=order_count,
                days=days,
                seed=seed,
                progress=lambda n: progress.advance(task, n),
            )

    result = run_with_hub(load)
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
    state = current_state()
    config = f" --config {state.config}" if state.config else ""
    base = f"http://{settings.api.host}:{settings.api.port}"
    click.echo("")
    click.echo(f"Start the server with `orderhub{config} serve`, then:")
    click.echo(f"  console  {base}/console   user {result.username}   password {result.password}")
    click.echo(f"  API      {base}/schema/swagger   Authorize with the token {result.token}")
    click.echo("The password and the token are shown once.")
