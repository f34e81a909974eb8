"""Per-connection settings of a Shopify store, decoded strictly from the hub's config."""

from __future__ import annotations

from typing import Annotated

import msgspec

ShopDomain = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$",
        description="The store's permanent *.myshopify.com domain (not a custom domain).",
    ),
]
ApiVersion = Annotated[
    str,
    msgspec.Meta(pattern=r"^(\d{4}-(01|04|07|10)|unstable)$", description="e.g. 2026-04"),
]


class ShopifySettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One store. Secrets never appear in `repr`, so a logged config leaks nothing."""

    shop_domain: ShopDomain
    access_token: Annotated[str, msgspec.Meta(min_length=1)]
    """Admin API access token, sent as X-Shopify-Access-Token."""
    client_secret: Annotated[str, msgspec.Meta(min_length=1)]
    """The app's client secret: the key of every webhook's HMAC."""
    api_version: ApiVersion = "2026-04"
    notify_customer: bool = True
    """Let Shopify e-mail the customer about fulfillments and refunds."""
    refund_on_cancel: bool = True
    """A cancellation pushed from OrderHub refunds the original payment methods."""
    initial_lookback_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 30
    """How far back the first pull imports orders (Shopify shows 60 days without read_all_orders)."""
    pull_page_size: Annotated[int, msgspec.Meta(ge=1, le=250)] = 250
    """Orders per pull page; lowered automatically when Shopify says a page costs too much."""
    max_throttle_wait_seconds: Annotated[float, msgspec.Meta(ge=0)] = 10.0
    """Wait this long at most for the rate-limit bucket; beyond it the call is retried later."""
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0

    def __repr__(self) -> str:
        return (
            f"ShopifySettings(shop_domain={self.shop_domain!r}, api_version={self.api_version!r}, "
            "access_token=<hidden>, client_secret=<hidden>)"
        )

    @property
    def graphql_url(self) -> str:
        return f"https://{self.shop_domain}/admin/api/{self.api_version}/graphql.json"
