"""Registering the webhook subscriptions a connection needs, once each."""

from __future__ import annotations

from orderhub.connectors.shopify import queries
from orderhub.connectors.shopify.graphql import GraphQLClient, user_errors
from orderhub.connectors.shopify.webhooks import TOPICS
from orderhub.core.connectors import ExternalRef, PermanentError


def topic_enum(topic: str) -> str:
    """Shopify's WebhookSubscriptionTopic spelling: orders/create -> ORDERS_CREATE."""
    return topic.replace("/", "_").upper()


async def register(client: GraphQLClient, callback_url: str) -> list[ExternalRef]:
    """Subscribe `callback_url` to every topic; subscriptions that already exist are kept."""
    if not callback_url.startswith("https://"):
        raise PermanentError(f"Shopify delivers webhooks over HTTPS only, not to {callback_url!r}")
    data = await client.execute("WebhookSubscriptions", queries.WEBHOOK_SUBSCRIPTIONS)
    existing = {
        (node.get("topic"), node.get("uri")): node.get("id")
        for node in (data.get("webhookSubscriptions") or {}).get("nodes") or []
    }
    refs: list[ExternalRef] = []
    for topic in TOPICS:
        enum = topic_enum(topic)
        known = existing.get((enum, callback_url))
        if known:
            refs.append(ExternalRef(id=known, url=callback_url))
            continue
        result = await client.execute(
            "CreateWebhook",
            queries.WEBHOOK_CREATE,
            {"topic": enum, "webhookSubscription": {"uri": callback_url, "format": "JSON"}},
        )
        payload = result.get("webhookSubscriptionCreate")
        user_errors(payload, f"webhookSubscriptionCreate {enum}")
        subscription = (payload or {}).get("webhookSubscription") or {}
        if not subscription.get("id"):
            raise PermanentError(f"webhookSubscriptionCreate {enum}: no subscription", body=result)
        refs.append(ExternalRef(id=subscription["id"], url=callback_url))
    return refs
