"""Webhook intake through HTTP, then the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from orderhub.hub.testing import auth

from .conftest import (
    drain,
    history_actions,
    inbox_rows,
    order_payload,
    order_rows,
    post_event,
    sign,
)


async def test_bad_or_missing_signature_is_401_and_stores_nothing(client, hub):
    body = json.dumps(order_payload()).encode()
    wrong = await post_event(client, body, event_id="e1", signature=sign(body, "other-secret"))
    missing = await post_event(client, body, event_id="e2", signature="")
    tampered = await post_event(client, body + b" ", event_id="e3", signature=sign(body))

    for response in (wrong, missing, tampered):
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "invalid_signature"
    assert await inbox_rows(hub) == []


async def test_unknown_connection_or_one_without_webhooks_is_404(client, hub):
    unknown = await post_event(client, order_payload(), event_id="e1", connection="nope")
    manual = await post_event(client, order_payload(), event_id="e1", connection="manual")

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_connection"
    assert manual.status_code == 404
    assert manual.json()["error"]["code"] == "webhooks_not_supported"
    assert await inbox_rows(hub) == []


async def test_same_delivery_twice_gives_one_row_one_order_one_created_entry(client, hub, catalog):
    first = await post_event(client, order_payload(), event_id="evt-1", topic="orders/create")
    second = await post_event(client, order_payload(), event_id="evt-1", topic="orders/create")

    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    inbox_id = first.json()["inbox_id"]
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate"}

    await drain(hub)

    (row,) = await inbox_rows(hub)
    assert (row.id, row.status, row.attempts, row.last_error) == (inbox_id, "done", 1, None)
    (order,) = await order_rows(hub)
    assert order.external_id == "5001"
    assert order.total_amount == 3998
    assert await history_actions(hub, order.id) == ["created"]


async def test_stored_headers_keep_what_decoding_needs_but_not_the_signature(client, hub, tokens):
    accepted = await post_event(client, order_payload(), event_id="evt-h", topic="orders/create")
    inbox_id = accepted.json()["inbox_id"]

    detail = await client.get(f"/inbox/{inbox_id}", headers=auth(tokens["read-only"]))
    assert detail.status_code == 200, detail.text
    event = detail.json()
    assert event["headers"]["x-testshop-topic"] == "orders/create"
    assert event["headers"]["x-testshop-event-id"] == "evt-h"
    assert "x-testshop-signature" not in event["headers"]
    assert json.loads(event["body"])["id"] == "5001"

    listed = await client.get("/inbox", headers=auth(tokens["read-only"]))
    (item,) = listed.json()["items"]
    assert item["id"] == inbox_id and item["status"] == "pending"
    assert "body" not in item and "headers" not in item


async def test_malformed_body_with_valid_signature_is_dead_not_a_crash(client, hub, catalog):
    broken = b'{"id": "5001", "line_items": [oops'
    response = await post_event(client, broken, event_id="evt-bad", topic="orders/create")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"

    await drain(hub)

    (row,) = await inbox_rows(hub)
    assert row.status == "dead"
    assert row.attempts == 1
    assert row.last_error.startswith("payload error: orders/create:")
    assert await order_rows(hub) == []


async def test_webhooks_need_no_token_but_the_inbox_does(client, hub):
    response = await client.get("/inbox")
    assert response.status_code == 401
