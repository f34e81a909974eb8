"""Entry point `orderhub = shopify`: registers the Shopify connector with OrderHub."""

from __future__ import annotations

from collections.abc import Callable

from orderhub.connectors.shopify.connector import ShopifyConnector
from orderhub.core.hookspecs import hookimpl


@hookimpl
def orderhub_register_connectors(register: Callable[[type], None]) -> None:
    register(ShopifyConnector)
