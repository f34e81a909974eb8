"""Where a hub is put together: the business areas' commit hooks wired into its transactions.

`runtime.Hub` knows the store, the plugins and the queue but no business area; this module is
the one place that knows both, so the app, the worker, the CLI, the tests and the benchmarks
all get a hub whose transactions do the same things after they commit.
"""

from __future__ import annotations

from orderhub.core.plugins import PluginManager
from orderhub.hub.allocation import availability
from orderhub.hub.allocation.policy import build_policies
from orderhub.hub.config import Settings
from orderhub.hub.plugins import notifications
from orderhub.hub.runtime import Hub, load_plugins
from orderhub.hub.store.unit_of_work import Committed, UnitOfWork
from orderhub.hub.sync import outbox


def open_hub(settings: Settings, *, plugins: PluginManager | None = None) -> Hub:
    """A hub for `settings` with every commit hook wired (no I/O yet)."""
    plugins = plugins or load_plugins(settings)
    hub = Hub.open(settings, plugins=plugins, policies=build_policies(settings, plugins))
    wire(hub)
    return hub


def wire(hub: Hub) -> None:
    """Register what every transaction does around its commit.

    Before: the stock rows it touched become coalesced availability pushes in the outbox.
    After: plugins hear its events, and the worker is asked to send its outbox rows.
    """
    names = availability.Names()

    async def queue_availability_pushes(session: UnitOfWork) -> None:
        await availability.queue_pushes(
            session, targets=availability.push_targets(hub), names=names
        )

    async def tell_plugins(committed: Committed) -> None:
        if committed.events:
            await notifications.broadcast(hub.plugins.hook, committed.events)

    async def send_outbox(committed: Committed) -> None:
        for outbox_id, attempts in committed.dispatches:
            await hub.enqueue(
                "dispatch_outbox", outbox_id, attempts, job_id=outbox.job_id(outbox_id, attempts)
            )

    hub.transactions.before_commit(queue_availability_pushes)
    hub.transactions.after_commit(tell_plugins)
    hub.transactions.after_commit(send_outbox)
