"""The recording fakes are valid connectors and plugins, record calls and play scripts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from orderhub.core.connectors import (
    Capability,
    ConnectorKind,
    ExternalRef,
    TransientError,
    connector_problems,
)
from orderhub.core.events import StockChanged
from orderhub.core.plugins import PluginManager
from orderhub.core.testing import (
    FakeCarrier,
    FakeChannel,
    FakeWms,
    RecordingPlugin,
    build_connector,
    connector_plugin,
)
from orderhub.core.testing.checks import async_problems, optional_problems, protocol_problems


class Shop(FakeChannel):
    name = "shop"
    capabilities = frozenset(
        {
            Capability.PULL_ORDERS,
            Capability.PUSH_STOCK,
            Capability.PUSH_FULFILLMENT,
            Capability.PUSH_CANCELLATION,
            Capability.PUSH_REFUND,
            Capability.REGISTER_WEBHOOKS,
        }
    )


class Post(FakeCarrier):
    name = "post"
    capabilities = frozenset({Capability.RATES, Capability.LABELS, Capability.TRACKING})


class Depot(FakeWms):
    name = "depot"
    capabilities = frozenset({Capability.SEND_FULFILLMENT_ORDERS, Capability.PULL_INVENTORY})


@pytest.mark.parametrize("cls", [Shop, Post, Depot])
def test_fakes_are_valid_connectors(cls: type) -> None:
    assert cls.capabilities
    assert connector_problems(cls) == []
    assert protocol_problems(cls) == []
    assert async_problems(cls) == []
    assert optional_problems(cls) == []


def test_calls_are_recorded_and_the_script_is_played() -> None:
    shop = build_connector(Shop)
    error = TransientError("later")
    shop.script = [error, ExternalRef(id="given")]

    async def run() -> list[object]:
        outcomes: list[object] = []
        for _ in range(3):
            try:
                outcomes.append(await shop.push_fulfillment("notice"))
            except TransientError as exc:
                outcomes.append(exc)
        return outcomes

    assert asyncio.run(run()) == [error, ExternalRef(id="given"), ExternalRef(id="ful-3")]
    assert shop.called("push_fulfillment") == ["notice"] * 3
    assert shop.kind is ConnectorKind.CHANNEL


def test_connector_plugin_registers_the_classes() -> None:
    manager = PluginManager()
    manager.register_builtin(connector_plugin(Shop, Post), "fakes")
    assert manager.connectors() == {"shop": Shop, "post": Post}


def test_the_recording_plugin_gets_every_notification() -> None:
    seen: list[str] = []
    recorder = RecordingPlugin(on_event=lambda event: seen.append(type(event).__name__))
    manager = PluginManager()
    manager.register_builtin(recorder, "recorder")
    manager.check_pending()
    event = StockChanged(
        sku="A", location="WH", on_hand=1, reserved=0, available=1, at=datetime.now(UTC)
    )

    async def notify() -> None:
        for result in manager.hook.orderhub_stock_changed(event=event):
            await result

    asyncio.run(notify())
    assert recorder.events == [event]
    assert recorder.of_type(StockChanged) == [event]
    assert seen == ["StockChanged"]
