"""Notifications to plugins, sent only after the change that caused them committed.

Services call `session.emit(event)` on their unit of work; `broadcast` is registered as an
after-commit hook (`orderhub.hub.assembly`), so a rolled-back transaction tells nobody.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable
from typing import Any

from orderhub.core.events import OrderChanged, ShipmentChanged, StockChanged

log = logging.getLogger(__name__)

HOOKS: dict[type, str] = {
    OrderChanged: "orderhub_order_changed",
    StockChanged: "orderhub_stock_changed",
    ShipmentChanged: "orderhub_shipment_changed",
}
"""The hook that hears each kind of event."""


async def broadcast(hook: Any, events: Iterable[Any]) -> None:
    """Call each event's hook; a failing plugin is logged and never undoes the change."""
    for event in events:
        caller = getattr(hook, HOOKS[type(event)])
        try:
            results = caller(event=event)
            for result in results:
                if inspect.isawaitable(result):
                    await result
        except Exception:
            log.exception("plugin hook %s failed for %r", HOOKS[type(event)], event)
