"""Losing Redis or a worker loses nothing: the sweeper finds what the database says is owed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from redis.asyncio import Redis

from orderhub.core.connectors import CancellationNotice
from orderhub.hub.store.tables import InboxRow, OutboxRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.sync import outbox
from orderhub.hub.sync.sweeper import sweep_once
from orderhub.hub.testing import auth

from .conftest import (
    CONNECTION,
    drain,
    history_actions,
    inbox_rows,
    order_payload,
    order_rows,
    outbox_rows,
    post_event,
)


async def flush_redis(hub) -> None:
    client = Redis.from_url(hub.settings.redis_url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


async def leave_in_processing(hub, table, row_id: int, *, attempts: int, ago: float) -> None:
    """What a worker killed mid-job leaves behind: a claimed row and no job in Redis."""
    async with hub.transaction() as session:
        await session.execute(
            sa.update(table)
            .where(table.id == row_id)
            .values(
                status="processing",
                attempts=attempts,
                claimed_at=utcnow() - timedelta(seconds=ago),
            )
        )


async def test_events_accepted_before_redis_was_flushed_are_all_processed(client, hub, catalog):
    for number in range(1, 7):
        response = await post_event(
            client,
            order_payload(str(6000 + number)),
            event_id=f"evt-{number}",
            topic="orders/create",
        )
        assert response.json()["status"] == "accepted"
    await flush_redis(hub)

    await drain(hub)  # a fresh worker: its first sweep finds the six rows

    assert sorted(order.external_id for order in await order_rows(hub)) == [
        str(6000 + number) for number in range(1, 7)
    ]
    assert [row.status for row in await inbox_rows(hub)] == ["done"] * 6


async def test_outbox_rows_written_before_redis_was_flushed_are_sent(hub):
    shop = hub.connector(CONNECTION)
    async with hub.transaction() as session:
        for index in range(4):
            await outbox.enqueue(
                session,
                connection_id=CONNECTION,
                operation="push_cancellation",
                payload={"order_external_id": str(index)},
                idempotency_key=f"cancel:{index}",
            )
    await flush_redis(hub)

    await drain(hub)

    assert sorted(notice.order_external_id for _, notice in shop.calls) == ["0", "1", "2", "3"]
    assert [row.status for row in await outbox_rows(hub)] == ["done"] * 4


async def test_a_killed_workers_inbox_row_is_recovered_by_the_sweeper(client, hub, catalog):
    response = await post_event(client, order_payload(), event_id="e1", topic="orders/create")
    inbox_id = response.json()["inbox_id"]
    stale = hub.settings.worker.stale_after_seconds
    await leave_in_processing(hub, InboxRow, inbox_id, attempts=1, ago=stale + 5)
    await flush_redis(hub)

    await drain(hub)

    (row,) = await inbox_rows(hub)
    assert (row.status, row.attempts) == ("done", 2)
    assert len(await order_rows(hub)) == 1


async def test_a_recent_claim_is_left_to_its_worker(client, hub, catalog):
    response = await post_event(client, order_payload(), event_id="e1", topic="orders/create")
    inbox_id = response.json()["inbox_id"]
    await leave_in_processing(hub, InboxRow, inbox_id, attempts=1, ago=1)
    await flush_redis(hub)

    report = await sweep_once(hub)

    assert report.inbox_queued == 0
    (row,) = await inbox_rows(hub)
    assert row.status == "processing"


async def test_a_stale_processing_outbox_row_is_swept_and_completed(hub):
    shop = hub.connector(CONNECTION)
    async with hub.transaction() as session:
        row_id = await outbox.enqueue(
            session,
            connection_id=CONNECTION,
            operation="push_cancellation",
            payload={"order_external_id": "5001"},
            idempotency_key="cancel:5001",
        )
    stale = hub.settings.worker.stale_after_seconds
    await leave_in_processing(hub, OutboxRow, row_id, attempts=1, ago=stale + 5)
    await flush_redis(hub)

    await drain(hub)

    (row,) = await outbox_rows(hub)
    assert (row.status, row.attempts) == ("done", 2)
    assert shop.calls == [("push_cancellation", CancellationNotice(order_external_id="5001"))]


async def test_a_row_whose_worker_died_on_the_last_attempt_is_dead(hub):
    async with hub.transaction() as session:
        row_id = await outbox.enqueue(
            session,
            connection_id=CONNECTION,
            operation="push_cancellation",
            payload={"order_external_id": "5001"},
            idempotency_key="cancel:5001",
        )
    config = hub.settings.worker
    await leave_in_processing(
        hub, OutboxRow, row_id, attempts=config.max_attempts, ago=config.stale_after_seconds + 5
    )

    report = await sweep_once(hub)

    assert report.dead == 1
    (row,) = await outbox_rows(hub)
    assert row.status == "dead"
    assert row.last_error == "the worker stopped during attempt 3, the last allowed"
    assert hub.connector(CONNECTION).calls == []


async def test_inbox_replay_processes_a_dead_event_again(client, hub, tokens, catalog):
    refund = {"id": "rf-1", "order_id": "5001", "amount": "5.00", "currency": "EUR"}
    response = await post_event(client, refund, event_id="e-refund", topic="refunds/create")
    inbox_id = response.json()["inbox_id"]
    await drain(hub)  # the order never came: retried, then dead
    (row,) = await inbox_rows(hub)
    assert (row.status, row.attempts) == ("dead", hub.settings.worker.max_attempts)
    assert "no order '5001'" in row.last_error

    await post_event(client, order_payload(), event_id="e-order", topic="orders/create")
    await drain(hub)
    replayed = await client.post(f"/inbox/{inbox_id}/replay", headers=auth(tokens["operator"]))
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("pending", 0)
    await drain(hub)

    refund_row = next(r for r in await inbox_rows(hub) if r.id == inbox_id)
    assert (refund_row.status, refund_row.attempts, refund_row.last_error) == ("done", 1, None)
    (order,) = await order_rows(hub)
    assert "refund_observed" in await history_actions(hub, order.id)


async def test_inbox_replay_of_a_pending_event_or_an_unknown_id_is_refused(client, hub, tokens):
    response = await post_event(client, order_payload(), event_id="e1", topic="orders/create")
    inbox_id = response.json()["inbox_id"]
    headers = auth(tokens["operator"])

    pending = await client.post(f"/inbox/{inbox_id}/replay", headers=headers)
    unknown = await client.post("/inbox/424242/replay", headers=headers)
    warehouse = await client.post(f"/inbox/{inbox_id}/replay", headers=auth(tokens["warehouse"]))

    assert pending.status_code == 409
    assert pending.json()["error"]["code"] == "not_replayable"
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_inbox_event"
    assert warehouse.status_code == 403
