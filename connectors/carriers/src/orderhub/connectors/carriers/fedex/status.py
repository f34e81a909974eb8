"""FedEx scan event types in OrderHub's vocabulary (FedEx's Tracking Status Codes table)."""

from __future__ import annotations

from orderhub.core.model.fulfillment import TrackingStatus

_GROUPS: dict[TrackingStatus, tuple[str, ...]] = {
    TrackingStatus.PRE_TRANSIT: ("OC",),  # order created: label made, not yet with FedEx
    TrackingStatus.IN_TRANSIT: (
        "PU", "PX",  # picked up
        "OF", "AR", "AF", "SF", "FD",  # at an origin, local, sort or destination facility
        "IT", "IX", "DP", "LO", "TR", "SP", "CH",  # moving, departed, transferred, split
        "AA", "PF", "PL", "EA", "EO",  # the air legs
        "CC", "CP",  # customs cleared / clearance in progress
        "AO", "AE",  # arriving on time / early
        "DD", "DY", "PD",  # delays: still moving, late; nothing for an operator to do
    ),
    TrackingStatus.OUT_FOR_DELIVERY: ("OD", "ED", "AD"),  # on vehicle, enroute to, at delivery
    TrackingStatus.AVAILABLE_FOR_PICKUP: ("HP", "HL"),  # ready for pickup, hold at location
    TrackingStatus.DELIVERY_ATTEMPTED: ("DE",),  # delivery exception: not delivered this time
    TrackingStatus.DELIVERED: ("DL",),
    TrackingStatus.RETURNED_TO_SENDER: ("RS",),
    TrackingStatus.EXCEPTION: ("SE", "CD"),  # shipment exception, clearance delay
    TrackingStatus.CANCELLED: ("CA",),
}  # fmt: skip

STATUS_MAP: dict[str, TrackingStatus] = {
    code: status for status, codes in _GROUPS.items() for code in codes
}


def canonical_status(event_type: str | None, derived: str | None = None) -> TrackingStatus:
    """By the scan's own type; FedEx's derived code decides when the type is not known."""
    for code in (event_type, derived):
        if code and code.upper() in STATUS_MAP:
            return STATUS_MAP[code.upper()]
    return TrackingStatus.UNKNOWN
