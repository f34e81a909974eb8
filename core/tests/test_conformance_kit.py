"""The conformance kit itself: a correct connector passes it, and each kind of broken connector
fails exactly the check that concerns it. Runs the kit with pytester, in process."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import msgspec
import pytest

from orderhub.core.connection import SettingsError
from orderhub.core.connectors import (
    Capability,
    ConnectorKind,
    HealthReport,
    InboundEvent,
    WebhookEnvelope,
    WebhookRequest,
)
from orderhub.core.events import (
    ConnectionRevoked,
    OrderCancelObserved,
    OrderObserved,
    RefundObserved,
    StockObserved,
    TrackingObserved,
)
from orderhub.core.model import (
    Address,
    Order,
    OrderLine,
    OrderTotals,
    ShippingLine,
    TrackingEvent,
    TrackingStatus,
)
from orderhub.core.money import Money
from orderhub.core.testing import (
    build_connector,
    checks,
    inbound_event,
    make_connection,
    open_connector,
    round_trip,
    sign_hmac_sha256,
    tampered,
    webhook_request,
    without_headers,
)

pytest_plugins = ["pytester"]

DEMO_SOURCE = Path(__file__).with_name("demo_connector.py")


def _load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("orderhub_kit_demo_connector", DEMO_SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


demo = _load_demo()
PLACED = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)

# --------------------------------------------------------------------------- helpers


def test_sign_hmac_sha256_matches_rfc_4231() -> None:
    # RFC 4231, test case 2.
    message = b"what do ya want for nothing?"
    assert (
        sign_hmac_sha256("Jefe", message, encoding="hex")
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert sign_hmac_sha256(b"Jefe", message) == "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
    with pytest.raises(ValueError, match="encoding"):
        sign_hmac_sha256("k", b"m", encoding="base32")


def test_webhook_request_lower_cases_headers_and_encodes_bodies() -> None:
    request = webhook_request({"a": 1}, {"X-Topic": "orders/create"}, {"shop": "x"})
    assert request.body == b'{"a":1}'
    assert request.headers == {"x-topic": "orders/create"}
    assert request.query == {"shop": "x"}
    assert webhook_request("é", {}).body == "é".encode()


def test_tampered_changes_exactly_one_byte() -> None:
    request = webhook_request(b'{"id":12345}', {"x-sig": "s"})
    changed = tampered(request)
    assert len(changed.body) == len(request.body)
    assert sum(a != b for a, b in zip(changed.body, request.body, strict=True)) == 1
    assert changed.headers == request.headers
    assert tampered(webhook_request(b"", {})).body != b""


def test_without_headers() -> None:
    request = webhook_request(b"{}", {"X-Sig": "s", "X-Topic": "t"}, {"sig": "q"})
    assert without_headers(request, ["X-SIG"]).headers == {"x-topic": "t"}
    assert without_headers(request, ["x-sig"]).query == {"sig": "q"}
    bare = without_headers(request)
    assert bare.headers == {} and bare.query == {} and bare.body == b"{}"


def test_make_connection_decodes_mappings_strictly() -> None:
    connection = make_connection(demo.DemoChannel, {"webhook_secret": "s"}, locations={"1": "W"})
    assert connection.id == "demo" and connection.connector == "demo"
    assert connection.settings == demo.DemoSettings(webhook_secret="s")
    assert connection.locations == {"1": "W"}
    with pytest.raises(SettingsError) as caught:
        make_connection(demo.DemoChannel, {"webhook_secret": "s", "shpo": "typo"})
    assert caught.value.path == "settings"
    assert "shpo" in caught.value.message
    with pytest.raises(SettingsError, match="webhook_secret"):
        make_connection(demo.DemoChannel)  # webhook_secret has no default


def test_build_and_open_connector() -> None:
    connector = build_connector(demo.DemoChannel, {"webhook_secret": "s"}, id="demo-eu")
    assert connector.connection.id == "demo-eu"

    async def scenario() -> Any:
        async with open_connector(demo.DemoChannel, {"webhook_secret": "s"}) as opened:
            assert not opened.closed
        return opened

    import asyncio

    assert asyncio.run(scenario()).closed


def test_connector_factory_fixture_closes_what_it_built(connector_factory: Any) -> None:
    connector = connector_factory(demo.DemoChannel, {"webhook_secret": "s"})
    assert connector.settings.webhook_secret == "s"
    envelope = connector.verify_webhook(demo.signed("s", demo.demo_order()))
    changes = connector.decode_webhook(inbound_event(demo.signed("s", demo.demo_order()), envelope))
    assert [type(change) for change in changes] == [OrderObserved]
    assert round_trip(changes[0]) == changes[0]


# ---------------------------------------------------------------------------- checks


def test_the_demo_connector_has_no_problems() -> None:
    cls = demo.DemoChannel
    assert checks.name_problems(cls) == []
    assert checks.async_problems(cls) == []
    assert checks.protocol_problems(cls) == []
    assert checks.settings_problems(cls, demo.DemoSettings(webhook_secret="s")) == []
    assert checks.sample_problems([demo.signed("s", demo.demo_order())]) == []


def test_name_problems() -> None:
    class Shouty(demo.DemoChannel):
        name = "Demo Shop"

    assert checks.name_problems(Shouty) == [
        "name 'Demo Shop': use lower-case letters, digits, '-' and '_' (max 63)"
    ]


def test_async_problems() -> None:
    class Backwards(demo.DemoChannel):
        def health(self) -> HealthReport:  # type: ignore[override]
            return HealthReport(ok=True)

        async def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope:  # type: ignore[override]
            raise AssertionError

    assert checks.async_problems(Backwards) == [
        "health must be declared with `async def`",
        "verify_webhook must be a plain (sync) method: the hub calls it inline",
    ]


def test_protocol_problems() -> None:
    class Misfit(demo.DemoChannel):
        capabilities = frozenset({Capability.RECEIVE_WEBHOOKS, Capability.RATES})

        async def get_rates(self, request: Any) -> list[Any]:
            return []

        async def pull_orders(self) -> Any:  # no cursor parameter
            return None

        def decode_webhook(self, event: InboundEvent, strict: bool) -> list[Any]:  # type: ignore[override]
            return []

    problems = checks.protocol_problems(Misfit)
    assert problems[0] == (
        "capability rates is not part of a channel connector (get_rates not in ChannelConnector)"
    )
    assert any(p.startswith("pull_orders(self) does not accept") for p in problems)
    assert any(p.startswith("decode_webhook(self, event") for p in problems)
    assert len(problems) == 3

    class NoHttp(demo.DemoChannel):
        def __init__(self, connection: Any) -> None:
            self.connection = connection

    assert checks.protocol_problems(NoHttp) == [
        "the constructor must accept (connection, *, http=None)"
    ]

    class RenamedParameter(demo.DemoChannel):
        capabilities = frozenset({Capability.PULL_ORDERS})

        async def pull_orders(self, since: str | None) -> Any:
            return None

    assert len(checks.protocol_problems(RenamedParameter)) == 1


class _Bucket(msgspec.Struct, frozen=True, kw_only=True):
    maximum_available: float
    currently_available: float
    restore_rate: float
    observed_at: float


def test_optional_problems() -> None:
    class Throttled(demo.DemoChannel):
        @property
        def throttle_status(self) -> _Bucket | None:
            return None

        def observe_throttle(self, status: _Bucket) -> None:
            return None

    assert checks.optional_problems(demo.DemoChannel) == []
    assert checks.optional_problems(Throttled) == []

    class HalfThrottled(demo.DemoChannel):
        def observe_throttle(self, status: _Bucket) -> None:
            return None

    assert checks.optional_problems(HalfThrottled) == [
        "implements observe_throttle of SharedRateBudget but not throttle_status"
    ]

    class AsyncObserver(Throttled):
        async def observe_throttle(self, status: _Bucket) -> None:  # type: ignore[override]
            return None

    assert checks.optional_problems(AsyncObserver) == [
        "observe_throttle (SharedRateBudget) must be declared with `def`"
    ]

    class UnbuildableStatus(Throttled):
        def observe_throttle(self, status: int) -> None:  # type: ignore[override]
            return None

    (problem,) = checks.optional_problems(UnbuildableStatus)
    assert problem.startswith("observe_throttle's status type int cannot be built")

    class MethodStatus(Throttled):
        def throttle_status(self) -> None:  # type: ignore[override]
            return None

    assert checks.optional_problems(MethodStatus) == [
        "throttle_status (SharedRateBudget) must be a property or an attribute, not a method"
    ]

    class Corrects(demo.DemoChannel):
        capabilities = frozenset({Capability.PUSH_FULFILLMENT})

        async def push_fulfillment(self, notice: Any) -> Any:
            return None

        async def update_tracking(self, fulfillment_ref: str, notice: Any) -> None:
            return None

    assert checks.optional_problems(Corrects) == []

    class CorrectsWrongly(Corrects):
        async def update_tracking(self, notice: Any) -> None:  # type: ignore[override]
            return None

    (problem,) = checks.optional_problems(CorrectsWrongly)
    assert problem.startswith("update_tracking(self, notice) does not accept the calls of")

    class CorrectsWithoutFulfillments(demo.DemoChannel):
        def update_tracking(self, fulfillment_ref: str, notice: Any) -> None:
            return None

    assert checks.optional_problems(CorrectsWithoutFulfillments) == [
        "update_tracking (TrackingUpdater) must be declared with `async def`",
        "update_tracking corrects a confirmed fulfillment: it needs push_fulfillment",
    ]


def test_settings_problems() -> None:
    class Lenient(msgspec.Struct, kw_only=True):
        webhook_secret: str

    class LenientChannel(demo.DemoChannel):
        Settings = Lenient

    assert checks.settings_problems(LenientChannel, Lenient(webhook_secret="s")) == [
        "Lenient accepts unknown keys: declare it with forbid_unknown_fields=True so a "
        "misspelt setting fails at start"
    ]
    assert checks.settings_problems(demo.DemoChannel, {"webhook_secret": "s"}) == [
        "settings() returned dict, not the connector's DemoSettings"
    ]

    class Positive(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
        webhook_secret: str
        timeout: Annotated[int, msgspec.Meta(gt=0)] = 10

    class PositiveChannel(demo.DemoChannel):
        Settings = Positive

    # Constraints are checked when config is decoded, not when a Struct is built in code.
    problems = checks.settings_problems(PositiveChannel, Positive(webhook_secret="s", timeout=0))
    assert problems == [
        "the settings do not survive a config round trip: settings.timeout: Expected `int` >= 1"
    ]

    class Loose(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
        webhook_secret: str
        extra: Any = None

    class LooseChannel(demo.DemoChannel):
        Settings = Loose

    assert checks.settings_problems(LooseChannel, Loose(webhook_secret="s", extra={1})) == [
        "the settings change in a config round trip (to_builtins -> decode)"
    ]


def test_sample_problems() -> None:
    assert checks.sample_problems([]) == [
        "webhook_samples() must return a non-empty list of WebhookRequest"
    ]
    upper = WebhookRequest(body=b"{}", headers={"X-Sig": "s"})
    assert checks.sample_problems([upper, b"{}"]) == [
        "sample 0: header names must be lower-case, as the hub passes them (X-Sig); build "
        "samples with orderhub.core.testing.webhook_request",
        "sample 1 is a bytes, not a WebhookRequest",
    ]


def _order(**changes: Any) -> Order:
    order = Order(
        connection="demo-conformance",
        external_id="1001",
        number="#1001",
        currency="EUR",
        placed_at=PLACED,
        lines=[
            OrderLine(sku="A", name="A", quantity=2, unit_price=Money.parse("9.99", "EUR")),
        ],
    )
    for field, value in changes.items():
        setattr(order, field, value)
    return order


def test_a_good_order_has_no_problems() -> None:
    assert checks.order_problems(_order(), "demo-conformance") == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"connection": "demo"},
            "order.connection is 'demo', not the connection id 'demo-conformance'",
        ),
        ({"external_id": ""}, "order.external_id must be a non-empty string"),
        ({"id": "ord_1"}, "order.id must stay None: OrderHub assigns its own ids"),
        ({"currency": "EURO"}, "order.currency: not an ISO 4217 currency code: 'EURO'"),
        ({"currency": "eur"}, "order.currency 'eur' must be upper-case"),
        (
            {"placed_at": datetime(2025, 3, 14, 9, 26)},
            "order.placed_at is a naive datetime; give it a time zone (UTC)",
        ),
        ({"lines": []}, "order.lines is empty"),
        (
            {
                "lines": [
                    OrderLine(sku="A", name="A", quantity=0, unit_price=Money.parse("1", "EUR"))
                ]
            },
            "order.lines[0].quantity must be positive, not 0",
        ),
        (
            {
                "lines": [
                    OrderLine(sku="A", name="A", quantity=1, unit_price=Money.parse("1", "USD"))
                ]
            },
            "order.lines[0].unit_price is in USD, the order in EUR",
        ),
        (
            {
                "lines": [
                    OrderLine(
                        sku="",
                        name="A",
                        quantity=1,
                        unit_price=Money.parse("1", "EUR"),
                        quantity_shipped=2,
                        id="line_1",
                    )
                ]
            },
            "order.lines[0].sku must be a non-empty string",
        ),
        (
            {"shipping_lines": [ShippingLine(title="S", price=Money.parse("1", "GBP"))]},
            "order.shipping_lines[0].price is in GBP, the order in EUR",
        ),
        (
            {
                "totals": OrderTotals(
                    subtotal=Money.parse("1", "EUR"),
                    shipping=Money.parse("1", "EUR"),
                    discounts=Money.parse("0", "EUR"),
                    tax=Money.parse("0", "EUR"),
                    total=Money(amount=200, currency="USD"),
                )
            },
            "order.totals.total is in USD, the order in EUR",
        ),
        (
            {"shipping_address": Address(country="France")},
            "order.shipping_address.country 'France' must be an ISO 3166-1 alpha-2 code ('FR')",
        ),
    ],
)
def test_order_problems(changes: dict[str, Any], problem: str) -> None:
    assert problem in checks.order_problems(_order(**changes), "demo-conformance")


def test_order_line_problems_are_all_reported() -> None:
    line = OrderLine(
        sku="A",
        name="A",
        quantity=1,
        unit_price=Money.parse("1", "EUR"),
        quantity_shipped=2,
        id="line_1",
    )
    assert checks.order_problems(_order(lines=[line]), "demo-conformance") == [
        "order.lines[0].quantity_shipped 2 is outside 0..1",
        "order.lines[0].id must stay empty: OrderHub assigns line ids",
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            OrderCancelObserved(connection="x", external_id="1"),
            "OrderCancelObserved.connection is 'x', not the connection id 'c'",
        ),
        (
            RefundObserved(
                connection="c",
                order_external_id="1",
                refund_id="r",
                amount=Money(amount=-1, currency="EUR"),
            ),
            "RefundObserved.amount must not be negative (a refund is a positive sum)",
        ),
        (
            RefundObserved(
                connection="c",
                order_external_id="1",
                refund_id="",
                amount=Money(amount=1, currency="EUR"),
                line_quantities={"l1": 0},
            ),
            "RefundObserved.refund_id must be a non-empty string",
        ),
        (
            StockObserved(connection="c", location_ref="L", quantity=1),
            "StockObserved needs a sku or an item_ref",
        ),
        (
            StockObserved(
                connection="c", location_ref="L", quantity=1, sku="A", at=datetime(2025, 1, 1)
            ),
            "StockObserved.at is a naive datetime; give it a time zone (UTC)",
        ),
        (
            TrackingObserved(
                event=TrackingEvent(
                    tracking_number="",
                    carrier="ups",
                    status=TrackingStatus.DELIVERED,
                    raw_status="D",
                    occurred_at=PLACED,
                )
            ),
            "TrackingObserved.event.tracking_number must be a non-empty string",
        ),
        (
            ConnectionRevoked(connection="c", reason=" "),
            "ConnectionRevoked.reason must be a non-empty string",
        ),
        (
            OrderObserved(order=_order()),
            "order.connection is 'demo-conformance', not the connection id 'c'",
        ),
        ({"order": 1}, "dict is not an inbound change (orderhub.core.events.InboundChange)"),
    ],
)
def test_change_problems(change: Any, problem: str) -> None:
    assert problem in checks.change_problems(change, "c")


def test_changes_problems_wants_a_sequence() -> None:
    assert checks.changes_problems({"a": 1}, "c") == [
        "decode must return a sequence of changes, not dict"
    ]
    good = StockObserved(connection="c", location_ref="L", quantity=3, sku="A")
    bad = StockObserved(connection="c", location_ref="", quantity=3, sku="A")
    assert checks.changes_problems([good, bad], "c") == [
        "change 1: StockObserved.location_ref must be a non-empty string"
    ]


# ------------------------------------------------------------------ the kit, end to end

KIT_HEADER = """
from datetime import datetime
import uuid

import msgspec

from demo_connector import DemoChannel, DemoSettings, demo_order, signed
from orderhub.core.connectors import WebhookEnvelope, HealthReport, PayloadError
from orderhub.core.events import OrderObserved
from orderhub.core.testing import ConnectorConformance


class Base(ConnectorConformance):
    connector_class = DemoChannel

    def settings(self, secret):
        return DemoSettings(webhook_secret=secret)

    def webhook_samples(self, secret):
        return [signed(secret, demo_order("1"), "evt-1"), signed(secret, demo_order("2"), "evt-2")]
"""

DECLARATION_TESTS = [
    "test_declaration_is_valid",
    "test_settings_are_strict_and_survive_config",
    "test_methods_are_sync_or_async_as_the_hub_calls_them",
    "test_class_satisfies_its_kind_protocol",
    "test_optional_protocols_are_implemented_whole",
    "test_entry_point_registers_the_connector",
]
WEBHOOK_TESTS = [
    "test_webhook_samples_verify",
    "test_tampered_body_is_rejected",
    "test_wrong_secret_is_rejected",
    "test_missing_signature_is_rejected",
    "test_decoded_changes_survive_a_round_trip",
    "test_decoded_changes_are_canonical",
    "test_unreadable_body_raises_payload_error",
]
KIT_TESTS = DECLARATION_TESTS + WEBHOOK_TESTS


def run_kit(pytester: pytest.Pytester, body: str) -> dict[str, dict[str, str]]:
    """Run the kit on classes defined in `body`; outcome of each kit test per class."""
    pytester.makepyfile(demo_connector=DEMO_SOURCE.read_text())
    pytester.makepyfile(test_kit=KIT_HEADER + body)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.syspathinsert()
    recorder = pytester.inline_run("-p", "no:cacheprovider")
    outcomes: dict[str, dict[str, str]] = {}
    for report in recorder.getreports("pytest_runtest_logreport"):
        if report.when == "call" or report.outcome != "passed":
            _, cls, test = report.nodeid.split("::")
            outcomes.setdefault(cls, {})[test] = report.outcome
    return outcomes


def failed(outcomes: dict[str, str]) -> set[str]:
    return {test for test, outcome in outcomes.items() if outcome == "failed"}


def test_a_correct_connector_passes_the_kit(pytester: pytest.Pytester) -> None:
    outcomes = run_kit(pytester, "class TestDemo(Base):\n    pass\n")["TestDemo"]
    assert set(outcomes) == set(KIT_TESTS)
    assert outcomes.pop("test_entry_point_registers_the_connector") == "skipped"
    assert set(outcomes.values()) == {"passed"}


def test_the_kit_checks_the_installed_entry_point(pytester: pytest.Pytester) -> None:
    dist = pytester.mkdir("orderhub_demo-0.1.dist-info")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: orderhub-demo\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[orderhub]\ndemo = demo_connector\n")
    body = """
class TestRegistered(Base):
    entry_point = "demo"


class Impostor(DemoChannel):
    pass


class TestImpostor(Base):
    connector_class = Impostor
    entry_point = "demo"


class TestNotInstalled(Base):
    entry_point = "demo-missing"
"""
    outcomes = run_kit(pytester, body)
    assert outcomes["TestRegistered"]["test_entry_point_registers_the_connector"] == "passed"
    assert failed(outcomes["TestImpostor"]) == {"test_entry_point_registers_the_connector"}
    assert failed(outcomes["TestNotInstalled"]) == {"test_entry_point_registers_the_connector"}


def test_each_broken_connector_fails_its_check(pytester: pytest.Pytester) -> None:
    body = """
class AcceptsAnything(DemoChannel):
    def verify_webhook(self, request):
        return WebhookEnvelope(event_id=request.headers.get("x-demo-event-id", "x"), topic="t")


class TestAcceptsAnything(Base):
    connector_class = AcceptsAnything


class Lenient(msgspec.Struct, kw_only=True):
    webhook_secret: str


class LenientChannel(DemoChannel):
    Settings = Lenient


class TestLenient(Base):
    connector_class = LenientChannel

    def settings(self, secret):
        return Lenient(webhook_secret=secret)


class NaiveDates(DemoChannel):
    def decode_webhook(self, event):
        (change,) = super().decode_webhook(event)
        change.order.placed_at = change.order.placed_at.replace(tzinfo=None)
        return [change]


class TestNaiveDates(Base):
    connector_class = NaiveDates


class RandomEventId(DemoChannel):
    def verify_webhook(self, request):
        envelope = super().verify_webhook(request)
        return WebhookEnvelope(event_id=str(uuid.uuid4()), topic=envelope.topic)


class TestRandomEventId(Base):
    connector_class = RandomEventId


class CrashesOnGarbage(DemoChannel):
    def decode_webhook(self, event):
        if not event.body.startswith(b"{"):
            raise KeyError("id")
        return super().decode_webhook(event)


class TestCrashesOnGarbage(Base):
    connector_class = CrashesOnGarbage


class SyncHealth(DemoChannel):
    def health(self):
        return HealthReport(ok=True)


class TestSyncHealth(Base):
    connector_class = SyncHealth


class FloatQuantity(DemoChannel):
    def decode_webhook(self, event):
        (change,) = super().decode_webhook(event)
        change.order.lines[0].quantity = 2.5
        return [change]


class TestFloatQuantity(Base):
    connector_class = FloatQuantity


class TestUpperCaseSamples(Base):
    def webhook_samples(self, secret):
        sample = signed(secret, demo_order("1"))
        return [type(sample)(body=sample.body, headers={k.upper(): v for k, v in sample.headers.items()})]


class TestNoSettings(ConnectorConformance):
    connector_class = DemoChannel
"""
    outcomes = run_kit(pytester, body)
    assert failed(outcomes["TestAcceptsAnything"]) == {
        "test_tampered_body_is_rejected",
        "test_wrong_secret_is_rejected",
        "test_missing_signature_is_rejected",
    }
    assert failed(outcomes["TestLenient"]) == {"test_settings_are_strict_and_survive_config"}
    assert failed(outcomes["TestNaiveDates"]) == {"test_decoded_changes_are_canonical"}
    assert failed(outcomes["TestRandomEventId"]) == {"test_webhook_samples_verify"}
    assert failed(outcomes["TestCrashesOnGarbage"]) == {"test_unreadable_body_raises_payload_error"}
    assert failed(outcomes["TestSyncHealth"]) == {
        "test_methods_are_sync_or_async_as_the_hub_calls_them"
    }
    assert failed(outcomes["TestFloatQuantity"]) == {
        "test_decoded_changes_survive_a_round_trip",
        "test_decoded_changes_are_canonical",
    }
    assert failed(outcomes["TestUpperCaseSamples"]) == set(WEBHOOK_TESTS)
    # Without settings(), everything that builds a connector fails with the explanation.
    assert "test_declaration_is_valid" not in failed(outcomes["TestNoSettings"])
    assert "test_settings_are_strict_and_survive_config" in failed(outcomes["TestNoSettings"])


def test_a_connector_with_half_an_optional_protocol_fails_its_check(
    pytester: pytest.Pytester,
) -> None:
    body = """
class HalfThrottled(DemoChannel):
    def observe_throttle(self, status):
        pass


class TestHalfThrottled(Base):
    connector_class = HalfThrottled
"""
    outcomes = run_kit(pytester, body)["TestHalfThrottled"]
    assert failed(outcomes) == {"test_optional_protocols_are_implemented_whole"}


def test_webhook_checks_are_skipped_for_a_connector_without_webhooks(
    pytester: pytest.Pytester,
) -> None:
    body = """
class Quiet(DemoChannel):
    capabilities = frozenset()


class TestQuiet(Base):
    connector_class = Quiet
"""
    outcomes = run_kit(pytester, body)["TestQuiet"]
    skipped = {test for test, outcome in outcomes.items() if outcome == "skipped"}
    assert skipped == {"test_entry_point_registers_the_connector", *WEBHOOK_TESTS}
    assert failed(outcomes) == set()


def test_the_plugin_module_imports_nothing_heavy() -> None:
    """Loading the pytest11 plugin must not import the kit or the model."""
    import subprocess

    code = (
        "import sys, orderhub.core.testing.plugin as p; "
        "heavy = [m for m in ('orderhub.core.testing.conformance', 'orderhub.core.connectors', "
        "'orderhub.core.model', 'msgspec') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_lazy_exports_resolve() -> None:
    import orderhub.core.testing as kit

    for name in kit.__all__:
        assert getattr(kit, name) is not None
    with pytest.raises(AttributeError):
        kit.not_a_helper  # noqa: B018


def test_demo_helpers_are_used_correctly() -> None:
    """Guard for the fixtures above: the demo connector really refuses a wrong signature."""
    connector = build_connector(demo.DemoChannel, {"webhook_secret": "right"})
    request = demo.signed("wrong", demo.demo_order())
    from orderhub.core.connectors import WebhookRejected

    with pytest.raises(WebhookRejected):
        connector.verify_webhook(request)
    assert ConnectorKind.CHANNEL is connector.kind
