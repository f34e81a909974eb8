"""The core conformance kit, run against the Shopify connector with real-shaped deliveries."""

from __future__ import annotations

from pathlib import Path

from orderhub.connectors.shopify import ShopifyConnector, ShopifySettings
from orderhub.core.connectors import WebhookRequest
from orderhub.core.testing import ConnectorConformance, sign_hmac_sha256, webhook_request

PAYLOADS = Path(__file__).parent / "payloads"
SHOP = "conformance-store.myshopify.com"
SAMPLES = [
    ("orders/create", "orders_create.json"),
    ("orders/paid", "orders_paid.json"),
    ("orders/updated", "orders_updated.json"),
    ("orders/cancelled", "orders_cancelled.json"),
    ("orders/create", "orders_create_no_sku.json"),
    ("refunds/create", "refunds_create.json"),
    ("inventory_levels/update", "inventory_levels_update.json"),
    ("app/uninstalled", "app_uninstalled.json"),
]


class TestShopifyConformance(ConnectorConformance):
    connector_class = ShopifyConnector
    entry_point = "shopify"
    signature_headers = ("x-shopify-hmac-sha256",)

    def settings(self, secret: str) -> ShopifySettings:
        return ShopifySettings(
            shop_domain=SHOP, access_token="shpat_conformance", client_secret=secret
        )

    def webhook_samples(self, secret: str) -> list[WebhookRequest]:
        samples = []
        for number, (topic, name) in enumerate(SAMPLES):
            body = (PAYLOADS / name).read_bytes()
            samples.append(
                webhook_request(
                    body,
                    {
                        "Content-Type": "application/json",
                        "X-Shopify-Topic": topic,
                        "X-Shopify-Hmac-Sha256": sign_hmac_sha256(secret, body),
                        "X-Shopify-Shop-Domain": SHOP,
                        "X-Shopify-API-Version": "2026-04",
                        "X-Shopify-Webhook-Id": f"5f0a1c2e-7d3b-4e8f-9a61-00000000000{number}",
                        "X-Shopify-Event-Id": f"9d8e7f60-1a2b-4c3d-8e9f-00000000000{number}",
                        "X-Shopify-Triggered-At": "2026-05-04T14:15:44.123456789Z",
                    },
                )
            )
        return samples
