"""The Acme Commerce channel: signed webhooks in, order pulls, stock pushes out."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
import msgspec

from orderhub.connectors.acme import mapping
from orderhub.connectors.acme.payloads import AcmeOrder, AcmeOrderPage, AcmeShop
from orderhub.core.connection import Connection
from orderhub.core.connectors import (
    Capability,
    ConnectorKind,
    HealthReport,
    InboundEvent,
    PayloadError,
    PermanentError,
    PullPage,
    StockUpdate,
    TransientError,
    WebhookEnvelope,
    WebhookRejected,
    WebhookRequest,
)
from orderhub.core.events import InboundChange
from orderhub.core.http_retry import is_transient_status, retry_after_seconds
from orderhub.core.money import MoneyError

# Header names as the hub passes them: lower-case.
WEBHOOK_ID = "acme-webhook-id"
TOPIC = "acme-topic"
TIMESTAMP = "acme-timestamp"
SIGNATURE = "acme-signature"

PAGE_SIZE = 100


class AcmeSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One Acme shop. Put secrets in the environment: ``api_key = { env = "ACME_API_KEY" }``."""

    api_key: str
    """Sent as ``Authorization: Bearer <api_key>``."""
    webhook_secret: str
    """The shop's webhook signing secret."""
    base_url: str = "https://api.acme.example"
    timeout_seconds: float = 10.0
    signature_tolerance_seconds: int = 300
    """Deliveries signed longer ago than this are refused (replay protection)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Acme's signature: ``v1=`` + hex HMAC-SHA256 of ``"<timestamp>." + body``."""
    message = timestamp.encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class _Cursor(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Where the order pull stands: inside a run (page token) or between runs (since)."""

    updated_at_min: datetime | None = None
    page_token: str | None = None


class AcmeChannel:
    name: ClassVar[str] = "acme"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CHANNEL
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.RECEIVE_WEBHOOKS, Capability.PULL_ORDERS, Capability.PUSH_STOCK}
    )
    Settings: ClassVar[type[msgspec.Struct]] = AcmeSettings

    def __init__(self, connection: Connection, *, http: httpx.AsyncClient | None = None) -> None:
        self.connection = connection
        self.settings: AcmeSettings = connection.settings
        self._shared_http = http
        self._own_http: httpx.AsyncClient | None = None
        self.clock: Callable[[], float] = time.time
        """Seconds since the epoch; tests replace it to check the replay window."""

    # ---------------------------------------------------------------- webhooks (pure)

    def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope:
        headers = request.headers
        given = headers.get(SIGNATURE)
        timestamp = headers.get(TIMESTAMP)
        if not given or not timestamp:
            raise WebhookRejected("missing Acme-Signature or Acme-Timestamp")
        expected = signature(self.settings.webhook_secret, timestamp, request.body)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected("Acme-Signature does not match the body")
        try:
            signed_at = int(timestamp)
        except ValueError as exc:
            raise WebhookRejected("Acme-Timestamp is not a number") from exc
        if abs(self.clock() - signed_at) > self.settings.signature_tolerance_seconds:
            raise WebhookRejected("Acme-Timestamp is outside the tolerance window")
        delivery, topic = headers.get(WEBHOOK_ID), headers.get(TOPIC)
        if not delivery or not topic:
            # Authentic but not a delivery we can file: the hub answers 422, stores nothing.
            raise PayloadError("missing Acme-Webhook-Id or Acme-Topic")
        return WebhookEnvelope(
            event_id=delivery, topic=topic, occurred_at=datetime.fromtimestamp(signed_at, UTC)
        )

    def decode_webhook(self, event: InboundEvent) -> Sequence[InboundChange]:
        if event.topic not in mapping.ORDER_TOPICS:
            return []  # a topic we subscribed to by mistake: acknowledged, nothing to merge
        try:
            raw = msgspec.json.decode(event.body, type=AcmeOrder)
            return mapping.webhook_changes(event.topic, raw, self.connection.id)
        except (msgspec.DecodeError, MoneyError) as exc:
            raise PayloadError(f"unreadable Acme {event.topic} payload: {exc}") from exc

    # ---------------------------------------------------------------- API calls

    def _client(self) -> httpx.AsyncClient:
        """The hub's shared client when it gave one, else our own, made on first use."""
        if self._shared_http is not None:
            return self._shared_http
        if self._own_http is None:
            self._own_http = httpx.AsyncClient(timeout=self.settings.timeout_seconds)
        return self._own_http

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call; maps Acme's failures to the errors the hub retries or dead-letters."""
        headers = {"Authorization": f"Bearer {self.settings.api_key}", **kwargs.pop("headers", {})}
        url = self.settings.base_url.rstrip("/") + path
        try:
            response = await self._client().request(method, url, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(f"Acme {method} {path} timed out") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"Acme {method} {path} failed: {exc}") from exc
        if is_transient_status(response.status_code):
            raise TransientError(
                f"Acme {method} {path} answered {response.status_code}",
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            raise PermanentError(
                f"Acme {method} {path} answered {response.status_code}",
                code=code or str(response.status_code),
                body=body,
            )
        return response

    async def pull_orders(self, cursor: str | None) -> PullPage:
        """Orders changed since the last run, one page per call (``GET /v1/orders``)."""
        state = msgspec.json.decode(cursor, type=_Cursor) if cursor else _Cursor()
        params: dict[str, str | int] = {"limit": PAGE_SIZE}
        if state.updated_at_min is not None:
            params["updated_at_min"] = state.updated_at_min.isoformat()
        if state.page_token is not None:
            params["page_token"] = state.page_token
        response = await self._request("GET", "/v1/orders", params=params)
        try:
            page = msgspec.json.decode(response.content, type=AcmeOrderPage)
            found = [
                change
                for raw in page.orders
                for change in mapping.order_changes(raw, self.connection.id)
            ]
        except (msgspec.DecodeError, MoneyError) as exc:
            raise PermanentError(f"unreadable Acme order page: {exc}", code="payload") from exc
        if page.next_page_token:
            following = _Cursor(
                updated_at_min=state.updated_at_min, page_token=page.next_page_token
            )
        else:
            # The next run starts at the newest change seen; the bound is inclusive, and the
            # hub's merge ignores an order it already has in that version.
            newest = max((raw.updated_at for raw in page.orders), default=state.updated_at_min)
            if state.updated_at_min is not None and newest is not None:
                newest = max(newest, state.updated_at_min)
            following = _Cursor(updated_at_min=newest)
        return PullPage(
            changes=found,
            cursor=msgspec.json.encode(following).decode(),
            has_more=page.next_page_token is not None,
        )

    async def push_stock(self, updates: Sequence[StockUpdate]) -> None:
        """Set what Acme may sell (``PUT /v1/inventory/{sku}``), one call per SKU and location."""
        for update in updates:
            body: dict[str, Any] = {"available": update.quantity}
            if update.location_ref is not None:
                body["location_id"] = update.location_ref
            await self._request(
                "PUT",
                f"/v1/inventory/{quote(update.sku, safe='')}",
                json=body,
                headers={"Idempotency-Key": update.idempotency_key},
            )

    async def health(self) -> HealthReport:
        try:
            response = await self._request("GET", "/v1/shop")
            shop = msgspec.json.decode(response.content, type=AcmeShop)
        except (TransientError, PermanentError, msgspec.DecodeError) as exc:
            return HealthReport(ok=False, detail=str(exc))
        return HealthReport(ok=True, detail=f"shop {shop.name} ({shop.id})")

    async def aclose(self) -> None:
        if self._own_http is not None:
            await self._own_http.aclose()
            self._own_http = None
