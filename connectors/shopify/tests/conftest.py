"""Fixtures for the Shopify connector tests: a store connection and a respx-backed Admin API.

Every GraphQL call goes to the same URL, so the fake API answers by operation name, from
queues of payloads kept in tests/payloads (Shopify's documented shapes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections import defaultdict, deque
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import respx

from orderhub.connectors.shopify import ShopifyConnector, ShopifySettings
from orderhub.core.connection import Connection, decode_settings
from orderhub.core.connectors import WebhookRequest

PAYLOADS = Path(__file__).parent / "payloads"
SHOP = "orderhub-test.myshopify.com"
SECRET = "hush-client-secret"
TOKEN = "shpat_test_token"
GRAPHQL_URL = f"https://{SHOP}/admin/api/2026-04/graphql.json"
_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")


def payload_bytes(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def payload_json(name: str) -> Any:
    return json.loads(payload_bytes(name))


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook(
    topic: str,
    body: bytes,
    *,
    secret: str = SECRET,
    shop: str = SHOP,
    event_id: str | None = "2c1b7d5e-9f0a-4e41-b2c6-3d7a9e8f1a20",
    extra: dict[str, str] | None = None,
) -> WebhookRequest:
    """A delivery with the headers Shopify sends (lower-case, as HTTP/2 carries them)."""
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": sign(body, secret),
        "x-shopify-shop-domain": shop,
        "x-shopify-api-version": "2026-04",
        "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "x-shopify-triggered-at": "2026-05-04T14:15:44.123456789Z",
    }
    if event_id is not None:
        headers["x-shopify-event-id"] = event_id
    headers.update(extra or {})
    return WebhookRequest(body=body, headers=headers)


def shop_connection(
    *, connection_id: str = "shopify-eu", shop: str = SHOP, **overrides: Any
) -> Connection:
    raw = {"shop_domain": shop, "access_token": TOKEN, "client_secret": SECRET, **overrides}
    settings = decode_settings(ShopifySettings, raw, f"connections.{connection_id}.settings")
    return Connection(
        id=connection_id,
        connector="shopify",
        settings=settings,
        locations={"24826418": "PAR-WH", "gid://shopify/Location/24826419": "LYS-STORE"},
    )


class FakeShopify:
    """Shopify's GraphQL endpoint behind respx: queued answers per operation, every call kept."""

    def __init__(self, router: respx.MockRouter, url: str = GRAPHQL_URL) -> None:
        self.url = url
        self.calls: list[tuple[str, dict[str, Any], httpx.Request]] = []
        self._queues: dict[str, deque[Any]] = defaultdict(deque)
        router.post(url).mock(side_effect=self._answer)

    def on(self, operation: str, *answers: Any) -> None:
        """Queue answers: a payload file name, a dict (JSON body) or an httpx.Response."""
        self._queues[operation].extend(answers)

    def variables(self, operation: str) -> list[dict[str, Any]]:
        return [variables for name, variables, _ in self.calls if name == operation]

    def operations(self) -> list[str]:
        return [name for name, _, _ in self.calls]

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        match = _OPERATION.match(body["query"])
        assert match, f"unnamed GraphQL operation: {body['query'][:80]}"
        operation = match.group(1)
        self.calls.append((operation, body.get("variables") or {}, request))
        queue = self._queues.get(operation)
        assert queue, f"no answer queued for {operation}"
        answer = queue.popleft()
        if isinstance(answer, httpx.Response):
            return answer
        if isinstance(answer, str):
            answer = payload_json(answer)
        return httpx.Response(200, json=answer)


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def shopify(router: respx.MockRouter) -> FakeShopify:
    return FakeShopify(router)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def connector(sleeps: list[float]):
    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    instance = ShopifyConnector(shop_connection(), sleep=record_sleep, clock=lambda: 100.0)
    yield instance
    await instance.aclose()


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above for test modules (importlib mode cannot import conftest)."""
    return SimpleNamespace(
        SHOP=SHOP,
        SECRET=SECRET,
        TOKEN=TOKEN,
        GRAPHQL_URL=GRAPHQL_URL,
        payload_bytes=payload_bytes,
        payload_json=payload_json,
        sign=sign,
        webhook=webhook,
        shop_connection=shop_connection,
        FakeShopify=FakeShopify,
    )
