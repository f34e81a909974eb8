"""Per-channel availability: each ATP policy kind gives the number pushed, pushes are coalesced
per (connection, SKU) in the outbox and sent by the real worker with the latest number."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from arq import Worker

from orderhub.hub.stock import service as stock
from orderhub.hub.store.tables import PublishedAvailabilityRow
from orderhub.hub.sync.dispatch import dispatch_outbox
from orderhub.hub.worker import worker_settings

from .conftest import feed_plugin, order_body, outbox_rows, place, set_stock

FEEDS = ["PAR-WH", "MRS-WH"]


@pytest.fixture
def hub_config() -> dict[str, Any]:
    def feed(policy: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "connector": "feed",
            "feeds_from": extra.pop("feeds_from", FEEDS),
            "availability": {"policy": policy, **extra},
        }

    return {
        "connections": {
            "buffer": feed({"buffer": 3}),
            "share": feed({"percentage": 50, "cap": 5}),
            "threshold": feed({"zero_below": 20}),
            "grouped": feed({}, groups={"bulky": {"cap": 1}}),
            "unknown": feed({}, feeds_from=["PAR-WH", "LYO-ST"]),
            "eager": feed({"publish_when_unknown": True}, feeds_from=["PAR-WH", "LYO-ST"]),
        }
    }


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [feed_plugin()]


async def drain(hub: Any) -> None:
    """The real worker, in burst mode, until nothing is queued."""
    worker = Worker(**worker_settings(hub), burst=True, poll_delay=0.01, handle_signals=False)
    try:
        await asyncio.wait_for(worker.async_run(), timeout=120)
    finally:
        await worker.close()


def latest(pushes: dict[str, list[Any]]) -> dict[tuple[str, str], int]:
    out = {}
    for conn, updates in pushes.items():
        for update in updates:
            out[(conn, update.sku)] = update.quantity
    return out


async def published(hub: Any) -> dict[tuple[str, str], int]:
    async with hub.read() as session:
        rows = await session.execute(
            sa.select(
                PublishedAvailabilityRow.connection_id,
                PublishedAvailabilityRow.sku,
                PublishedAvailabilityRow.quantity,
            )
        )
        return {(conn, sku): qty for conn, sku, qty in rows.all()}


async def test_each_policy_kind_and_one_coalesced_push_per_connection_and_sku(
    hub, world, feed_pushes
):
    await set_stock(hub, {("TEE", "PAR-WH"): 10, ("TEE", "MRS-WH"): 6, ("LAMP", "PAR-WH"): 4})
    async with hub.transaction() as session:
        await stock.adjust(session, "TEE", "PAR-WH", -1, reason="damaged")
        await stock.set_on_hand(session, "LAMP", "MRS-WH", 0, reason="counted")
    async with hub.transaction() as session:
        await stock.adjust(session, "TEE", "MRS-WH", 2, reason="found")

    pending = [row for row in await outbox_rows(hub) if row.status == "pending"]
    keys = sorted((row.connection_id, row.coalesce_key) for row in pending)
    # Three transactions touched TEE and LAMP at both feeding locations: still one pending
    # push per (connection, SKU), and none for a location a connection is not fed by.
    assert keys == sorted(
        (conn, f"stock:{sku}")
        for conn in ("buffer", "share", "threshold", "grouped", "unknown", "eager")
        for sku in ("TEE", "LAMP")
    )
    assert {row.operation for row in pending} == {"push_stock"}
    assert all(row.payload == {"sku": row.coalesce_key.split(":")[1]} for row in pending)

    await drain(hub)

    # TEE: 9 + 8 = 17 available at PAR-WH and MRS-WH; LAMP: 4 at PAR-WH.
    assert latest(feed_pushes) == {
        ("buffer", "TEE"): 14,
        ("buffer", "LAMP"): 1,
        ("share", "TEE"): 5,  # 50 % is 8, capped at 5
        ("share", "LAMP"): 2,
        ("threshold", "TEE"): 0,  # below 20 units: nothing offered
        ("threshold", "LAMP"): 0,
        ("grouped", "TEE"): 17,
        ("grouped", "LAMP"): 1,  # LAMP is in the bulky group: cap 1
        # LYO-ST never had TEE or LAMP: "unknown" publishes nothing, "eager" what it knows.
        ("eager", "TEE"): 9,
        ("eager", "LAMP"): 4,
    }
    assert all(len(updates) == 2 for updates in feed_pushes.values())
    skipped = [row for row in await outbox_rows(hub) if row.connection_id == "unknown"]
    assert {row.status for row in skipped} == {"done"}
    assert all("stock unknown at LYO-ST" in row.result["skipped"] for row in skipped)
    assert await published(hub) == latest(feed_pushes)


async def test_reservations_push_the_latest_number_and_unchanged_numbers_are_not_resent(
    client, tokens, hub, world, feed_pushes
):
    await set_stock(hub, {("TEE", "PAR-WH"): 10, ("TEE", "MRS-WH"): 0})
    await drain(hub)
    assert latest(feed_pushes)[("buffer", "TEE")] == 7

    first = await place(client, tokens, order_body(("TEE", 2)))
    second = await place(client, tokens, order_body(("TEE", 1)))
    assert (first["status"], second["status"]) == ("allocated", "allocated")
    pending = [r for r in await outbox_rows(hub) if r.status == "pending"]
    assert sorted(r.connection_id for r in pending if r.coalesce_key == "stock:TEE") == sorted(
        ["buffer", "share", "threshold", "grouped", "unknown", "eager"]
    )
    feed_pushes.clear()
    await drain(hub)
    # One push per channel for the two orders, with the number after both.
    assert latest(feed_pushes)[("buffer", "TEE")] == 4
    assert len(feed_pushes["buffer"]) == 1
    assert feed_pushes["buffer"][0].previous_quantity == 7

    # A change that moves no channel's number (safety stock on a location none sells from)
    # queues pushes, which are then skipped as unchanged.
    feed_pushes.clear()
    async with hub.transaction() as session:
        await stock.set_on_hand(session, "TEE", "MRS-WH", 0, safety_stock=0, reason="recount")
    await drain(hub)
    assert feed_pushes == {}
    done = [r for r in await outbox_rows(hub) if r.status == "done" and r.result.get("skipped")]
    assert any("unchanged" in r.result["skipped"] for r in done)


async def test_a_push_row_is_sent_with_the_number_at_send_time(hub, world, feed_pushes):
    await set_stock(hub, {("MUG", "PAR-WH"): 3, ("MUG", "MRS-WH"): 0})
    (row,) = [
        r for r in await outbox_rows(hub) if r.connection_id == "buffer" and r.status == "pending"
    ]
    # Stock moves after the row was written and before the worker sends it.
    async with hub.transaction() as session:
        await stock.adjust(session, "MUG", "PAR-WH", 5, reason="received")
    assert await dispatch_outbox({"hub": hub}, row.id, 0) == "done"
    assert latest(feed_pushes)[("buffer", "MUG")] == 5  # 8 - buffer 3, not 3 - 3
