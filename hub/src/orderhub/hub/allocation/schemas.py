"""API shapes for holds, routing, edits and stock movements. Input is decoded strictly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from orderhub.core.model import FulfillmentMethod, HoldReason
from orderhub.core.routing import TraceEntry
from orderhub.hub.allocation.holds import ActiveHold
from orderhub.hub.orders.schemas import ManualOrderIn, ManualShippingIn
from orderhub.hub.schemas import AddressIn

Note = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Sku = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


# ------------------------------------------------------------------------------ holds


class HoldList(msgspec.Struct, kw_only=True):
    items: list[ActiveHold]
    """Oldest first."""
    next_after: str | None
    """Pass back as `after` for the next page; None on the last one."""


class HoldIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An operator stops an order before release; the detail says why and what would fix it."""

    detail: Note


class ClearHoldIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Note
    """Why it may proceed: kept with who cleared the hold."""


# ------------------------------------------------------------------------------ edits


class LineEditIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    quantity: int | None = None
    """The units the customer now wants (at least 1)."""
    cancel: bool = False
    """Cancel the line's remaining units instead."""


class OrderEditIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What changes; absent fields stay as they are."""

    version: int | None = None
    """The version you read (or send it as an `If-Match` header); 409 if it moved on."""
    shipping_address: AddressIn | None = None
    shipping: ManualShippingIn | None = None
    """The shipping method (code) and its price."""
    lines: list[LineEditIn] = []
    reason: Note | None = None


class RerouteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location: Code | None = None
    """Allocate only from this location (the channel's routing rules do not apply)."""
    reason: Note | None = None


# ------------------------------------------------------------------------------ routing


class SimulateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Either an existing order (`order_id`: what a re-route would do now) or a new one
    (`order`: what would happen if it were placed now)."""

    order_id: str | None = None
    order: ManualOrderIn | None = None


class PlanGroupOut(msgspec.Struct, kw_only=True):
    location: str
    method: FulfillmentMethod
    lines: dict[str, int]
    """Line id (or line index, for an order not stored) -> units."""


class PreorderOut(msgspec.Struct, kw_only=True):
    line: str
    quantity: int
    location: str
    expected_on: date
    reference: str | None


class UnallocatedOut(msgspec.Struct, kw_only=True):
    line: str
    quantity: int
    reason: str


class HoldPreview(msgspec.Struct, kw_only=True):
    reason: HoldReason
    detail: str
    check: str | None


class SimulationOut(msgspec.Struct, kw_only=True):
    holds: list[HoldPreview]
    """Holds the checks would place (a held order is not routed until released)."""
    groups: list[PlanGroupOut]
    backordered: dict[str, int]
    preordered: list[PreorderOut]
    unallocated: list[UnallocatedOut]
    promised_date: date | None
    trace: list[TraceEntry]
    explanation: str
    """The trace as text, one decision a line."""


class RuleOut(msgspec.Struct, kw_only=True):
    name: str
    kind: str
    """filter or sort."""
    description: str


class ChannelRulesOut(msgspec.Struct, kw_only=True):
    connection: str
    rules: list[Any]
    allow_split: bool
    split_min_value: Any
    backorder: str
    preorder: bool
    feeds_from: list[str]
    """Empty: every active location."""


class RulesOut(msgspec.Struct, kw_only=True):
    available: list[RuleOut]
    """Every rule a channel may list: the built-ins and the plugins'."""
    default: ChannelRulesOut
    channels: list[ChannelRulesOut]


# ------------------------------------------------------------------------------ stock


class IncomingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A purchase order or transfer line expected at a location."""

    sku: Sku
    location: Code
    quantity: int
    expected_on: date
    reference: Reference


class IncomingOut(msgspec.Struct, kw_only=True):
    id: int
    sku: str
    location: str
    quantity: int
    received: int
    promised: int
    """Units already preordered against it."""
    expected_on: date
    reference: str
    status: str
    created_at: datetime


class IncomingList(msgspec.Struct, kw_only=True):
    items: list[IncomingOut]


class ReceiptIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    quantity: int
    reference: Reference | None = None
    """The purchase order or transfer received; its incoming lot is marked received."""
    reason: Note | None = None


class FillOut(msgspec.Struct, kw_only=True):
    order_id: str
    order_number: str
    line_id: str
    quantity: int


class ReceiptOut(msgspec.Struct, kw_only=True):
    sku: str
    location: str
    received: int
    on_hand: int
    reserved: int
    available: int
    filled: list[FillOut]
    """Backordered lines allocated from this receipt, oldest order first."""
    incoming_id: int | None


class TransferIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    from_location: Code
    to_location: Code
    quantity: int
    expected_on: date | None = None
    """When it arrives; without it the units arrive at once. With it they are incoming at
    the destination until received (`POST /stock/{sku}/{location}/receipts` with the
    transfer's reference)."""
    reference: Reference | None = None


class TransferOut(msgspec.Struct, kw_only=True):
    reference: str
    sku: str
    from_location: str
    to_location: str
    quantity: int
    incoming_id: int | None
    filled: list[FillOut]


class CountLineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    location: Code
    counted: int
    """Units on the shelf, reserved ones included (not yet shipped)."""


class CountIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    counts: list[CountLineIn]
    reference: Reference | None = None


class CountLineOut(msgspec.Struct, kw_only=True):
    sku: str
    location: str
    counted: int
    on_hand_before: int
    reserved: int
    available: int
    reservations_given_back: int
    """Reserved units the count could not cover, taken back from the newest orders."""
    filled: list[FillOut]


class CountOut(msgspec.Struct, kw_only=True):
    items: list[CountLineOut]
