"""API shapes for fulfillment. Input is decoded strictly: an unknown field is an error."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from orderhub.core.connectors import Rate
from orderhub.core.model import Address, TrackingStatus
from orderhub.core.money import Money

Positive = Annotated[int, msgspec.Meta(ge=1)]
NotNegative = Annotated[int, msgspec.Meta(ge=0)]
LineId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]

# ------------------------------------------------------------------------------- input


class PickIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_id: LineId
    found: NotNegative
    """Units actually found; fewer than asked is a short pick."""


class PicksIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What the picker found, for every line of the group (each line once)."""

    lines: Annotated[list[PickIn], msgspec.Meta(min_length=1)]


class ParcelIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    weight_grams: Positive
    length_mm: Positive | None = None
    width_mm: Positive | None = None
    height_mm: Positive | None = None
    lines: dict[LineId, Positive] | None = None
    """Order line id -> units in this parcel. May be left out when there is one parcel: it
    then holds everything picked."""


class PackIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The parcels of a picked group; together they hold exactly the units picked."""

    parcels: Annotated[list[ParcelIn], msgspec.Meta(min_length=1, max_length=100)]


# ------------------------------------------------------------------------------ output


class FulfillmentLineOut(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    name: str
    quantity: int
    """Units to send (after a short pick: what was found)."""
    quantity_picked: int | None
    quantity_short: int


class FulfillmentOut(msgspec.Struct, kw_only=True):
    id: str
    order_id: str
    order_number: str
    location: str
    method: str
    status: str
    """planned | released | picking (picks confirmed) | packed | shipped | cancelled."""
    release_rule: str | None
    planned_at: datetime
    released_at: datetime | None
    picked_at: datetime | None
    packed_at: datetime | None
    shipped_at: datetime | None
    lines: list[FulfillmentLineOut]
    shipments: list[str]
    """Ids of its shipments (one per parcel), cancelled ones left out."""


class FulfillmentList(msgspec.Struct, kw_only=True):
    items: list[FulfillmentOut]


class PickLine(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    name: str
    quantity: int


class PickListEntry(msgspec.Struct, kw_only=True):
    fulfillment_id: str
    order_id: str
    order_number: str
    released_at: datetime | None
    ship_to_country: str | None
    lines: list[PickLine]


class SkuTotal(msgspec.Struct, kw_only=True):
    sku: str
    name: str
    quantity: int


class PickList(msgspec.Struct, kw_only=True):
    """Everything released to a location and not yet picked, oldest release first, with the
    units per SKU for picking a whole wave in one walk."""

    location: str
    fulfillments: list[PickListEntry]
    totals: list[SkuTotal]


class ParcelOut(msgspec.Struct, kw_only=True):
    weight_grams: int
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None


class LabelOut(msgspec.Struct, kw_only=True):
    id: str
    """Our reference, sent in the carrier's reference field."""
    status: str
    """purchasing | purchased | failed | unknown | voided."""
    connection: str
    carrier: str | None
    service: str | None
    label_format: str
    tracking_number: str | None
    provider_ref: str | None
    cost: Money | None
    error_code: str | None
    error_message: str | None
    created_at: datetime
    purchased_at: datetime | None
    voided_at: datetime | None


class TrackingEventOut(msgspec.Struct, kw_only=True):
    status: TrackingStatus
    raw_status: str
    occurred_at: datetime
    description: str | None
    location: str | None
    carrier: str
    source: str


class ShipmentOut(msgspec.Struct, kw_only=True):
    id: str
    order_id: str
    fulfillment_id: str
    location: str
    position: int
    status: str
    """packed | labelled | shipped | cancelled (replaced by a new packing) | voided."""
    parcel: ParcelOut
    lines: dict[str, int]
    connection: str | None
    carrier: str | None
    service: str | None
    rate: Rate | None
    rate_choice: dict[str, Any] | None
    """The rule's reasons, every rate considered with why it stayed or went, carrier errors."""
    tracking_number: str | None
    tracking_url: str | None
    tracking_status: TrackingStatus | None
    tracking_raw_status: str | None
    tracking_at: datetime | None
    cost: Money | None
    attention: str | None
    """Why an operator must look (a carrier refusal, an unknown purchase, an exception)."""
    attention_code: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    label: LabelOut | None
    """The latest label purchase, if any."""
    events: list[TrackingEventOut] = []
    """Every tracking event, oldest first (in the detail view)."""


class ShipmentList(msgspec.Struct, kw_only=True):
    items: list[ShipmentOut]


class ShipResult(msgspec.Struct, kw_only=True):
    fulfillment: FulfillmentOut
    shipments: list[ShipmentOut]


class WmsFulfillmentLine(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    name: str
    quantity: int


class WmsFulfillmentOrder(msgspec.Struct, kw_only=True):
    """What a 3PL is sent for a released group (`WmsConnector.send_fulfillment_order`)."""

    reference: str
    """The fulfillment id: the WMS's idempotency/reference field."""
    order_id: str
    order_number: str
    location: str
    location_ref: str | None
    """The WMS's own id for the location, from the connection's `locations` map."""
    ship_to: Address | None
    service_level: str | None
    promised_date: date | None
    lines: list[WmsFulfillmentLine]
