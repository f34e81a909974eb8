"""From allocation to the customer's door: fulfillment groups, parcels, shipments, tracking."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from orderhub.core.money import Money


class FulfillmentStatus(enum.StrEnum):
    PLANNED = "planned"
    RELEASED = "released"
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class FulfillmentMethod(enum.StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    DROP_SHIP = "drop_ship"


class FulfillmentLine(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    quantity: int


class FulfillmentGroup(msgspec.Struct, kw_only=True):
    """The part of an order one location fulfils."""

    id: str
    order_id: str
    location: str
    method: FulfillmentMethod
    lines: list[FulfillmentLine]
    status: FulfillmentStatus = FulfillmentStatus.PLANNED


class Parcel(msgspec.Struct, kw_only=True):
    weight_grams: int
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    lines: list[FulfillmentLine] = []


class TrackingStatus(enum.StrEnum):
    """One vocabulary for every carrier; each carrier plugin maps its own codes to it."""

    PRE_TRANSIT = "pre_transit"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    DELIVERED = "delivered"
    RETURNED_TO_SENDER = "returned_to_sender"
    EXCEPTION = "exception"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class TrackingEvent(msgspec.Struct, frozen=True, kw_only=True):
    tracking_number: str
    carrier: str
    status: TrackingStatus
    raw_status: str
    """The carrier's own code, kept for operators and audits."""
    occurred_at: datetime
    description: str | None = None
    location: str | None = None


class Shipment(msgspec.Struct, kw_only=True):
    id: str
    order_id: str
    fulfillment_group_id: str | None
    carrier: str
    service: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    status: TrackingStatus = TrackingStatus.PRE_TRANSIT
    parcels: list[Parcel] = []
    cost: Money | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    events: list[TrackingEvent] = []
