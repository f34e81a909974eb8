"""The outbox: writing with idempotency and coalescing keys, dispatching through the connector
with retries, dead-lettering, and replay; on SQLite and PostgreSQL with a real worker."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import sqlalchemy as sa

from orderhub.core.connectors import (
    CancellationNotice,
    PermanentError,
    StockUpdate,
    TransientError,
)
from orderhub.hub.store.tables import ConnectionStateRow, OutboxRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.sync import outbox
from orderhub.hub.sync.dispatch import dispatch_outbox
from orderhub.hub.testing import auth

from .conftest import CONNECTION, drain, outbox_rows, rows


def cancellation(external_id: str = "5001") -> dict:
    return msgspec.to_builtins(CancellationNotice(order_external_id=external_id, reason="fraud"))


def stock(sku: str, quantity: int) -> dict:
    return msgspec.to_builtins(
        StockUpdate(sku=sku, quantity=quantity, idempotency_key=f"stock:{sku}:{quantity}")
    )


async def write(hub, operation: str, payload: dict, key: str, coalesce: str | None = None):
    async with hub.transaction() as session:
        return await outbox.enqueue(
            session,
            connection_id=CONNECTION,
            operation=operation,
            payload=payload,
            idempotency_key=key,
            coalesce_key=coalesce,
        )


async def connection_state(hub) -> ConnectionStateRow | None:
    found = await rows(hub, ConnectionStateRow, ConnectionStateRow.connection_id == CONNECTION)
    return found[0] if found else None


async def test_a_committed_row_is_dispatched_with_its_typed_payload(hub):
    shop = hub.connector(CONNECTION)
    row_id = await write(hub, "push_cancellation", cancellation(), "cancel:ord_1")

    await drain(hub)

    (row,) = await outbox_rows(hub)
    assert (row.id, row.status, row.attempts, row.last_error) == (row_id, "done", 1, None)
    assert shop.calls == [
        ("push_cancellation", CancellationNotice(order_external_id="5001", reason="fraud"))
    ]
    state = await connection_state(hub)
    assert state.last_success_at is not None and state.last_failure_at is None


async def test_a_rolled_back_write_is_never_sent(hub):
    shop = hub.connector(CONNECTION)
    try:
        async with hub.transaction() as session:
            await outbox.enqueue(
                session,
                connection_id=CONNECTION,
                operation="push_cancellation",
                payload=cancellation(),
                idempotency_key="cancel:ord_1",
            )
            raise RuntimeError("the deciding change failed")
    except RuntimeError:
        pass

    await drain(hub)

    assert await outbox_rows(hub) == []
    assert shop.calls == []


async def test_transient_failure_is_retried_then_done(hub):
    shop = hub.connector(CONNECTION)
    shop.script = [TransientError("503 from the shop"), TransientError("timeout")]
    await write(hub, "push_cancellation", cancellation(), "cancel:ord_1")

    await drain(hub)

    (row,) = await outbox_rows(hub)
    assert (row.status, row.attempts, row.last_error) == ("done", 3, None)
    assert len(shop.calls) == 3
    state = await connection_state(hub)
    assert state.last_failure_at is not None and state.last_error == "timeout"
    assert state.last_success_at > state.last_failure_at


async def test_retry_waits_at_least_the_providers_retry_after(hub):
    shop = hub.connector(CONNECTION)
    shop.script = [TransientError("429 slow down", retry_after=30)]
    row_id = await write(hub, "push_cancellation", cancellation(), "cancel:ord_1")

    before = utcnow()
    assert await dispatch_outbox({"hub": hub}, row_id) == "retry"

    (row,) = await outbox_rows(hub)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "429 slow down")
    assert row.next_attempt_at >= before + timedelta(seconds=30)
    # The job queued for attempt 0 by the commit finds the row moved on.
    assert await dispatch_outbox({"hub": hub}, row_id, 0) == "skipped"
    assert len(shop.calls) == 1


async def test_permanent_error_is_dead_and_replay_sends_it_again(client, hub, tokens):
    shop = hub.connector(CONNECTION)
    shop.script = [PermanentError("order is archived", code="422")]
    row_id = await write(hub, "push_cancellation", cancellation(), "cancel:ord_1")

    await drain(hub)

    (row,) = await outbox_rows(hub)
    assert (row.status, row.attempts, row.last_error) == ("dead", 1, "422: order is archived")
    state = await connection_state(hub)
    assert state.last_error == "422: order is archived"

    refused = await client.post(f"/outbox/{row_id}/replay", headers=auth(tokens["read-only"]))
    assert refused.status_code == 403
    replayed = await client.post(f"/outbox/{row_id}/replay", headers=auth(tokens["operator"]))
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("pending", 0)

    await drain(hub)

    (row,) = await outbox_rows(hub)
    assert (row.status, row.attempts) == ("done", 1)
    assert len(shop.calls) == 2

    again = await client.post(f"/outbox/{row_id}/replay", headers=auth(tokens["admin"]))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_replayable"


async def test_out_of_attempts_is_dead(hub):
    shop = hub.connector(CONNECTION)
    shop.script = [TransientError("503")] * 5
    await write(hub, "push_cancellation", cancellation(), "cancel:ord_1")

    await drain(hub)

    (row,) = await outbox_rows(hub)
    assert row.status == "dead"
    assert row.attempts == hub.settings.worker.max_attempts == 3
    assert row.last_error == "gave up after 3 attempts: 503"
    assert len(shop.calls) == 3


async def test_a_payload_that_does_not_fit_is_dead_without_calling(hub):
    shop = hub.connector(CONNECTION)
    await write(hub, "push_cancellation", {"reason": "no order id"}, "cancel:bad")
    await write(hub, "push_carrier_pigeon", {}, "pigeon:1")

    await drain(hub)

    bad_payload, unknown = await outbox_rows(hub)
    assert bad_payload.status == "dead"
    assert bad_payload.last_error.startswith("payload does not fit push_cancellation")
    assert unknown.status == "dead"
    assert "unknown operation 'push_carrier_pigeon'" in unknown.last_error
    assert shop.calls == []


async def test_duplicate_idempotency_key_writes_one_row(hub):
    first = await write(hub, "push_cancellation", cancellation(), "cancel:ord_1")
    second = await write(hub, "push_cancellation", cancellation("other"), "cancel:ord_1")

    assert first is not None and second is None
    (row,) = await outbox_rows(hub)
    assert row.payload["order_external_id"] == "5001"


async def test_pending_writes_with_one_coalesce_key_become_one_row_with_the_latest(hub):
    shop = hub.connector(CONNECTION)
    async with hub.transaction() as session:
        for quantity in (5, 4, 3):
            await outbox.enqueue(
                session,
                connection_id=CONNECTION,
                operation="push_stock",
                payload=stock("MUG", quantity),
                idempotency_key=f"stock:MUG:{quantity}",
                coalesce_key="stock:MUG",
            )
    await write(hub, "push_stock", stock("MUG", 2), "stock:MUG:2", coalesce="stock:MUG")
    await write(hub, "push_stock", stock("TEE-M", 9), "stock:TEE-M:9", coalesce="stock:TEE-M")

    mug, tee = await outbox_rows(hub)
    assert (mug.payload["quantity"], mug.idempotency_key) == (2, "stock:MUG:2")
    assert tee.payload["quantity"] == 9

    await drain(hub)

    pushed = sorted(
        (update.sku, update.quantity) for _, updates in shop.calls for update in updates
    )
    assert pushed == [("MUG", 2), ("TEE-M", 9)]
    # Once sent, the next change is a new row: coalescing only merges what is still pending.
    await write(hub, "push_stock", stock("MUG", 1), "stock:MUG:1", coalesce="stock:MUG")
    assert len(await outbox_rows(hub)) == 3
    # The same effect again is a no-op, even through the coalescing path.
    assert (
        await write(hub, "push_stock", stock("MUG", 2), "stock:MUG:2", coalesce="stock:MUG") is None
    )


async def test_replaying_a_row_superseded_by_a_newer_pending_one_is_refused(client, hub, tokens):
    shop = hub.connector(CONNECTION)
    shop.script = [PermanentError("bad location")]
    old_id = await write(hub, "push_stock", stock("MUG", 5), "stock:MUG:5", coalesce="stock:MUG")
    await drain(hub)
    async with hub.transaction() as session:  # a newer number, not sent: no worker runs
        newer_id = await outbox.enqueue(
            session,
            connection_id=CONNECTION,
            operation="push_stock",
            payload=stock("MUG", 4),
            idempotency_key="stock:MUG:4",
            coalesce_key="stock:MUG",
        )

    response = await client.post(f"/outbox/{old_id}/replay", headers=auth(tokens["operator"]))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "superseded"
    assert response.json()["error"]["details"]["pending_id"] == newer_id


async def test_outbox_listing_and_detail(client, hub, tokens):
    shop = hub.connector(CONNECTION)
    shop.script = [PermanentError("nope")]
    first = await write(hub, "push_cancellation", cancellation("1"), "cancel:1")
    await drain(hub)
    second = await write(hub, "push_cancellation", cancellation("2"), "cancel:2")
    await drain(hub)
    headers = auth(tokens["warehouse"])

    everything = (await client.get("/outbox?limit=1", headers=headers)).json()
    assert [item["id"] for item in everything["items"]] == [second]
    page_two = await client.get(
        f"/outbox?limit=1&cursor={everything['next_cursor']}", headers=headers
    )
    assert [item["id"] for item in page_two.json()["items"]] == [first]
    assert page_two.json()["next_cursor"] is None
    dead = (await client.get("/outbox?status=dead", headers=headers)).json()["items"]
    assert [item["id"] for item in dead] == [first]
    other = (await client.get("/outbox?connection=manual", headers=headers)).json()["items"]
    assert other == []

    detail = (await client.get(f"/outbox/{second}", headers=headers)).json()
    assert detail["payload"]["order_external_id"] == "2"
    assert detail["status"] == "done"
    missing = await client.get("/outbox/999", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_outbox_row"
    bad = await client.get("/outbox?status=lost", headers=headers)
    assert bad.status_code == 400


async def test_row_count_matches_what_was_sent(hub):
    """No double send: every row written is called exactly once when nothing fails."""
    shop = hub.connector(CONNECTION)
    for index in range(10):
        await write(hub, "push_cancellation", cancellation(str(index)), f"cancel:{index}")

    await drain(hub)

    assert len(shop.calls) == 10
    async with hub.read() as session:
        statuses = (await session.scalars(sa.select(OutboxRow.status))).all()
    assert statuses == ["done"] * 10
