"""The arq worker: processes the inbox, dispatches the outbox, sweeps what Redis lost.

Run it on its own (`orderhub worker`, `run_worker`) or inside the API server's event loop
(`start_embedded_worker`, what `orderhub serve` does for a one-process install).

Job results are not kept (`keep_result=0`): the database holds every outcome, and a kept
result would make arq refuse to queue the same job id again, which the sweeper needs to do
after Redis lost a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from arq import Worker, cron
from arq.connections import RedisSettings
from arq.worker import func

from orderhub.hub.assembly import open_hub
from orderhub.hub.config import Settings
from orderhub.hub.fulfillment.jobs import poll_tracking, release_fulfillments
from orderhub.hub.runtime import Hub
from orderhub.hub.sync.dispatch import dispatch_outbox
from orderhub.hub.sync.inbox import process_inbox
from orderhub.hub.sync.polling import poll_connections, pull_orders_job
from orderhub.hub.sync.sweeper import sweep

log = logging.getLogger(__name__)

JOB_TIMEOUT_SECONDS = 120
"""A job running longer is cancelled; its row goes back to pending."""


def sweep_schedule(interval_seconds: int) -> dict[str, Any]:
    """arq cron fields that fire about every `interval_seconds` (cron is wall-clock based:
    an interval that does not divide a minute or an hour is rounded to one that does)."""
    interval = max(1, interval_seconds)
    if interval < 60:
        return {"second": set(range(0, 60, interval))}
    minutes = interval // 60
    if minutes < 60:
        return {"minute": set(range(0, 60, minutes)), "second": 0}
    return {"minute": 0, "second": 0}


def worker_settings(hub: Hub) -> dict[str, Any]:
    """Keyword arguments for `arq.Worker`, bound to a hub the jobs find in `ctx["hub"]`."""
    config = hub.settings.worker

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["hub"] = hub

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        # The hub belongs to whoever opened it (run_worker, or the API's lifespan).
        ctx.pop("hub", None)

    return {
        "functions": [
            func(process_inbox, name="process_inbox", max_tries=3),
            func(dispatch_outbox, name="dispatch_outbox", max_tries=3),
            func(pull_orders_job, name="pull_orders", max_tries=3),
        ],
        "cron_jobs": [
            cron(
                sweep,
                name="sweep",
                run_at_startup=True,
                unique=True,
                timeout=JOB_TIMEOUT_SECONDS,
                **sweep_schedule(config.sweep_interval_seconds),
            ),
            *(
                [
                    cron(
                        poll_connections,
                        name="poll_connections",
                        unique=True,
                        timeout=JOB_TIMEOUT_SECONDS,
                        **sweep_schedule(config.pull_interval_seconds),
                    )
                ]
                if config.pull_interval_seconds > 0
                else []
            ),
            cron(
                release_fulfillments,
                name="release_fulfillments",
                unique=True,
                timeout=JOB_TIMEOUT_SECONDS,
                **sweep_schedule(hub.settings.fulfillment.release.check_every_seconds),
            ),
            cron(
                poll_tracking,
                name="poll_tracking",
                unique=True,
                timeout=JOB_TIMEOUT_SECONDS,
                **sweep_schedule(hub.settings.fulfillment.tracking.run_every_minutes * 60),
            ),
        ],
        "queue_name": config.queue_name,
        "redis_settings": RedisSettings.from_dsn(hub.settings.redis_url),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "max_jobs": config.max_jobs,
        "job_timeout": JOB_TIMEOUT_SECONDS,
        "keep_result": 0,
    }


def run_worker(settings: Settings) -> None:
    """Run a worker until SIGINT/SIGTERM (the `orderhub worker` command)."""

    async def main() -> None:
        hub = open_hub(settings)
        worker = Worker(**worker_settings(hub))
        try:
            await worker.async_run()
        except asyncio.CancelledError:
            log.info("worker stopping")
        finally:
            await worker.close()
            await hub.aclose()

    asyncio.run(main())


class EmbeddedWorker:
    """A worker running as a task in the current event loop; `close()` stops it."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.task = asyncio.create_task(worker.async_run(), name="orderhub-worker")

    async def close(self) -> None:
        """Stop polling, cancel running jobs (each gives its row back), close Redis."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        try:
            await self.worker.close()
        except asyncio.CancelledError:
            log.warning("a job did not stop cleanly; the sweeper will pick its row up")


async def start_embedded_worker(hub: Hub) -> EmbeddedWorker:
    """Start a worker in the running loop (the API server's), sharing its hub."""
    return EmbeddedWorker(Worker(**worker_settings(hub), handle_signals=False))
