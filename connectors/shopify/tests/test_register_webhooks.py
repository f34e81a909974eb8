"""Webhook registration: one webhookSubscriptionCreate per missing topic."""

from __future__ import annotations

import httpx
import pytest

from orderhub.core.connectors import ExternalRef, PermanentError, TransientError

CALLBACK = "https://oms.example.com/webhooks/shopify-eu"


async def test_missing_topics_are_subscribed_and_existing_ones_kept(
    connector, shopify, kit
) -> None:
    created = iter(range(1047897700, 1047897800))

    def create_answer(topic: str) -> dict:
        answer = kit.payload_json("graphql_webhook_create.json")
        subscription = answer["data"]["webhookSubscriptionCreate"]["webhookSubscription"]
        subscription.update(id=f"gid://shopify/WebhookSubscription/{next(created)}", topic=topic)
        return answer

    shopify.on("WebhookSubscriptions", "graphql_webhook_subscriptions.json")
    topics = [
        "ORDERS_UPDATED",
        "ORDERS_PAID",
        "ORDERS_CANCELLED",
        "REFUNDS_CREATE",
        "INVENTORY_LEVELS_UPDATE",
        "APP_UNINSTALLED",
    ]
    shopify.on("CreateWebhook", *[create_answer(topic) for topic in topics])

    refs = await connector.register_webhooks(CALLBACK)

    # ORDERS_CREATE already points here; APP_UNINSTALLED points elsewhere, so it is created.
    assert shopify.variables("CreateWebhook") == [
        {"topic": topic, "webhookSubscription": {"uri": CALLBACK, "format": "JSON"}}
        for topic in topics
    ]
    assert refs[0] == ExternalRef(id="gid://shopify/WebhookSubscription/1047897672", url=CALLBACK)
    assert [ref.id for ref in refs[1:]] == [
        f"gid://shopify/WebhookSubscription/{n}" for n in range(1047897700, 1047897706)
    ]


async def test_registration_user_errors_are_permanent(connector, shopify) -> None:
    shopify.on("WebhookSubscriptions", {"data": {"webhookSubscriptions": {"nodes": []}}})
    shopify.on(
        "CreateWebhook",
        {
            "data": {
                "webhookSubscriptionCreate": {
                    "webhookSubscription": None,
                    "userErrors": [
                        {"field": ["webhookSubscription", "uri"], "message": "Address is invalid"}
                    ],
                }
            }
        },
    )
    with pytest.raises(PermanentError, match="ORDERS_CREATE.*Address is invalid"):
        await connector.register_webhooks(CALLBACK)


async def test_only_https_callbacks_are_registered(connector, shopify) -> None:
    with pytest.raises(PermanentError, match="HTTPS"):
        await connector.register_webhooks("http://localhost:8000/webhooks/shopify-eu")
    assert shopify.calls == []


async def test_a_server_error_during_registration_is_transient(connector, shopify) -> None:
    shopify.on("WebhookSubscriptions", httpx.Response(503, text="Service Unavailable"))
    with pytest.raises(TransientError):
        await connector.register_webhooks(CALLBACK)
