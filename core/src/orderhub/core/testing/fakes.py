"""Recording fakes for tests that run a hub: connectors that record their calls, a plugin
that records notifications, and a way to register either with a plugin manager.

A test subclasses a fake to give it a name and capabilities (and to override what it must
answer)::

    class Shop(FakeChannel):
        name = "test-shop"
        capabilities = frozenset({Capability.PUSH_STOCK})

    extra_plugins = [connector_plugin(Shop)]
    ...
    assert hub.connector("shop").called("push_stock") == [[update]]

Every call is appended to ``calls`` as ``(method, argument)``; ``script`` holds outcomes for
the next calls, in order: an exception is raised, anything else is returned.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar

import msgspec

from orderhub.core.connection import Connection
from orderhub.core.connectors import (
    CancellationNotice,
    Capability,
    ConnectorKind,
    ExternalRef,
    FulfillmentNotice,
    HealthReport,
    Label,
    LabelRequest,
    PullPage,
    Rate,
    RateRequest,
    RefundNotice,
    StockUpdate,
)
from orderhub.core.events import OrderChanged, ShipmentChanged, StockChanged
from orderhub.core.hookspecs import ConnectorRegistrar, hookimpl
from orderhub.core.model.fulfillment import TrackingEvent


class NoSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Settings of a fake that needs none (unknown keys still fail, as for a real one)."""


class FakeConnector:
    """What every fake shares: the connection, health, close, and the record of calls."""

    name: ClassVar[str] = "fake"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CHANNEL
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    Settings: ClassVar[type[msgspec.Struct]] = NoSettings

    def __init__(self, connection: Connection, *, http: Any | None = None) -> None:
        self.connection = connection
        self.http = http
        self.calls: list[tuple[str, Any]] = []
        self.script: list[Any] = []
        self.closed = False

    async def health(self) -> HealthReport:
        return HealthReport(ok=True)

    async def aclose(self) -> None:
        self.closed = True

    def called(self, method: str) -> list[Any]:
        """The arguments of every call of `method`, in order."""
        return [argument for name, argument in self.calls if name == method]

    def record(self, method: str, argument: Any, default: Any = None) -> Any:
        """Record one call and play the next scripted outcome (or return `default`)."""
        self.calls.append((method, argument))
        if self.script:
            outcome = self.script.pop(0)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        return default


class FakeChannel(FakeConnector):
    """A sales channel: every push is recorded and succeeds unless the script says otherwise."""

    kind: ClassVar[ConnectorKind] = ConnectorKind.CHANNEL

    async def pull_orders(self, cursor: str | None) -> PullPage:
        page: PullPage = self.record("pull_orders", cursor, PullPage(changes=[], cursor=cursor))
        return page

    async def push_stock(self, updates: Sequence[StockUpdate]) -> None:
        self.record("push_stock", list(updates))

    async def push_fulfillment(self, notice: FulfillmentNotice) -> ExternalRef:
        number = len(self.called("push_fulfillment")) + 1
        ref: ExternalRef = self.record("push_fulfillment", notice, ExternalRef(id=f"ful-{number}"))
        return ref

    async def push_cancellation(self, notice: CancellationNotice) -> None:
        self.record("push_cancellation", notice)

    async def push_refund(self, notice: RefundNotice) -> ExternalRef:
        number = len(self.called("push_refund")) + 1
        ref: ExternalRef = self.record("push_refund", notice, ExternalRef(id=f"ref-{number}"))
        return ref

    async def register_webhooks(self, callback_url: str) -> Sequence[ExternalRef]:
        refs: Sequence[ExternalRef] = self.record(
            "register_webhooks", callback_url, [ExternalRef(id="sub-1", url=callback_url)]
        )
        return refs


class FakeCarrier(FakeConnector):
    """A carrier: no rates and no tracking events unless scripted; labels must be scripted."""

    kind: ClassVar[ConnectorKind] = ConnectorKind.CARRIER

    async def get_rates(self, request: RateRequest) -> Sequence[Rate]:
        rates: Sequence[Rate] = self.record("get_rates", request, [])
        return rates

    async def buy_label(self, request: LabelRequest) -> Label:
        label: Label = self.record("buy_label", request)
        if label is None:
            raise AssertionError(f"{type(self).__name__}: script the label buy_label returns")
        return label

    async def void_label(self, label: Label) -> None:
        self.record("void_label", label)

    async def track(self, tracking_number: str) -> Sequence[TrackingEvent]:
        events: Sequence[TrackingEvent] = self.record("track", tracking_number, [])
        return events


class FakeWms(FakeConnector):
    """A warehouse system: fulfillment orders are recorded and get ids wms-1, wms-2, ..."""

    kind: ClassVar[ConnectorKind] = ConnectorKind.WMS

    async def send_fulfillment_order(self, payload: Any) -> ExternalRef:
        number = len(self.called("send_fulfillment_order")) + 1
        ref: ExternalRef = self.record(
            "send_fulfillment_order", payload, ExternalRef(id=f"wms-{number}")
        )
        return ref

    async def pull_inventory(self, cursor: str | None) -> PullPage:
        page: PullPage = self.record("pull_inventory", cursor, PullPage(changes=[], cursor=cursor))
        return page


def connector_plugin(*classes: type) -> Any:
    """A plugin object that registers `classes` (for ``PluginManager.register_builtin``, the
    hub's ``extra_plugins`` fixture, or pluggy's ``register``)."""

    @hookimpl
    def orderhub_register_connectors(register: ConnectorRegistrar) -> None:
        for cls in classes:
            register(cls)

    return SimpleNamespace(orderhub_register_connectors=orderhub_register_connectors)


Notification = OrderChanged | StockChanged | ShipmentChanged


class RecordingPlugin:
    """Implements every notification hook and records the events, in arrival order.

    `on_event`, when given, is called with each event as it arrives (and awaited when it
    returns an awaitable): a test can look at the database from there, at the moment the
    hub notifies.
    """

    def __init__(
        self, on_event: Callable[[Notification], Awaitable[None] | None] | None = None
    ) -> None:
        self.events: list[Notification] = []
        self.on_event = on_event

    async def _arrived(self, event: Notification) -> None:
        self.events.append(event)
        if self.on_event is not None:
            result = self.on_event(event)
            if inspect.isawaitable(result):
                await result

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]

    @hookimpl
    async def orderhub_order_changed(self, event: OrderChanged) -> None:
        await self._arrived(event)

    @hookimpl
    async def orderhub_stock_changed(self, event: StockChanged) -> None:
        await self._arrived(event)

    @hookimpl
    async def orderhub_shipment_changed(self, event: ShipmentChanged) -> None:
        await self._arrived(event)
