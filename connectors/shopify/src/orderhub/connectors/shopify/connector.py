"""The Shopify channel connector: one instance per configured store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import ClassVar

import httpx
import msgspec

from orderhub.connectors.shopify import (
    fulfillment,
    order_actions,
    queries,
    subscriptions,
    webhooks,
)
from orderhub.connectors.shopify.graphql import GraphQLClient
from orderhub.connectors.shopify.inventory import StockPusher
from orderhub.connectors.shopify.pull import OrderPuller
from orderhub.connectors.shopify.settings import ShopifySettings
from orderhub.connectors.shopify.throttle import CostBudget, ThrottleStatus
from orderhub.core.connection import Connection
from orderhub.core.connectors import (
    CancellationNotice,
    Capability,
    ConnectorError,
    ConnectorKind,
    ExternalRef,
    FulfillmentNotice,
    HealthReport,
    InboundEvent,
    PullPage,
    RefundNotice,
    StockUpdate,
    WebhookEnvelope,
    WebhookRequest,
)
from orderhub.core.events import InboundChange


class ShopifyConnector:
    """Orders in through webhooks and polling; stock, fulfillments, cancellations and refunds out."""

    name: ClassVar[str] = "shopify"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CHANNEL
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.RECEIVE_WEBHOOKS,
            Capability.PULL_ORDERS,
            Capability.PUSH_STOCK,
            Capability.PUSH_FULFILLMENT,
            Capability.PUSH_CANCELLATION,
            Capability.PUSH_REFUND,
            Capability.REGISTER_WEBHOOKS,
        }
    )
    Settings: ClassVar[type[msgspec.Struct]] = ShopifySettings

    def __init__(
        self,
        connection: Connection,
        *,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not isinstance(connection.settings, ShopifySettings):
            raise TypeError(f"connection {connection.id!r} has no ShopifySettings")
        self.connection = connection
        self.settings: ShopifySettings = connection.settings
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(timeout=self.settings.timeout_seconds)
        self.budget = CostBudget()
        self.client = GraphQLClient(self.settings, self.http, self.budget, sleep=sleep, clock=clock)
        self._puller = OrderPuller(self.client, self.settings, connection.id, now)
        self._stock = StockPusher(self.client, connection, item_cache={})

    # ------------------------------------------------------------------ rate limits

    @property
    def throttle_status(self) -> ThrottleStatus | None:
        """The cost bucket as last reported by Shopify (None before the first call)."""
        return self.budget.status

    def observe_throttle(self, status: ThrottleStatus) -> None:
        """Take another worker's report of the same store's bucket into account."""
        self.budget.observe(status)

    # ------------------------------------------------------------------ lifecycle

    async def health(self) -> HealthReport:
        try:
            data = await self.client.execute("Shop", queries.SHOP)
        except ConnectorError as exc:
            return HealthReport(ok=False, detail=str(exc))
        shop = data.get("shop") or {}
        return HealthReport(ok=True, detail=f"{shop.get('name')} ({shop.get('myshopifyDomain')})")

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    # ------------------------------------------------------------------ inbound

    def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope:
        return webhooks.verify(
            request, secret=self.settings.client_secret, shop_domain=self.settings.shop_domain
        )

    def decode_webhook(self, event: InboundEvent) -> Sequence[InboundChange]:
        return webhooks.decode(event, self.connection)

    async def pull_orders(self, cursor: str | None) -> PullPage:
        return await self._puller.pull(cursor)

    # ------------------------------------------------------------------ outbound

    async def push_stock(self, updates: Sequence[StockUpdate]) -> None:
        if updates:
            await self._stock.push(updates)

    async def push_fulfillment(self, notice: FulfillmentNotice) -> ExternalRef:
        return await fulfillment.push_fulfillment(
            self.client, notice, notify_customer=self.settings.notify_customer
        )

    async def update_tracking(self, fulfillment_ref: str, notice: FulfillmentNotice) -> None:
        """New tracking details for a fulfillment `push_fulfillment` created (its ExternalRef id)."""
        await fulfillment.update_tracking(
            self.client, fulfillment_ref, notice, notify_customer=self.settings.notify_customer
        )

    async def push_cancellation(self, notice: CancellationNotice) -> None:
        await order_actions.push_cancellation(
            self.client, notice, refund=self.settings.refund_on_cancel
        )

    async def push_refund(self, notice: RefundNotice) -> ExternalRef:
        return await order_actions.push_refund(
            self.client, notice, notify_customer=self.settings.notify_customer
        )

    async def register_webhooks(self, callback_url: str) -> Sequence[ExternalRef]:
        return await subscriptions.register(self.client, callback_url)

    def __repr__(self) -> str:
        return f"ShopifyConnector({self.connection.id!r}, {self.settings.shop_domain!r})"
