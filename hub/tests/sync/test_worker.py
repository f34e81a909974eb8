"""The worker as it runs for real: embedded in the API's event loop, and as its own process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

from orderhub.hub.sync.inbox import store
from orderhub.hub.worker import start_embedded_worker, sweep_schedule, worker_settings

from .conftest import inbox_rows, order_payload, order_rows, post_event


async def wait_for(predicate, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_embedded_worker_processes_webhooks_in_the_servers_loop(client, hub, catalog):
    worker = await start_embedded_worker(hub)
    try:
        response = await post_event(client, order_payload(), event_id="e1", topic="orders/create")
        assert response.status_code == 200

        async def processed() -> bool:
            return [row.status for row in await inbox_rows(hub)] == ["done"]

        await wait_for(processed)
    finally:
        await worker.close()
    assert worker.task.done()
    assert len(await order_rows(hub)) == 1


async def test_run_worker_is_a_process_that_sweeps_and_stops_on_sigterm(hub, tmp_path):
    # A row no job was ever queued for; `manual` takes no webhooks, so it ends dead.
    async with hub.transaction() as session:
        await store(
            session,
            connection_id="manual",
            event_id="e1",
            topic="orders/create",
            headers={},
            body=b"{}",
        )
    config = tmp_path / "orderhub.toml"
    config.write_text(
        f'database_url = "{hub.settings.database_url}"\n'
        f'redis_url = "{hub.settings.redis_url}"\n'
        "[plugins]\n"
        'allow = ["manual", "spreadsheet"]\n'
        "[worker]\n"
        f'queue_name = "{hub.settings.worker.queue_name}"\n'
    )
    code = (
        "from orderhub.hub.config import load_settings\n"
        "from orderhub.hub.worker import run_worker\n"
        f"run_worker(load_settings({str(config)!r}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERHUB_")}
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code, env=env)
    try:

        async def dead() -> bool:
            return [row.status for row in await inbox_rows(hub)] == ["dead"]

        await wait_for(dead)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 120) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    (row,) = await inbox_rows(hub)
    assert "'manual'" in row.last_error and "receive webhooks" in row.last_error


def test_sweep_schedule_fires_about_every_interval():
    assert sweep_schedule(30) == {"second": {0, 30}}
    assert sweep_schedule(15) == {"second": {0, 15, 30, 45}}
    assert sweep_schedule(300) == {"minute": set(range(0, 60, 5)), "second": 0}
    assert sweep_schedule(7200) == {"minute": 0, "second": 0}
    assert sweep_schedule(0) == {"second": set(range(60))}


async def test_worker_settings_keep_no_results_so_job_ids_can_be_queued_again(hub):
    options = worker_settings(hub)

    assert options["keep_result"] == 0
    assert options["queue_name"] == hub.settings.worker.queue_name
    assert options["max_jobs"] == hub.settings.worker.max_jobs
    names = {f.name for f in options["functions"]}
    assert {"dispatch_outbox", "process_inbox", "pull_orders"} <= names
    crons = {job.name: job for job in options["cron_jobs"]}
    sweeper = crons["sweep"]
    assert "poll_connections" in crons
    assert sweeper.name == "sweep" and sweeper.run_at_startup
    ctx: dict = {}
    await options["on_startup"](ctx)
    assert ctx["hub"] is hub
