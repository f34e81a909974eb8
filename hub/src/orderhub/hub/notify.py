"""Notifications to plugins, sent only after the change that caused them committed.

Services call `emit(session, event)` inside their transaction; `Hub.transaction()` hands the
collected events to the plugin hooks once the commit succeeded, and drops them on rollback.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.events import OrderChanged, ShipmentChanged, StockChanged

log = logging.getLogger(__name__)

_KEY = "orderhub.notifications"

_HOOKS: dict[type, str] = {
    OrderChanged: "orderhub_order_changed",
    StockChanged: "orderhub_stock_changed",
    ShipmentChanged: "orderhub_shipment_changed",
}


def emit(session: AsyncSession, event: OrderChanged | StockChanged | ShipmentChanged) -> None:
    session.info.setdefault(_KEY, []).append(event)


def position(session: AsyncSession) -> int:
    """How many events the transaction has emitted so far (see `rewind`)."""
    return len(session.info.get(_KEY, []))


def rewind(session: AsyncSession, to: int) -> None:
    """Forget the events emitted since `position` returned `to`: a savepoint that was rolled
    back must not announce what it wrote."""
    del session.info.get(_KEY, [])[to:]


def drain(session: AsyncSession) -> list[Any]:
    return session.info.pop(_KEY, [])


async def broadcast(hook: Any, events: list[Any]) -> None:
    """Call each event's hook; a failing plugin is logged and never undoes the change."""
    for event in events:
        caller = getattr(hook, _HOOKS[type(event)])
        try:
            results = caller(event=event)
            for result in results:
                if inspect.isawaitable(result):
                    await result
        except Exception:
            log.exception("plugin hook %s failed for %r", _HOOKS[type(event)], event)
