"""Merging inbound changes: stale snapshots, out-of-order arrival, cancellations, refunds,
stock counts and revocations, each through a signed webhook and the worker."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from orderhub.hub.store.tables import (
    BindingRow,
    ConnectionStateRow,
    OrderHistoryRow,
    OutboxRow,
    StockLevelRow,
    StockMovementRow,
)
from orderhub.hub.sync.inbox import process_inbox

from .conftest import (
    CONNECTION,
    drain,
    history_actions,
    inbox_rows,
    order_payload,
    order_rows,
    post_event,
    rows,
)

T1 = "2025-03-01T10:00:00Z"
T2 = "2025-03-01T11:00:00Z"
T3 = "2025-03-01T12:00:00Z"


async def test_new_order_is_bound_and_created_by_the_connection(client, hub, catalog):
    await post_event(client, order_payload(), event_id="e1", topic="orders/create")
    await drain(hub)

    (order,) = await order_rows(hub)
    (binding,) = await rows(hub, BindingRow)
    assert (binding.connection_id, binding.entity, binding.external_id, binding.internal_id) == (
        CONNECTION,
        "order",
        "5001",
        order.id,
    )
    (created,) = await rows(
        hub,
        OrderHistoryRow,
        OrderHistoryRow.order_id == order.id,
        OrderHistoryRow.actor_kind == "connection",
    )
    assert (created.actor_kind, created.actor_name, created.action) == (
        "connection",
        CONNECTION,
        "created",
    )


async def test_stale_snapshot_is_ignored_and_history_untouched(client, hub, catalog):
    await post_event(client, order_payload(updated_at=T2, tags=["new"]), event_id="e1")
    await drain(hub)
    await post_event(client, order_payload(updated_at=T1, tags=["old"], note="old"), event_id="e2")
    await post_event(client, order_payload(updated_at=T2, tags=["same-time"]), event_id="e3")
    await drain(hub)

    (order,) = await order_rows(hub)
    assert order.tags == ["new"]
    assert order.notes is None
    assert order.source_updated_at.isoformat() == "2025-03-01T11:00:00+00:00"
    assert await history_actions(hub, order.id) == ["created"]
    first, stale, same = await inbox_rows(hub)
    assert (first.status, stale.status, same.status) == ("done", "done", "done")
    assert "ignored" in stale.last_error and "ignored" in same.last_error


async def test_newer_snapshot_updates_fields_with_one_history_entry(client, hub, catalog):
    await post_event(client, order_payload(updated_at=T1), event_id="e1", topic="orders/create")
    await drain(hub)
    newer = order_payload(updated_at=T2, financial_status="paid", tags=["vip"], note="ring twice")
    await post_event(client, newer, event_id="e2")
    await drain(hub)

    (order,) = await order_rows(hub)
    assert (order.financial_status, order.tags, order.notes) == ("paid", ["vip"], "ring twice")
    entries = await rows(
        hub,
        OrderHistoryRow,
        OrderHistoryRow.order_id == order.id,
        OrderHistoryRow.actor_kind == "connection",
    )
    assert [entry.action for entry in entries] == ["created", "updated_from_channel"]
    assert sorted(entries[1].detail["fields"]) == ["financial_status", "notes", "tags"]
    assert entries[1].actor_name == CONNECTION
    assert entries[1].version == order.version

    # The same snapshot again (a poll catching up) changes nothing.
    await post_event(client, newer, event_id="e3")
    await drain(hub)
    assert await history_actions(hub, order.id) == ["created", "updated_from_channel"]


async def test_update_before_create_converges_to_the_newest_state(client, hub, catalog):
    newest = order_payload(updated_at=T3, financial_status="paid", tags=["final"])
    middle = order_payload(updated_at=T2, financial_status="authorized", tags=["middle"])
    oldest = order_payload(updated_at=T1, financial_status="pending")
    arrivals = [
        await post_event(client, newest, event_id="e3", topic="orders/updated"),
        await post_event(client, oldest, event_id="e1", topic="orders/create"),
        await post_event(client, middle, event_id="e2", topic="orders/updated"),
    ]
    # The worker runs jobs concurrently, so the order they run in is its own choice; process
    # them here in arrival order to make "update before create" what actually happens.
    for arrival in arrivals:
        assert await process_inbox({"hub": hub}, arrival.json()["inbox_id"]) == "done"
    await drain(hub)

    (order,) = await order_rows(hub)
    assert (order.financial_status, order.tags) == ("paid", ["final"])
    assert order.source_updated_at.isoformat() == "2025-03-01T12:00:00+00:00"
    assert await history_actions(hub, order.id) == ["created"]
    assert {row.status for row in await inbox_rows(hub)} == {"done"}


async def test_cancellation_from_the_channel_cancels_once(client, hub, catalog):
    await post_event(client, order_payload(), event_id="e1", topic="orders/create")
    cancel = {"id": "5001", "reason": "customer"}
    await post_event(client, cancel, event_id="e2", topic="orders/cancelled")
    await post_event(client, cancel, event_id="e3", topic="orders/cancelled")
    await drain(hub)

    (order,) = await order_rows(hub)
    assert order.status == "cancelled"
    assert order.cancel_reason == "customer"
    entries = await rows(hub, OrderHistoryRow, OrderHistoryRow.order_id == order.id)
    changes = [e for e in entries if e.action == "status_changed" and e.actor_kind == "connection"]
    assert len(changes) == 1
    # Intake held it first (payment pending, no shipping address), then the channel cancelled.
    assert changes[0].detail == {"from": "on_hold", "to": "cancelled"}
    assert {row.status for row in await inbox_rows(hub)} == {"done"}
    # No push back to the channel that told us.
    assert await rows(hub, OutboxRow) == []


async def test_cancellation_before_the_order_is_retried_until_it_exists(client, hub, catalog):
    early = await post_event(client, {"id": "5001"}, event_id="e-cancel", topic="orders/cancelled")
    inbox_id = early.json()["inbox_id"]
    assert await process_inbox({"hub": hub}, inbox_id) == "retry"
    (waiting,) = await inbox_rows(hub)
    assert waiting.status == "failed"
    assert "no order '5001'" in waiting.last_error

    created = await post_event(client, order_payload(), event_id="e-create", topic="orders/create")
    assert await process_inbox({"hub": hub}, created.json()["inbox_id"]) == "done"
    # The intake job (attempt 0) finds the row moved on; the scheduled retry applies it.
    await drain(hub)

    (order,) = await order_rows(hub)
    assert order.status == "cancelled"
    assert {row.status for row in await inbox_rows(hub)} == {"done"}


async def test_refund_observed_is_recorded_once(client, hub, catalog):
    await post_event(client, order_payload(), event_id="e1", topic="orders/create")
    refund = {"id": "rf-1", "order_id": "5001", "amount": "5.00", "currency": "EUR"}
    await post_event(client, refund, event_id="e2", topic="refunds/create")
    await post_event(client, refund, event_id="e3", topic="refunds/create")
    await drain(hub)

    (order,) = await order_rows(hub)
    entries = await rows(
        hub,
        OrderHistoryRow,
        OrderHistoryRow.order_id == order.id,
        OrderHistoryRow.action == "refund_observed",
    )
    assert len(entries) == 1
    assert entries[0].detail["refund_id"] == "rf-1"
    assert (entries[0].detail["amount"], entries[0].detail["currency"]) == (500, "EUR")


async def test_stock_count_sets_on_hand_at_the_mapped_location(client, hub, catalog):
    level = {"location_id": "gid-loc-1", "sku": "MUG", "available": 7}
    await post_event(client, level, event_id="e1", topic="inventory_levels/update")
    await drain(hub)

    async with hub.read() as session:
        on_hand = await session.scalar(sa.select(StockLevelRow.on_hand))
        movement = await session.scalar(sa.select(StockMovementRow))
    assert on_hand == 7
    assert (movement.kind, movement.delta, movement.reason) == ("count", 7, "reported by shop")
    (row,) = await inbox_rows(hub)
    assert (row.status, row.last_error) == ("done", None)


async def test_stock_at_an_unmapped_location_is_ignored_with_the_reason(client, hub, catalog):
    await post_event(
        client,
        {"location_id": "gid-loc-2", "sku": "MUG", "available": 7},
        event_id="e1",
        topic="inventory_levels/update",
    )
    await post_event(
        client,
        {"location_id": "gid-loc-1", "inventory_item_id": "inv-42", "available": 3},
        event_id="e2",
        topic="inventory_levels/update",
    )
    await drain(hub)

    unmapped, unbound = await inbox_rows(hub)
    assert unmapped.status == "done"
    assert "'gid-loc-2'" in unmapped.last_error and "not mapped" in unmapped.last_error
    assert unbound.status == "done"
    assert "'inv-42'" in unbound.last_error
    async with hub.read() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(StockLevelRow)) == 0


async def test_item_binding_maps_a_provider_item_to_a_sku(client, hub, catalog):
    async with hub.transaction() as session:
        session.add(
            BindingRow(
                connection_id=CONNECTION, entity="item", external_id="inv-42", internal_id="MUG"
            )
        )
    await post_event(
        client,
        {"location_id": "gid-loc-1", "inventory_item_id": "inv-42", "available": 3},
        event_id="e1",
        topic="inventory_levels/update",
    )
    await drain(hub)

    async with hub.read() as session:
        assert await session.scalar(sa.select(StockLevelRow.on_hand)) == 3


async def test_revocation_is_recorded_on_the_connection(client, hub):
    await post_event(client, {}, event_id="e1", topic="app/uninstalled")
    await drain(hub)

    (state,) = await rows(hub, ConnectionStateRow, ConnectionStateRow.connection_id == CONNECTION)
    assert state.revoked_at is not None
    assert state.revoked_reason == "app uninstalled"


async def test_two_events_of_one_new_order_merged_at_once_give_one_order(client, hub, catalog):
    created = await post_event(
        client, order_payload(updated_at=T1), event_id="e1", topic="orders/create"
    )
    paid = await post_event(
        client,
        order_payload(updated_at=T2, financial_status="paid"),
        event_id="e2",
        topic="orders/updated",
    )
    ctx = {"hub": hub}

    outcomes = await asyncio.gather(
        process_inbox(ctx, created.json()["inbox_id"]),
        process_inbox(ctx, paid.json()["inbox_id"]),
    )

    assert outcomes == ["done", "done"]
    (order,) = await order_rows(hub)
    assert (order.financial_status, order.source_updated_at.isoformat()) == (
        "paid",
        "2025-03-01T11:00:00+00:00",
    )
    assert (await history_actions(hub, order.id)).count("created") == 1
    assert len(await rows(hub, BindingRow)) == 1
