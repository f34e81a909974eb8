"""Polling orders through GraphQL: `orders` sorted by UPDATED_AT, filtered on an updated_at watermark.

The cursor the hub stores holds three things: the watermark the current sweep filters on,
Shopify's page cursor inside that sweep, and the highest `updatedAt` seen so far. When the
last page is reached the highest value becomes the next sweep's watermark. The filter is
`>=`, so an order updated in the watermark's own second is read again rather than missed;
the hub's merge ignores a snapshot that is not newer than what it holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from orderhub.connectors.shopify import canonical, graphql_mapping, queries
from orderhub.connectors.shopify.graphql import GraphQLClient, QueryTooCostly
from orderhub.connectors.shopify.settings import ShopifySettings
from orderhub.core.connectors import PayloadError, PermanentError, PullPage
from orderhub.core.events import InboundChange, OrderCancelObserved, OrderObserved


class PullCursor(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    since: str
    """The sweep's watermark (UTC, ISO 8601)."""
    after: str | None = None
    """Shopify's endCursor of the last page read in this sweep."""
    high: str | None = None
    """The highest updatedAt seen in this sweep."""


def encode_cursor(cursor: PullCursor) -> str:
    return msgspec.json.encode(cursor).decode()


def decode_cursor(text: str) -> PullCursor:
    try:
        return msgspec.json.decode(text, type=PullCursor)
    except msgspec.MsgspecError as exc:
        raise PermanentError(f"unreadable Shopify pull cursor {text!r}: {exc}") from exc


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_query(since: str) -> str:
    return f"updated_at:>='{since}'"


class OrderPuller:
    """Reads one page of orders per call and remembers a page size Shopify accepts."""

    _MAX_SHRINKS = 4

    def __init__(
        self,
        client: GraphQLClient,
        settings: ShopifySettings,
        connection: str,
        now: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.settings = settings
        self.connection = connection
        self._now = now
        self.page_size = settings.pull_page_size

    def first_cursor(self) -> PullCursor:
        since = self._now() - timedelta(days=self.settings.initial_lookback_days)
        return PullCursor(since=_iso(since))

    async def pull(self, cursor_text: str | None) -> PullPage:
        cursor = decode_cursor(cursor_text) if cursor_text else self.first_cursor()
        connection = await self._page(cursor)
        page_info = graphql_mapping.convert(
            connection.get("pageInfo", {}), graphql_mapping.PageInfo, "orders.pageInfo"
        )
        high = cursor.high
        changes: list[InboundChange] = []
        for raw in connection.get("nodes") or []:
            order_id = raw.get("id") if isinstance(raw, dict) else None
            try:
                node = graphql_mapping.convert(raw, graphql_mapping.GqlOrder, "orders.nodes")
                lines = await self._all_lines(node)
                order = graphql_mapping.order(node, lines, self.connection)
            except (PayloadError, ValueError) as exc:
                # Shopify's own data that cannot be read will not read better on a retry.
                raise PermanentError(f"order {order_id}: {exc}", body=raw) from exc
            changes.append(OrderObserved(order=order))
            if node.cancelled_at:
                changes.append(
                    OrderCancelObserved(
                        connection=self.connection,
                        external_id=order.external_id,
                        reason=order.cancel_reason,
                        at=canonical.parse_time(node.cancelled_at, "cancelledAt"),
                    )
                )
            if order.source_updated_at is not None:
                updated = _iso(order.source_updated_at)
                if high is None or updated > high:
                    high = updated
        if page_info.has_next_page and page_info.end_cursor:
            next_cursor = PullCursor(since=cursor.since, after=page_info.end_cursor, high=high)
        else:
            next_cursor = PullCursor(since=high or cursor.since)
        return PullPage(
            changes=changes,
            cursor=encode_cursor(next_cursor),
            has_more=bool(page_info.has_next_page and page_info.end_cursor),
        )

    async def _page(self, cursor: PullCursor) -> dict[str, Any]:
        """One orders page, shrinking the page size when Shopify finds it too costly."""
        for _ in range(self._MAX_SHRINKS + 1):
            variables = {
                "first": self.page_size,
                "after": cursor.after,
                "query": search_query(cursor.since),
            }
            try:
                data = await self.client.execute("OrdersPage", queries.ORDERS_PAGE, variables)
            except QueryTooCostly as exc:
                if self.page_size == 1 or exc.cost is None or exc.cost <= exc.limit:
                    raise
                scaled = math.floor(self.page_size * exc.limit * 0.95 / exc.cost)
                self.page_size = max(1, min(self.page_size - 1, scaled))
                continue
            orders = data.get("orders")
            if not isinstance(orders, dict):
                raise PermanentError("OrdersPage: answer without orders", body=data)
            return orders
        raise PermanentError(f"OrdersPage: still too costly at {self.page_size} orders per page")

    async def _all_lines(self, node: graphql_mapping.GqlOrder) -> list[graphql_mapping.GqlLineItem]:
        lines = list(node.line_items.nodes)
        page = node.line_items.page_info
        while page.has_next_page and page.end_cursor:
            data = await self.client.execute(
                "OrderLineItems",
                queries.ORDER_LINE_ITEMS,
                {"id": node.id, "after": page.end_cursor},
            )
            more = graphql_mapping.convert(
                ((data.get("order") or {}).get("lineItems")) or {},
                graphql_mapping.LineItemPage,
                f"order {node.id} lineItems",
            )
            lines.extend(more.nodes)
            page = more.page_info
        return lines
