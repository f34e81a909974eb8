"""The canonical model: every connector translates to and from these types."""

from orderhub.core.model.catalog import Item
from orderhub.core.model.common import Address, Customer, GeoPoint
from orderhub.core.model.fulfillment import (
    FulfillmentGroup,
    FulfillmentLine,
    FulfillmentMethod,
    FulfillmentStatus,
    Parcel,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from orderhub.core.model.history import SYSTEM, Actor, ActorKind, HistoryEntry
from orderhub.core.model.invoices import Invoice, InvoiceLine
from orderhub.core.model.locations import Location, LocationCapability, LocationKind, PickSchedule
from orderhub.core.model.orders import (
    Discount,
    FinancialStatus,
    Hold,
    HoldReason,
    Order,
    OrderLine,
    OrderStatus,
    OrderTotals,
    Payment,
    ShippingLine,
    TaxLine,
)
from orderhub.core.model.returns import Return, ReturnLine, ReturnStatus
from orderhub.core.model.stock import (
    IncomingStock,
    MovementKind,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
)
from orderhub.core.money import Money

__all__ = [
    "SYSTEM",
    "Actor",
    "ActorKind",
    "Address",
    "Customer",
    "Discount",
    "FinancialStatus",
    "FulfillmentGroup",
    "FulfillmentLine",
    "FulfillmentMethod",
    "FulfillmentStatus",
    "GeoPoint",
    "HistoryEntry",
    "Hold",
    "HoldReason",
    "IncomingStock",
    "Invoice",
    "InvoiceLine",
    "Item",
    "Location",
    "LocationCapability",
    "LocationKind",
    "Money",
    "MovementKind",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OrderTotals",
    "Parcel",
    "Payment",
    "PickSchedule",
    "Reservation",
    "ReservationStatus",
    "Return",
    "ReturnLine",
    "ReturnStatus",
    "Shipment",
    "ShippingLine",
    "StockLevel",
    "StockMovement",
    "TaxLine",
    "TrackingEvent",
    "TrackingStatus",
]
