"""Every hook is documented, typed, and exercised here by a ``test_hook_<name>`` test that
registers an implementation and calls the hook the way the hub does (datasette's rule)."""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import msgspec
import pytest

from orderhub.core import hookspecs
from orderhub.core.connectors import Capability, ConnectorKind, HealthReport
from orderhub.core.events import OrderChanged, ShipmentChanged, StockChanged
from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.hookspecs import hookimpl
from orderhub.core.model import HoldReason, Order, OrderLine, OrderStatus
from orderhub.core.money import Money
from orderhub.core.plugins import PluginManager

AT = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)

HOOKSPECS = {
    name: function
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(function, f"{hookspecs.PROJECT}_spec")
}


def test_hookspecs_are_found() -> None:
    assert len(HOOKSPECS) == 7
    assert all(name.startswith("orderhub_") for name in HOOKSPECS)


@pytest.mark.parametrize("name", sorted(HOOKSPECS))
def test_every_hookspec_is_documented_typed_and_tested(name: str) -> None:
    function = HOOKSPECS[name]
    doc = inspect.getdoc(function)
    assert doc and len(doc) > 30, f"{name} needs a docstring: it is the plugin documentation"
    for parameter in inspect.signature(function).parameters.values():
        assert parameter.annotation is not parameter.empty, f"{name}({parameter.name}) untyped"
    assert callable(globals().get(f"test_hook_{name}")), f"write test_hook_{name}"


def manager_with(**hooks: Callable[..., Any]) -> PluginManager:
    manager = PluginManager()
    plugin = types.SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})
    manager.register_builtin(plugin, "under-test")
    manager.check_pending()
    return manager


class _NoSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class _PosChannel:
    name: ClassVar[str] = "pos"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CHANNEL
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    Settings: ClassVar[type[msgspec.Struct]] = _NoSettings

    def __init__(self, connection: Any, *, http: Any | None = None) -> None:
        self.connection = connection

    async def health(self) -> HealthReport:
        return HealthReport(ok=True)

    async def aclose(self) -> None:
        return None


def test_hook_orderhub_register_connectors() -> None:
    def orderhub_register_connectors(register: Callable[[type], None]) -> None:
        register(_PosChannel)

    assert manager_with(orderhub_register_connectors=orderhub_register_connectors).connectors() == {
        "pos": _PosChannel
    }


class _BigOrderCheck:
    name = "big-order"

    def check(self, context: CheckContext) -> HoldRequest | None:
        if sum(line.quantity for line in context.order.lines) > 10:
            return HoldRequest(reason=HoldReason.FRAUD, detail="more than 10 units")
        return None


def _order(quantity: int) -> Order:
    return Order(
        connection="manual",
        external_id="1",
        number="M-1",
        currency="EUR",
        placed_at=AT,
        lines=[OrderLine(sku="A", name="A", quantity=quantity, unit_price=Money.parse("1", "EUR"))],
    )


def test_hook_orderhub_register_checks() -> None:
    def orderhub_register_checks(register: Callable[[Any], None]) -> None:
        register(_BigOrderCheck())

    (check,) = manager_with(orderhub_register_checks=orderhub_register_checks).checks()
    assert check.check(CheckContext(order=_order(2))) is None
    assert check.check(CheckContext(order=_order(11))) == HoldRequest(
        reason=HoldReason.FRAUD, detail="more than 10 units"
    )


def test_hook_orderhub_register_routing_rules() -> None:
    rule = types.SimpleNamespace(name="nearest")

    def orderhub_register_routing_rules(register: Callable[[Any], None]) -> None:
        register(rule)

    manager = manager_with(orderhub_register_routing_rules=orderhub_register_routing_rules)
    assert manager.routing_rules() == [rule]


def test_hook_orderhub_register_actions() -> None:
    ran: list[tuple[str, dict[str, Any]]] = []

    class Tag:
        name = "tag"

        def run(self, order: Order, params: dict[str, Any]) -> None:
            ran.append((order.number, params))

    def orderhub_register_actions(register: Callable[[Any], None]) -> None:
        register(Tag())

    (action,) = manager_with(orderhub_register_actions=orderhub_register_actions).actions()
    action.run(_order(1), {"tag": "vip"})
    assert ran == [("M-1", {"tag": "vip"})]


def _notify(hook_name: str, event: Any) -> list[Any]:
    """Register a sync and an async implementation, call the hook, await what is awaitable."""
    seen: list[tuple[str, Any]] = []

    def sync_impl(event: Any) -> None:
        seen.append(("sync", event))

    async def async_impl(event: Any) -> None:
        seen.append(("async", event))

    manager = PluginManager()
    for name, impl in (("sync", sync_impl), ("async", async_impl)):
        plugin = types.SimpleNamespace(**{hook_name: hookimpl(impl)})
        manager.register_builtin(plugin, name)
    manager.check_pending()
    results = getattr(manager.hook, hook_name)(event=event)

    async def settle() -> None:
        for result in results:
            if inspect.isawaitable(result):
                await result

    asyncio.run(settle())
    return seen


def test_hook_orderhub_order_changed() -> None:
    event = OrderChanged(
        order_id="ord_1",
        connection="manual",
        number="M-1",
        status=OrderStatus.ALLOCATED,
        action="status_changed",
        version=2,
        at=AT,
    )
    assert sorted(_notify("orderhub_order_changed", event)) == [("async", event), ("sync", event)]


def test_hook_orderhub_stock_changed() -> None:
    event = StockChanged(sku="A", location="PAR-WH", on_hand=5, reserved=2, available=3, at=AT)
    assert sorted(_notify("orderhub_stock_changed", event)) == [("async", event), ("sync", event)]


def test_hook_orderhub_shipment_changed() -> None:
    event = ShipmentChanged(
        shipment_id="shp_1", order_id="ord_1", status="in_transit", tracking_number="1Z", at=AT
    )
    assert sorted(_notify("orderhub_shipment_changed", event)) == [
        ("async", event),
        ("sync", event),
    ]
