"""Group commit for `POST /orders`: the requests that arrive together share one transaction.

Each request's order is checked, routed and reserved in its own request — the caller gets
the order as stored, with its status, allocations and promise — but not in its own
transaction. While one batch is being written, the requests that arrive queue up; the next
batch takes them all (up to `max_batch`). A batch is one transaction
(`manual.create_manual_orders`): the hot stock rows are locked once, the reservations of all
its orders are taken in one statement, and one durable commit acknowledges them all. Under
load that is what makes intake fast; alone, a request is a batch of one and waits for
nothing.

An order that is bad input or a duplicate gets its error and the others go on. When the
batch's transaction itself fails (a database error, a race on a unique key with another
process), its orders are tried again one by one, each in its own transaction, so the
failure reaches only the order that causes it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from litestar.di import NamedDependency

from orderhub.core.model import Order
from orderhub.hub.orders.manual import ManualRequest, create_manual_orders

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

log = logging.getLogger(__name__)

MAX_BATCH = 64
"""Orders per transaction at most: enough to share the commit, few enough that one batch's
lock window on the hot rows stays short."""

_Waiting = tuple[ManualRequest, "asyncio.Future[Order]"]


class OrderIntake:
    """One per API process; `submit` is what `POST /orders` awaits."""

    def __init__(self, hub: Hub, *, max_batch: int = MAX_BATCH) -> None:
        self.hub = hub
        self.max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._runner: asyncio.Task[None] | None = None
        self.batches = 0
        """Transactions written so far (batches and retries alone)."""

    async def submit(self, request: ManualRequest) -> Order:
        """The order as stored once its batch has committed, or the error that kept it out."""
        future: asyncio.Future[Order] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="orderhub-order-intake")
        return await future

    async def aclose(self) -> None:
        """Write what is waiting, then stop."""
        if self._runner is not None:
            await self._runner
            self._runner = None

    async def _run(self) -> None:
        """Write batches until nobody waits. The next `submit` starts a new run: there is no
        await between the last look at the queue and the end of the task."""
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            await self._write(batch)

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            self.batches += 1
            async with self.hub.transaction() as session:
                results = await create_manual_orders(
                    self.hub, session, [request for request, _ in batch]
                )
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            log.warning("a batch of %d orders failed (%r): each is tried alone", len(batch), exc)
            for waiting in batch:
                await self._write([waiting])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result)


def _settle(future: asyncio.Future[Order], result: Order | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


OrderIntakeDep = NamedDependency[OrderIntake]
"""The app's `OrderIntake`: `async def handler(order_intake: OrderIntakeDep) -> ...`."""
