"""What a connector is: kinds, capabilities, the per-kind protocols and their errors.

A connector is a class. The hub makes one instance per *connection* (a configured account:
two Shopify stores are two connections of one connector) and calls its methods directly.
Connectors translate; they never touch the database or the queue.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

import msgspec

from orderhub.core.connection import Connection
from orderhub.core.events import InboundChange
from orderhub.core.model.common import Address
from orderhub.core.model.fulfillment import Parcel, TrackingEvent
from orderhub.core.money import Money


class ConnectorKind(enum.StrEnum):
    CHANNEL = "channel"
    """Where orders come from and availability goes to (Shopify, Amazon, POS)."""
    CARRIER = "carrier"
    """Rates, labels and tracking (EasyPost, DHL, FedEx, Colissimo)."""
    WMS = "wms"
    """A warehouse system or 3PL that picks and ships for us."""
    CRM = "crm"
    """Where customers are followed."""


class Capability(enum.StrEnum):
    """What a connector can do. Each capability requires the methods in `CAPABILITY_METHODS`."""

    RECEIVE_WEBHOOKS = "receive_webhooks"
    PULL_ORDERS = "pull_orders"
    PUSH_STOCK = "push_stock"
    PUSH_FULFILLMENT = "push_fulfillment"
    PUSH_CANCELLATION = "push_cancellation"
    PUSH_REFUND = "push_refund"
    REGISTER_WEBHOOKS = "register_webhooks"
    RATES = "rates"
    LABELS = "labels"
    TRACKING = "tracking"
    SEND_FULFILLMENT_ORDERS = "send_fulfillment_orders"
    PULL_INVENTORY = "pull_inventory"
    SYNC_CUSTOMERS = "sync_customers"


CAPABILITY_METHODS: dict[Capability, tuple[str, ...]] = {
    Capability.RECEIVE_WEBHOOKS: ("verify_webhook", "decode_webhook"),
    Capability.PULL_ORDERS: ("pull_orders",),
    Capability.PUSH_STOCK: ("push_stock",),
    Capability.PUSH_FULFILLMENT: ("push_fulfillment",),
    Capability.PUSH_CANCELLATION: ("push_cancellation",),
    Capability.PUSH_REFUND: ("push_refund",),
    Capability.REGISTER_WEBHOOKS: ("register_webhooks",),
    Capability.RATES: ("get_rates",),
    Capability.LABELS: ("buy_label", "void_label"),
    Capability.TRACKING: ("track",),
    Capability.SEND_FULFILLMENT_ORDERS: ("send_fulfillment_order",),
    Capability.PULL_INVENTORY: ("pull_inventory",),
    Capability.SYNC_CUSTOMERS: ("upsert_customer",),
}

# ------------------------------------------------------------------------------- errors


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""


class WebhookRejected(ConnectorError):
    """Signature missing or wrong: the hub answers 401 and stores nothing."""


class PayloadError(ConnectorError):
    """The body passed verification but cannot be decoded: recorded as a failed inbox event."""


class TransientError(ConnectorError):
    """Worth retrying: timeouts, 5xx, rate limits. `retry_after` in seconds when the API says."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Retrying will not help (4xx validation, revoked access): the job is dead-lettered."""

    def __init__(self, message: str, *, code: str | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.body = body


# ------------------------------------------------------------------------- value types


class WebhookRequest(msgspec.Struct, frozen=True, kw_only=True):
    """An inbound webhook exactly as received. Header names are lower-case."""

    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str] = {}


class WebhookEnvelope(msgspec.Struct, frozen=True, kw_only=True):
    """What verification learns without decoding the payload."""

    event_id: str
    """The provider's delivery/event id: the inbox dedupe key within the connection."""
    topic: str
    occurred_at: datetime | None = None


class InboundEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A stored inbox event handed back to the connector for decoding."""

    event_id: str
    topic: str
    body: bytes
    headers: Mapping[str, str]
    received_at: datetime


class PullPage(msgspec.Struct, frozen=True, kw_only=True):
    changes: Sequence[InboundChange]
    cursor: str | None
    """Where the next pull starts; the hub stores it in the sync cursors table."""
    has_more: bool = False


class StockUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """The quantity a channel may sell for one SKU at one of its locations."""

    sku: str
    quantity: int
    location_ref: str | None = None
    item_ref: str | None = None
    previous_quantity: int | None = None
    idempotency_key: str


class FulfillmentNotice(msgspec.Struct, frozen=True, kw_only=True):
    """Tell a channel that (part of) an order shipped."""

    order_external_id: str
    shipment_id: str
    lines: Mapping[str, int]
    """Channel line id -> quantity in this shipment."""
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    notify_customer: bool = True


class CancellationNotice(msgspec.Struct, frozen=True, kw_only=True):
    order_external_id: str
    reason: str | None = None
    restock: bool = True
    notify_customer: bool = False


class RefundNotice(msgspec.Struct, frozen=True, kw_only=True):
    order_external_id: str
    refund_id: str
    amount: Money
    lines: Mapping[str, int] = {}
    note: str | None = None


class ExternalRef(msgspec.Struct, frozen=True, kw_only=True):
    """The provider's id for something we created there."""

    id: str
    url: str | None = None


class RateRequest(msgspec.Struct, frozen=True, kw_only=True):
    reference: str
    origin: Address
    destination: Address
    parcels: Sequence[Parcel]
    ship_date: date | None = None


class Rate(msgspec.Struct, frozen=True, kw_only=True):
    carrier: str
    service: str
    price: Money
    transit_days: int | None = None
    estimated_delivery: date | None = None
    rate_ref: str | None = None


class LabelRequest(msgspec.Struct, frozen=True, kw_only=True):
    reference: str
    """Our label record id, sent in the carrier's reference field so a retry is recognised."""
    rate: Rate
    origin: Address
    destination: Address
    parcels: Sequence[Parcel]
    label_format: str = "PDF"


class Label(msgspec.Struct, frozen=True, kw_only=True):
    carrier: str
    tracking_number: str
    label_format: str
    document: bytes
    provider_ref: str
    cost: Money | None = None
    tracking_url: str | None = None


class HealthReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    detail: str | None = None


# ---------------------------------------------------------------------------- protocols


@runtime_checkable
class Connector(Protocol):
    """What every connector class declares. Methods come from its kind and capabilities."""

    name: ClassVar[str]
    """Unique connector name ("shopify", "easypost"); connections refer to it."""
    kind: ClassVar[ConnectorKind]
    capabilities: ClassVar[frozenset[Capability]]
    Settings: ClassVar[type[msgspec.Struct]]
    """The per-connection settings, decoded strictly from config: unknown keys are errors."""

    def __init__(self, connection: Connection, *, http: Any | None = None) -> None: ...

    async def health(self) -> HealthReport: ...

    async def aclose(self) -> None: ...


class WebhookReceiver(Protocol):
    """RECEIVE_WEBHOOKS. Both methods are pure: no network, no database."""

    def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope:
        """Check the signature on the raw body; raise `WebhookRejected` if it is not ours."""
        ...

    def decode_webhook(self, event: InboundEvent) -> Sequence[InboundChange]:
        """Translate a verified event; raise `PayloadError` when the body cannot be read."""
        ...


class ChannelConnector(Connector, Protocol):
    """A sales channel. Implements the methods of the capabilities it declares."""

    def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope: ...
    def decode_webhook(self, event: InboundEvent) -> Sequence[InboundChange]: ...
    async def pull_orders(self, cursor: str | None) -> PullPage: ...
    async def push_stock(self, updates: Sequence[StockUpdate]) -> None: ...
    async def push_fulfillment(self, notice: FulfillmentNotice) -> ExternalRef: ...
    async def push_cancellation(self, notice: CancellationNotice) -> None: ...
    async def push_refund(self, notice: RefundNotice) -> ExternalRef: ...
    async def register_webhooks(self, callback_url: str) -> Sequence[ExternalRef]: ...


class CarrierConnector(Connector, Protocol):
    """A carrier or shipping aggregator."""

    async def get_rates(self, request: RateRequest) -> Sequence[Rate]: ...
    async def buy_label(self, request: LabelRequest) -> Label: ...
    async def void_label(self, label: Label) -> None: ...
    async def track(self, tracking_number: str) -> Sequence[TrackingEvent]: ...
    def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope: ...
    def decode_webhook(self, event: InboundEvent) -> Sequence[InboundChange]: ...


class WmsConnector(Connector, Protocol):
    """A warehouse system or 3PL that fulfils the orders we send it."""

    async def send_fulfillment_order(self, payload: Mapping[str, Any]) -> ExternalRef: ...
    async def pull_inventory(self, cursor: str | None) -> PullPage: ...
    def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope: ...
    def decode_webhook(self, event: InboundEvent) -> Sequence[InboundChange]: ...


class CrmConnector(Connector, Protocol):
    async def upsert_customer(self, payload: Mapping[str, Any]) -> ExternalRef: ...


# ------------------------------------------------------------------- optional protocols
#
# Methods the hub calls when a connector has them, outside any capability. A connector
# claims a protocol by defining any of its members, and must then implement all of them
# (the conformance kit checks it).


@runtime_checkable
class TrackingUpdater(Protocol):
    """Optional for a channel with PUSH_FULFILLMENT: correct a confirmed fulfillment.

    When an operator changes the carrier or tracking number of a shipment the channel was
    already told about, the hub queues an ``update_tracking`` outbox row and calls this with
    the id `push_fulfillment` returned (its ``ExternalRef.id``). A channel without it gets
    no call: the row is dead-lettered saying the connector cannot update tracking details.
    """

    async def update_tracking(self, fulfillment_ref: str, notice: FulfillmentNotice) -> None: ...


class ThrottleReport(Protocol):
    """A provider's rate budget as it last reported it (Shopify's cost bucket)."""

    @property
    def maximum_available(self) -> float: ...
    @property
    def currently_available(self) -> float: ...
    @property
    def restore_rate(self) -> float:
        """Points per second."""
        ...

    @property
    def observed_at(self) -> float:
        """When it was reported, in ``time.monotonic()`` seconds."""
        ...


THROTTLE_REPORT_FIELDS = (
    "maximum_available",
    "currently_available",
    "restore_rate",
    "observed_at",
)
"""The fields the hub fills when it builds the status ``observe_throttle`` takes."""


@runtime_checkable
class SharedRateBudget(Protocol):
    """Optional, any kind: take part in the hub's rate budget shared by every worker.

    After each call the hub publishes ``throttle_status`` (None before the provider reported
    anything); before a call it hands the level every worker has seen to
    ``observe_throttle(status)``. ``status`` must be annotated with a type the hub can build
    with ``msgspec.convert`` from the `THROTTLE_REPORT_FIELDS` (a msgspec Struct with those
    fields): that annotation tells the hub what to build. Without the protocol a connector
    is called without a shared budget, held back only by the provider's own 429s.
    """

    @property
    def throttle_status(self) -> ThrottleReport | None: ...

    def observe_throttle(self, status: Any) -> None: ...


OPTIONAL_PROTOCOLS: dict[type, tuple[str, ...]] = {
    TrackingUpdater: ("update_tracking",),
    SharedRateBudget: ("throttle_status", "observe_throttle"),
}
"""Every optional protocol with its members: the hub calls nothing else outside
`CAPABILITY_METHODS` and the `Connector` protocol itself."""


KIND_PROTOCOLS: dict[ConnectorKind, type] = {
    ConnectorKind.CHANNEL: ChannelConnector,
    ConnectorKind.CARRIER: CarrierConnector,
    ConnectorKind.WMS: WmsConnector,
    ConnectorKind.CRM: CrmConnector,
}


def missing_methods(connector_cls: type) -> dict[Capability, list[str]]:
    """Capabilities a connector declares without implementing their methods."""
    missing: dict[Capability, list[str]] = {}
    for capability in getattr(connector_cls, "capabilities", ()):
        if not isinstance(capability, Capability):
            continue  # not a capability at all: connector_problems says so
        names = [
            name
            for name in CAPABILITY_METHODS[capability]
            if not callable(getattr(connector_cls, name, None))
        ]
        if names:
            missing[capability] = names
    return missing


def connector_problems(connector_cls: type) -> list[str]:
    """Everything wrong with a connector class's declaration, as readable sentences."""
    cls: Any = connector_cls  # not yet known to be a Connector: that is what is checked
    problems: list[str] = []
    for attr in ("name", "kind", "capabilities", "Settings"):
        if not hasattr(connector_cls, attr):
            problems.append(f"{connector_cls.__qualname__} has no class attribute {attr!r}")
    if problems:
        return problems
    if not isinstance(cls.name, str) or not cls.name:
        problems.append(f"{connector_cls.__qualname__}: name must be a non-empty string")
        return problems
    if not isinstance(cls.kind, ConnectorKind):
        problems.append(f"{cls.name}: kind must be a ConnectorKind")
    capabilities = cls.capabilities
    if not isinstance(capabilities, frozenset | set):
        problems.append(f"{cls.name}: capabilities must be a frozenset of Capability")
        return problems
    unknown = sorted(repr(c) for c in capabilities if not isinstance(c, Capability))
    if unknown:
        problems.append(
            f"{cls.name}: capabilities must be Capability members, not " + ", ".join(unknown)
        )
    if not (isinstance(cls.Settings, type) and issubclass(cls.Settings, msgspec.Struct)):
        problems.append(f"{cls.name}: Settings must be a msgspec.Struct subclass")
    for capability, names in missing_methods(connector_cls).items():
        problems.append(
            f"{cls.name}: declares {capability.value} but does not implement " + ", ".join(names)
        )
    return problems
