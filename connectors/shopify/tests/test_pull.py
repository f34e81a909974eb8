"""Polling orders through GraphQL: pagination, cursors, line pages, and parity with webhooks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
import pytest

from orderhub.connectors.shopify import ShopifyConnector
from orderhub.connectors.shopify.pull import PullCursor
from orderhub.core.connectors import InboundEvent, PermanentError
from orderhub.core.events import OrderCancelObserved, OrderObserved
from orderhub.core.model import FinancialStatus, Money


def cursor(text: str) -> PullCursor:
    return msgspec.json.decode(text, type=PullCursor)


async def test_pull_walks_two_pages_with_the_exact_variables(
    kit, shopify, sleeps: list[float]
) -> None:
    connector = ShopifyConnector(
        kit.shop_connection(),
        now=lambda: datetime(2026, 5, 10, 12, 0, 30, tzinfo=UTC),
        clock=lambda: 0.0,
    )
    shopify.on("OrdersPage", "graphql_orders_page_1.json", "graphql_orders_page_2.json")
    shopify.on("OrderLineItems", "graphql_order_line_items.json")

    first = await connector.pull_orders(None)
    second = await connector.pull_orders(first.cursor)
    await connector.aclose()

    assert shopify.operations() == ["OrdersPage", "OrderLineItems", "OrdersPage"]
    page_calls = shopify.variables("OrdersPage")
    assert page_calls[0] == {
        "first": 250,
        "after": None,
        "query": "updated_at:>='2026-04-10T12:00:30Z'",  # 30 days of lookback on the first pull
    }
    assert page_calls[1] == {
        "first": 250,
        "after": "eyJsYXN0X2lkIjo1ODQ0NjE3MjY1MzA5LCJsYXN0X3ZhbHVlIjoiMjAyNi0wNS0wNSAxMjowMDowMC4wMDAwMDAifQ==",
        "query": "updated_at:>='2026-04-10T12:00:30Z'",  # same sweep, same filter
    }
    assert shopify.variables("OrderLineItems") == [
        {"id": "gid://shopify/Order/5844617265309", "after": "eyJsYXN0X2lkIjoxNDM2ODcxNDA5Njc5N30="}
    ]
    request = shopify.calls[0][2]
    assert request.headers["X-Shopify-Access-Token"] == kit.TOKEN
    assert "sortKey: UPDATED_AT" in json.loads(request.content)["query"]

    assert first.has_more is True and second.has_more is False
    assert cursor(first.cursor) == PullCursor(
        since="2026-04-10T12:00:30Z",
        after="eyJsYXN0X2lkIjo1ODQ0NjE3MjY1MzA5LCJsYXN0X3ZhbHVlIjoiMjAyNi0wNS0wNSAxMjowMDowMC4wMDAwMDAifQ==",
        high="2026-05-05T12:00:00Z",
    )
    # The sweep is over: the highest updatedAt seen becomes the next watermark.
    assert cursor(second.cursor) == PullCursor(since="2026-05-06T08:31:07Z")

    orders = [c.order for c in [*first.changes, *second.changes] if isinstance(c, OrderObserved)]
    assert [o.number for o in orders] == ["#1042", "#1044", "#1045"]
    cancelled = [c for c in first.changes if isinstance(c, OrderCancelObserved)]
    assert cancelled == [
        OrderCancelObserved(
            connection="shopify-eu",
            external_id="5844617265309",
            reason="inventory",
            at=datetime(2026, 5, 5, 12, 0, tzinfo=UTC),
        )
    ]
    mugs = orders[1]
    assert [(line.sku, line.quantity) for line in mugs.lines] == [("MUG-BLUE", 2), ("MUG-RED", 2)]
    assert mugs.financial_status is FinancialStatus.REFUNDED
    tea = orders[2]
    assert (tea.currency, tea.test, tea.totals.total) == (
        "JPY",
        True,
        Money(amount=3300, currency="JPY"),
    )
    assert tea.taxes[0].rate == "0.1"
    assert tea.attributes["shopify.fulfillment_status"] == "fulfilled"
    assert tea.customer is None
    assert sleeps == []


async def test_the_next_sweep_starts_from_the_watermark(connector, shopify) -> None:
    shopify.on("OrdersPage", "graphql_orders_page_2.json")
    page = await connector.pull_orders(json.dumps({"since": "2026-05-06T08:00:00Z"}))
    assert shopify.variables("OrdersPage") == [
        {"first": 250, "after": None, "query": "updated_at:>='2026-05-06T08:00:00Z'"}
    ]
    assert cursor(page.cursor) == PullCursor(since="2026-05-06T08:31:07Z")


async def test_an_empty_sweep_keeps_its_watermark(connector, shopify) -> None:
    empty = {
        "data": {"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}},
        "extensions": {
            "cost": {
                "requestedQueryCost": 626,
                "actualQueryCost": 2,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": 1998,
                    "restoreRate": 100.0,
                },
            }
        },
    }
    shopify.on("OrdersPage", empty)
    page = await connector.pull_orders(json.dumps({"since": "2026-05-06T08:00:00Z"}))
    assert page.changes == [] and page.has_more is False
    assert cursor(page.cursor) == PullCursor(since="2026-05-06T08:00:00Z")


async def test_a_polled_order_equals_the_webhook_order(connector, shopify, kit) -> None:
    """Same Shopify order through both doors: the same canonical order (bar the extra binding)."""
    shopify.on("OrdersPage", "graphql_orders_page_1.json")
    shopify.on("OrderLineItems", "graphql_order_line_items.json")
    page = await connector.pull_orders(None)
    polled = page.changes[0].order
    (hooked,) = connector.decode_webhook(
        InboundEvent(
            event_id="orders/create:1",
            topic="orders/create",
            body=kit.payload_bytes("orders_create.json"),
            headers={},
            received_at=datetime(2026, 5, 4, tzinfo=UTC),
        )
    )
    webhook_order = hooked.order
    assert polled.lines[0].bindings == {
        **webhook_order.lines[0].bindings,
        "inventory_item_id": "271878346596884015",
    }
    for line in polled.lines:
        line.bindings.pop("inventory_item_id")
    assert msgspec.to_builtins(polled) == msgspec.to_builtins(webhook_order)


async def test_a_page_too_costly_is_retried_smaller_and_the_size_kept(connector, shopify) -> None:
    shopify.on(
        "OrdersPage",
        "graphql_max_cost_exceeded.json",
        "graphql_orders_page_2.json",
        "graphql_orders_page_2.json",
    )
    await connector.pull_orders(json.dumps({"since": "2026-05-06T08:00:00Z"}))
    await connector.pull_orders(json.dumps({"since": "2026-05-06T08:00:00Z"}))
    sizes = [variables["first"] for variables in shopify.variables("OrdersPage")]
    # 7502 points for 250 orders: about 30 points each, so 31 orders fit under 1000 with margin.
    assert sizes == [250, 31, 31]


async def test_an_unreadable_cursor_is_a_permanent_error(connector, shopify) -> None:
    with pytest.raises(PermanentError, match="cursor"):
        await connector.pull_orders("not-json")
    assert shopify.calls == []


async def test_an_order_node_shopify_should_never_send_is_a_permanent_error(
    connector, shopify, kit
) -> None:
    page = kit.payload_json("graphql_orders_page_2.json")
    page["data"]["orders"]["nodes"][0]["totalPriceSet"]["shopMoney"]["amount"] = "3300.5"
    shopify.on("OrdersPage", page)
    with pytest.raises(PermanentError, match="5844617298077"):
        await connector.pull_orders(None)
