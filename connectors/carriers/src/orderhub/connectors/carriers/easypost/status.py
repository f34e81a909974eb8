"""EasyPost tracker statuses in OrderHub's vocabulary."""

from __future__ import annotations

from orderhub.core.model.fulfillment import TrackingStatus

STATUS_MAP: dict[str, TrackingStatus] = {
    "unknown": TrackingStatus.UNKNOWN,
    "pre_transit": TrackingStatus.PRE_TRANSIT,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "delivered": TrackingStatus.DELIVERED,
    "return_to_sender": TrackingStatus.RETURNED_TO_SENDER,
    "failure": TrackingStatus.EXCEPTION,
    "cancelled": TrackingStatus.CANCELLED,
    "error": TrackingStatus.UNKNOWN,
}
"""EasyPost's documented `Tracker.status` values. `error` means EasyPost could not read the
carrier's data, which says nothing about the parcel, hence unknown."""


def canonical_status(status: str) -> TrackingStatus:
    return STATUS_MAP.get(status, TrackingStatus.UNKNOWN)
