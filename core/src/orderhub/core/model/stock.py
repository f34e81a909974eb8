"""Stock per (item, location), reservations and the movements ledger."""

from __future__ import annotations

import enum
from datetime import date, datetime

import msgspec


class StockLevel(msgspec.Struct, kw_only=True):
    """The numbers for one SKU at one location.

    `reserved` is derived from active reservations; `available` is what routing may promise.
    """

    sku: str
    location: str
    on_hand: int = 0
    reserved: int = 0
    incoming: int = 0
    safety_stock: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.safety_stock


class ReservationStatus(enum.StrEnum):
    ACTIVE = "active"
    """Holds units against on-hand stock."""
    RELEASED = "released"
    """Given back (cancellation, edit, re-route)."""
    CONSUMED = "consumed"
    """Turned into a shipment: on hand went down by the same quantity."""


class Reservation(msgspec.Struct, kw_only=True):
    order_id: str
    line_id: str
    sku: str
    location: str
    quantity: int
    status: ReservationStatus = ReservationStatus.ACTIVE
    created_at: datetime | None = None


class MovementKind(enum.StrEnum):
    """Why on-hand stock changed. Every change of on hand is one ledger row."""

    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    COUNT = "count"
    """An absolute snapshot from a warehouse count or a connector."""
    SHIPMENT = "shipment"
    RETURN = "return"
    SET = "set"
    """Set to an absolute number by an operator or import."""


class StockMovement(msgspec.Struct, kw_only=True):
    sku: str
    location: str
    kind: MovementKind
    delta: int
    on_hand_after: int
    reason: str | None = None
    reference: str | None = None
    actor: str | None = None
    at: datetime | None = None


class IncomingStock(msgspec.Struct, kw_only=True):
    """A purchase order or transfer line expected at a location on a date."""

    sku: str
    location: str
    quantity: int
    expected_on: date
    reference: str
