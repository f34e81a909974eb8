"""connector_problems and missing_methods: what a connector declaration must get right."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec
import pytest

from orderhub.core.connectors import (
    CAPABILITY_METHODS,
    KIND_PROTOCOLS,
    Capability,
    ConnectorKind,
    PermanentError,
    TransientError,
    WebhookRejected,
    connector_problems,
    missing_methods,
)


class NoSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class Complete:
    name: ClassVar[str] = "complete"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CHANNEL
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.RECEIVE_WEBHOOKS, Capability.PUSH_STOCK}
    )
    Settings: ClassVar[type[msgspec.Struct]] = NoSettings

    def __init__(self, connection: Any, *, http: Any | None = None) -> None:
        self.connection = connection

    async def health(self) -> Any: ...
    async def aclose(self) -> None: ...
    def verify_webhook(self, request: Any) -> Any: ...
    def decode_webhook(self, event: Any) -> Any: ...
    async def push_stock(self, updates: Any) -> None: ...


def variant(**attributes: Any) -> type:
    return type("Variant", (Complete,), attributes)


def test_a_complete_declaration_has_no_problems() -> None:
    assert connector_problems(Complete) == []
    assert missing_methods(Complete) == {}


def test_every_capability_has_methods_and_every_kind_a_protocol() -> None:
    assert set(CAPABILITY_METHODS) == set(Capability)
    assert all(CAPABILITY_METHODS.values())
    assert set(KIND_PROTOCOLS) == set(ConnectorKind)


def test_missing_methods_per_capability() -> None:
    partial = variant(
        capabilities=frozenset({Capability.LABELS, Capability.PULL_ORDERS, Capability.PUSH_STOCK}),
        buy_label=lambda self, request: None,
        pull_orders="not callable",
    )
    assert missing_methods(partial) == {
        Capability.LABELS: ["void_label"],
        Capability.PULL_ORDERS: ["pull_orders"],
    }


def test_missing_attributes_are_all_named() -> None:
    class Bare:
        name = "bare"

    assert connector_problems(Bare) == [
        "test_missing_attributes_are_all_named.<locals>.Bare has no class attribute 'kind'",
        "test_missing_attributes_are_all_named.<locals>.Bare has no class attribute 'capabilities'",
        "test_missing_attributes_are_all_named.<locals>.Bare has no class attribute 'Settings'",
    ]


@pytest.mark.parametrize(
    ("attributes", "problems"),
    [
        ({"name": ""}, ["Variant: name must be a non-empty string"]),
        ({"name": 5}, ["Variant: name must be a non-empty string"]),
        ({"kind": "channel"}, ["complete: kind must be a ConnectorKind"]),
        ({"Settings": dict}, ["complete: Settings must be a msgspec.Struct subclass"]),
        ({"Settings": NoSettings()}, ["complete: Settings must be a msgspec.Struct subclass"]),
        (
            {"capabilities": ["push_stock"]},
            ["complete: capabilities must be a frozenset of Capability"],
        ),
        (
            {"capabilities": frozenset({"push_stock", "teleport"})},
            ["complete: capabilities must be Capability members, not 'push_stock', 'teleport'"],
        ),
        (
            {"capabilities": frozenset({Capability.TRACKING, Capability.RATES})},
            [
                "complete: declares rates but does not implement get_rates",
                "complete: declares tracking but does not implement track",
            ],
        ),
        (
            {"verify_webhook": None},
            ["complete: declares receive_webhooks but does not implement verify_webhook"],
        ),
    ],
)
def test_declaration_problems(attributes: dict[str, Any], problems: list[str]) -> None:
    assert sorted(connector_problems(variant(**attributes))) == sorted(problems)


def test_error_details() -> None:
    transient = TransientError("rate limited", retry_after=2.5)
    assert transient.retry_after == 2.5
    assert str(transient) == "rate limited"
    assert TransientError("timeout").retry_after is None
    permanent = PermanentError("invalid", code="422", body={"errors": ["sku"]})
    assert (permanent.code, permanent.body) == ("422", {"errors": ["sku"]})
    assert isinstance(WebhookRejected("bad"), Exception)
