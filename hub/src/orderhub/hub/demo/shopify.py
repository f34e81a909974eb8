"""The demo's Shopify store, the day before the story starts.

Three webhooks arrive, signed with the connection's client secret and taken in exactly as
`POST /webhooks/{connection}` takes them (the connector verifies the signature, the inbox
stores the delivery), then processed by the worker's own job:

1. `orders/create` for an order with a variant OrderHub does not sell: merged, it waits on
   hold for the unknown SKU;
2. `orders/edited`, a topic someone subscribed to in the Shopify admin that the connector
   does not read: the event is dead, for an operator to look at (a replay fails the same
   way until the connector reads that topic);
3. `app/uninstalled`: the connection is revoked. From then on the worker calls nothing at
   Shopify — the stock updates the story queues for the store are dead-lettered with the
   revocation's reason, to be replayed once the app is installed again.

So the store needs no network, before or after `orderhub serve` starts. The payloads follow
Shopify's documented webhook bodies; ids, names and addresses are invented.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from orderhub.core.connection import Connection
from orderhub.core.connectors import WebhookRequest
from orderhub.hub.runtime import Hub
from orderhub.hub.store.types import clock_at
from orderhub.hub.sync import inbox

CONNECTOR = "shopify"
UNKNOWN_VARIANT = ("TEE-ORG-GRN-M", "Organic cotton tee, green, M", "24.90")
"""A colour added in the Shopify admin and never to OrderHub's catalogue."""


def shopify_connections(hub: Hub) -> list[Connection]:
    return [
        conn
        for conn in sorted(hub.connections.values(), key=lambda c: c.id)
        if conn.enabled and conn.connector == CONNECTOR
    ]


def _money_set(amount: str) -> dict[str, Any]:
    money = {"amount": amount, "currency_code": "EUR"}
    return {"shop_money": money, "presentment_money": money}


def _order(at: datetime) -> dict[str, Any]:
    stamp = at.isoformat(timespec="seconds")
    sku, title, price = UNKNOWN_VARIANT
    address = {
        "first_name": "Margaux",
        "last_name": "Lemoine",
        "address1": "18 rue Sainte-Catherine",
        "city": "Bordeaux",
        "zip": "33000",
        "country": "France",
        "country_code": "FR",
        "phone": None,
    }
    return {
        "id": 6120447811,
        "admin_graphql_api_id": "gid://shopify/Order/6120447811",
        "name": "#1001",
        "email": "margaux.lemoine@example.net",
        "created_at": stamp,
        "updated_at": stamp,
        "processed_at": stamp,
        "currency": "EUR",
        "financial_status": "paid",
        "fulfillment_status": None,
        "test": False,
        "total_price_set": _money_set("54.70"),
        "total_shipping_price_set": _money_set("4.90"),
        "line_items": [
            {
                "id": 15001,
                "variant_id": 48210001,
                "product_id": 9120001,
                "sku": "TEE-ORG-BLK-M",
                "title": "Organic cotton tee",
                "name": "Organic cotton tee - black / M",
                "quantity": 1,
                "price": "24.90",
                "price_set": _money_set("24.90"),
                "requires_shipping": True,
            },
            {
                "id": 15002,
                "variant_id": 48210077,
                "product_id": 9120001,
                "sku": sku,
                "title": "Organic cotton tee",
                "name": title,
                "quantity": 1,
                "price": price,
                "price_set": _money_set(price),
                "requires_shipping": True,
            },
        ],
        "shipping_lines": [
            {
                "title": "Standard",
                "code": "standard",
                "price": "4.90",
                "price_set": _money_set("4.90"),
            }
        ],
        "customer": {
            "id": 7300112,
            "email": "margaux.lemoine@example.net",
            "first_name": "Margaux",
            "last_name": "Lemoine",
        },
        "shipping_address": address,
        "billing_address": address,
    }


def _order_edit(at: datetime) -> dict[str, Any]:
    return {
        "order_edit": {
            "id": 78101,
            "app_id": None,
            "created_at": at.isoformat(timespec="seconds"),
            "committed_at": at.isoformat(timespec="seconds"),
            "notify_customer": False,
            "order_id": 6120447811,
            "staff_note": "",
            "user_id": 8200041,
            "line_items": {"additions": [], "removals": [{"id": 15002, "delta": 1}]},
            "discounts": {"line_item": {"additions": [], "removals": []}},
            "shipping_lines": {"additions": [], "removals": []},
        }
    }


def _shop(conn: Connection) -> dict[str, Any]:
    domain = conn.settings.shop_domain
    return {
        "id": 61738811466,
        "name": "OrderHub Demo",
        "email": "shop@example.com",
        "domain": domain,
        "myshopify_domain": domain,
        "country_code": "FR",
        "currency": "EUR",
        "iana_timezone": "Europe/Paris",
    }


async def deliver(hub: Hub, conn: Connection, topic: str, payload: Any, at: datetime) -> str:
    """One signed delivery through the webhook door and the inbox job; what became of it."""
    body = json.dumps(payload).encode()
    digest = hmac.new(conn.settings.client_secret.encode(), body, hashlib.sha256).digest()
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": base64.b64encode(digest).decode(),
        "x-shopify-shop-domain": conn.settings.shop_domain,
        "x-shopify-api-version": conn.settings.api_version,
        "x-shopify-webhook-id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{conn.id}/{topic}")),
        "x-shopify-triggered-at": at.isoformat(),
    }
    with clock_at(at):
        envelope = hub.connector(conn.id).verify_webhook(
            WebhookRequest(body=body, headers=headers, query={})
        )
        async with hub.transaction() as session:
            inbox_id = await inbox.store(
                session,
                connection_id=conn.id,
                event_id=envelope.event_id,
                topic=envelope.topic,
                headers=headers,
                body=body,
            )
        assert inbox_id is not None
        return await inbox.process_inbox({"hub": hub}, inbox_id)


async def before_the_story(hub: Hub, start: datetime) -> list[str]:
    """The three deliveries of each Shopify connection; returns what became of each."""
    outcomes = []
    for conn in shopify_connections(hub):
        placed = start - timedelta(hours=30)
        outcomes.append(await deliver(hub, conn, "orders/create", _order(placed), placed))
        edited = start - timedelta(hours=27)
        outcomes.append(await deliver(hub, conn, "orders/edited", _order_edit(edited), edited))
        gone = start - timedelta(hours=24)
        outcomes.append(await deliver(hub, conn, "app/uninstalled", _shop(conn), gone))
    return outcomes
