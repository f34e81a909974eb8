"""Shipment Tracking - Unified: its `statusCode` vocabulary and events as tracking facts."""

from __future__ import annotations

import msgspec

from orderhub.connectors.carriers._common import parse_timestamp
from orderhub.core.model.fulfillment import TrackingEvent, TrackingStatus

STATUS_MAP: dict[str, TrackingStatus] = {
    "pre-transit": TrackingStatus.PRE_TRANSIT,
    "transit": TrackingStatus.IN_TRANSIT,
    "delivered": TrackingStatus.DELIVERED,
    "failure": TrackingStatus.EXCEPTION,
    "unknown": TrackingStatus.UNKNOWN,
}
"""The API's whole `statusCode` enumeration. It is coarse on purpose (out for delivery is
`transit`); the free-text `status`/`description` stay on the event for operators."""


def canonical_status(status_code: str | None) -> TrackingStatus:
    return STATUS_MAP.get((status_code or "").lower(), TrackingStatus.UNKNOWN)


class UAddress(msgspec.Struct, kw_only=True):
    countryCode: str | None = None  # noqa: N815 - DHL's field names
    postalCode: str | None = None  # noqa: N815
    addressLocality: str | None = None  # noqa: N815


class UPlace(msgspec.Struct, kw_only=True):
    address: UAddress | None = None


class UEvent(msgspec.Struct, kw_only=True):
    timestamp: str
    statusCode: str | None = None  # noqa: N815
    status: str | None = None
    description: str | None = None
    location: UPlace | None = None


class UShipment(msgspec.Struct, kw_only=True):
    id: str | int
    service: str | None = None
    status: UEvent | None = None
    events: list[UEvent] = []


class UResponse(msgspec.Struct, kw_only=True):
    shipments: list[UShipment] = []


class UProblem(msgspec.Struct, kw_only=True):
    """RFC 7807 problem details, the shape of every error of this API."""

    title: str | None = None
    detail: str | None = None
    status: int | None = None
    instance: str | None = None


def events(answer: UResponse, tracking_number: str) -> list[TrackingEvent]:
    """Events of the shipment asked for, oldest first; its current status if it has none."""
    matching = [s for s in answer.shipments if str(s.id) == tracking_number] or answer.shipments
    found: list[TrackingEvent] = []
    for shipment in matching:
        scans = shipment.events or ([shipment.status] if shipment.status else [])
        found += [_event(tracking_number, scan) for scan in scans]
    return sorted(found, key=lambda e: e.occurred_at)


def _event(tracking_number: str, scan: UEvent) -> TrackingEvent:
    address = scan.location.address if scan.location else None
    place = (
        ", ".join(
            p for p in (address.addressLocality, address.postalCode, address.countryCode) if p
        )
        if address
        else ""
    )
    return TrackingEvent(
        tracking_number=tracking_number,
        carrier="dhl",
        status=canonical_status(scan.statusCode),
        raw_status=scan.statusCode or "unknown",
        occurred_at=parse_timestamp(scan.timestamp, what="DHL event"),
        description=scan.description or scan.status,
        location=place or None,
    )
