"""`orderhub serve`, `worker`, `migrate`: running the hub."""

from __future__ import annotations

import logging

import click

from orderhub.hub.cli.context import current_settings, redact


@click.command()
@click.option("--host", default=None, help="Interface to listen on (default: api.host).")
@click.option("--port", type=int, default=None, help="Port (default: api.port).")
@click.option("--no-worker", is_flag=True, help="Serve the API only; run `orderhub worker` apart.")
def serve(host: str | None, port: int | None, no_worker: bool) -> None:
    """Migrate the database, then serve the API with a worker in the same process."""
    import uvicorn

    from orderhub.hub.app import create_app
    from orderhub.hub.assembly import open_hub
    from orderhub.hub.store.migrate import upgrade

    settings = current_settings()
    _log_to_stderr()
    upgrade(settings.database_url)
    app = create_app(hub=open_hub(settings), run_worker=not no_worker)
    uvicorn.run(app, host=host or settings.api.host, port=port or settings.api.port)


@click.command()
def worker() -> None:
    """Run a worker: inbound events, outbound calls, the sweeper. Stop with Ctrl-C."""
    from orderhub.hub.worker import run_worker

    settings = current_settings()
    _log_to_stderr()
    logging.getLogger("orderhub.hub.cli").info(
        "worker on queue %r at %s", settings.worker.queue_name, redact(settings.redis_url)
    )
    run_worker(settings)


def _log_to_stderr() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@click.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run at every start)."""
    from orderhub.hub.store.migrate import upgrade

    settings = current_settings()
    upgrade(settings.database_url)
    click.echo(f"database {redact(settings.database_url)} is up to date")
