"""OrderHub's Shopify connector (GraphQL Admin API 2026-04 and REST webhooks)."""

from orderhub.connectors.shopify.connector import ShopifyConnector
from orderhub.connectors.shopify.settings import ShopifySettings
from orderhub.connectors.shopify.throttle import ThrottleStatus

__all__ = ["ShopifyConnector", "ShopifySettings", "ThrottleStatus"]
