"""Events: what connectors tell the hub, and what the hub tells plugins.

Inbound changes are produced by a connector's decoding of a webhook or a poll page; the hub
merges them into the store. Notifications are broadcast to plugins after a change committed.
All are frozen: an event is a fact, not a draft.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from orderhub.core.model.fulfillment import TrackingEvent
from orderhub.core.model.orders import Order, OrderStatus
from orderhub.core.money import Money

# ---------------------------------------------------------------- inbound (connector -> hub)


class OrderObserved(msgspec.Struct, frozen=True, kw_only=True, tag="order_observed"):
    """A full snapshot of an order as the channel has it now; merged by external id."""

    order: Order


class OrderCancelObserved(msgspec.Struct, frozen=True, kw_only=True, tag="order_cancel_observed"):
    connection: str
    external_id: str
    reason: str | None = None
    at: datetime | None = None


class RefundObserved(msgspec.Struct, frozen=True, kw_only=True, tag="refund_observed"):
    connection: str
    order_external_id: str
    refund_id: str
    amount: Money
    line_quantities: dict[str, int] = {}
    """Channel line id -> quantity refunded."""
    restock: bool = False
    at: datetime | None = None


class StockObserved(msgspec.Struct, frozen=True, kw_only=True, tag="stock_observed"):
    """A channel or WMS says how many units it sees at one of its locations."""

    connection: str
    location_ref: str
    """The provider's location id; the connection maps it to an OrderHub location."""
    quantity: int
    sku: str | None = None
    item_ref: str | None = None
    """The provider's item id when no SKU is sent (Shopify inventory_item_id)."""
    at: datetime | None = None


class TrackingObserved(msgspec.Struct, frozen=True, kw_only=True, tag="tracking_observed"):
    event: TrackingEvent
    shipment_ref: str | None = None


class ConnectionRevoked(msgspec.Struct, frozen=True, kw_only=True, tag="connection_revoked"):
    """The provider withdrew our access (e.g. Shopify app/uninstalled)."""

    connection: str
    reason: str


InboundChange = (
    OrderObserved
    | OrderCancelObserved
    | RefundObserved
    | StockObserved
    | TrackingObserved
    | ConnectionRevoked
)

# ---------------------------------------------------------------- notifications (hub -> plugins)


class OrderChanged(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    connection: str
    number: str
    status: OrderStatus
    action: str
    version: int
    at: datetime


class StockChanged(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    location: str
    on_hand: int
    reserved: int
    available: int
    at: datetime


class ShipmentChanged(msgspec.Struct, frozen=True, kw_only=True):
    shipment_id: str
    order_id: str
    status: str
    tracking_number: str | None
    at: datetime
