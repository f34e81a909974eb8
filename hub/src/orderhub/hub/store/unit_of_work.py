"""One unit of work per transaction: the session plus what must happen once it commits.

A service changes rows through the session and notes, on the same object, what the commit
means for the world outside the transaction:

- `emit(event)`: a notification for the plugins (`orderhub.core.events`);
- `touch(item_id, location_id)`: a stock row whose availability the channels may need;
- `queue_dispatch(outbox_id, attempts)`: an outbox row the worker should send.

`savepoint()` wraps `begin_nested()` and takes all three notes back when the savepoint rolls
back, so a refused attempt announces nothing it did not keep. `Transactions.begin()` runs
the before-commit hooks (which may still write, e.g. availability pushes for the touched
rows), commits, then hands a `Committed` record to the after-commit hooks. The hooks are
registered where the app and the worker are built (`orderhub.hub.assembly`), so nothing in
the store knows about the business areas that use it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

StockRow = tuple[int, int]
"""(item id, location id) of a stock level."""


class Committed(msgspec.Struct, kw_only=True, frozen=True):
    """What a committed transaction noted for the world outside it."""

    events: tuple[Any, ...] = ()
    touched: frozenset[StockRow] = frozenset()
    dispatches: tuple[tuple[int, int], ...] = ()
    """(outbox row id, attempts), in row order."""


class UnitOfWork(AsyncSession):
    """An `AsyncSession` that also collects events, touched stock rows and outbox rows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events: list[Any] = []
        self.touched: set[StockRow] = set()
        self.dispatches: dict[int, int] = {}

    def emit(self, event: Any) -> None:
        """Tell the plugins about `event` once (and only if) this transaction commits."""
        self.events.append(event)

    def touch(self, item_id: int, location_id: int) -> None:
        """Note a stock row whose on hand, reserved or safety stock this transaction changed."""
        self.touched.add((item_id, location_id))

    def queue_dispatch(self, outbox_id: int, attempts: int = 0) -> None:
        """Have the worker send outbox row `outbox_id` after the commit."""
        self.dispatches[outbox_id] = attempts

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[UnitOfWork]:
        """A nested transaction whose notes are rewound with it when it rolls back."""
        events, touched, dispatches = len(self.events), set(self.touched), dict(self.dispatches)
        try:
            async with self.begin_nested():
                yield self
        except BaseException:
            del self.events[events:]
            self.touched = touched
            self.dispatches = dispatches
            raise

    def forget(self) -> None:
        """Drop every note: the transaction was rolled back (a dry run)."""
        self.events.clear()
        self.touched.clear()
        self.dispatches.clear()

    def take_committed(self) -> Committed:
        committed = Committed(
            events=tuple(self.events),
            touched=frozenset(self.touched),
            dispatches=tuple(sorted(self.dispatches.items())),
        )
        self.forget()
        return committed


BeforeCommit = Callable[[UnitOfWork], Awaitable[None]]
AfterCommit = Callable[[Committed], Awaitable[None]]


def unit_of_work_factory(engine: AsyncEngine) -> async_sessionmaker[UnitOfWork]:
    return async_sessionmaker(engine, class_=UnitOfWork, expire_on_commit=False)


class Transactions:
    """Opens units of work and runs the hooks around their commit."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = unit_of_work_factory(engine)
        self._before: list[BeforeCommit] = []
        self._after: list[AfterCommit] = []

    def before_commit(self, hook: BeforeCommit) -> None:
        """Run `hook` inside every transaction, after its work and before its commit."""
        self._before.append(hook)

    def after_commit(self, hook: AfterCommit) -> None:
        """Run `hook` after every commit that noted something; a failing hook is logged."""
        self._after.append(hook)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[UnitOfWork]:
        """One unit of work: committed on success, rolled back (and forgotten) on error."""
        async with self.sessions() as session:
            async with session.begin():
                yield session
                for before in self._before:
                    await before(session)
            committed = session.take_committed()
        if committed.events or committed.dispatches or committed.touched:
            for after in self._after:
                try:
                    await after(committed)
                except Exception:
                    log.exception("after-commit hook %r failed", after)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        """A session for reading; nothing it notes is acted on."""
        async with self.sessions() as session:
            yield session
