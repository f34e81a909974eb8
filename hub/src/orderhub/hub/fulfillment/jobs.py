"""The worker's fulfillment cron jobs: releasing groups that became due, polling carriers.

`release_fulfillments` runs every `[fulfillment.release].check_every_seconds`: it plans
what orders newly reserved and releases each planned group whose rule says so (at once, once
paid, or at its wave time), one order per transaction. `poll_tracking` runs every
`[fulfillment.tracking].run_every_minutes` and asks carriers about shipments in transit
(`tracking.poll_once`).
"""

from __future__ import annotations

import logging
from typing import Any

from orderhub.core.model import Actor, ActorKind
from orderhub.hub.fulfillment.release import orders_to_consider, release_due
from orderhub.hub.fulfillment.tracking import poll_once
from orderhub.hub.runtime import Hub

log = logging.getLogger(__name__)

RELEASE = Actor(kind=ActorKind.SYSTEM, name="release")
BATCH = 500
"""Orders looked at per run; the next run takes the rest."""


async def release_once(hub: Hub, *, batch: int = BATCH) -> list[str]:
    """Release what is due now; returns the ids of the groups released."""
    async with hub.read() as session:
        order_ids = await orders_to_consider(session, limit=batch)
    released: list[str] = []
    for order_id in order_ids:
        try:
            async with hub.transaction() as session:
                released += await release_due(session, hub, order_id, actor=RELEASE)
        except Exception:  # one broken order must not stop the others
            log.exception("releasing order %s failed", order_id)
    if released:
        log.info("released %d fulfillment group(s)", len(released))
    return released


async def release_fulfillments(ctx: dict[str, Any]) -> int:
    """arq cron job."""
    return len(await release_once(ctx["hub"]))


async def poll_tracking(ctx: dict[str, Any]) -> dict[str, int]:
    """arq cron job."""
    return await poll_once(ctx["hub"])
