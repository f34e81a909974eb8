"""The conformance kit: one base class whose tests every connector package runs against itself.

Subclass it in a test module under a ``Test*`` name, point it at the connector and give it
settings and signed webhook samples; pytest collects its tests in the subclass::

    class TestAcmeConformance(ConnectorConformance):
        connector_class = AcmeChannel
        entry_point = "acme"

        def settings(self, secret):
            return AcmeSettings(api_key="test", webhook_secret=secret)

        def webhook_samples(self, secret):
            return [signed_order_created(secret)]
"""

from __future__ import annotations

import asyncio
import importlib.metadata as md
import secrets
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, ClassVar

import pytest

from orderhub.core.connection import Connection
from orderhub.core.connectors import (
    Capability,
    Connector,
    PayloadError,
    WebhookEnvelope,
    WebhookRejected,
    WebhookRequest,
    connector_problems,
)
from orderhub.core.events import InboundChange
from orderhub.core.plugins import ENTRY_POINT_GROUP, PluginManager
from orderhub.core.testing import checks
from orderhub.core.testing.helpers import (
    inbound_event,
    make_connection,
    round_trip,
    tampered,
    without_headers,
)

UNREADABLE_BODY = b"\x00{conformance: this is not a payload"


def _fail(problems: list[str], headline: str) -> None:
    if problems:
        pytest.fail(headline + "\n  - " + "\n  - ".join(problems), pytrace=False)


def _expect_rejected(call: Callable[[], Any], what: str) -> str | None:
    try:
        call()
    except WebhookRejected:
        return None
    except Exception as exc:
        return f"{what}: raised {type(exc).__name__}({exc}) instead of WebhookRejected"
    return f"{what}: was accepted"


class ConnectorConformance:
    """Checks every connector must pass. Override the class attributes and the two methods."""

    connector_class: ClassVar[type[Connector]]
    """The connector under test (required)."""
    entry_point: ClassVar[str | None] = None
    """Its name in the ``orderhub`` entry-point group; when set, the installed entry point
    must register `connector_class` through ``orderhub_register_connectors``."""
    signature_headers: ClassVar[tuple[str, ...] | None] = None
    """Headers that carry the signature. The missing-signature test removes these; when
    None it removes every header and the query string."""
    connection_id: ClassVar[str | None] = None
    """Id of the connection the kit builds (default: ``<name>-conformance``)."""

    # ------------------------------------------------------------ what the author provides

    def settings(self, secret: str) -> Any:
        """A valid `Settings` value for the connector whose webhook secret is `secret`."""
        pytest.fail(
            f"{type(self).__name__}: define settings(self, secret) returning a "
            "connector Settings value that uses `secret` as its webhook secret",
            pytrace=False,
        )

    def webhook_samples(self, secret: str) -> list[WebhookRequest]:
        """Real-shaped webhook requests signed with `secret` (needed for RECEIVE_WEBHOOKS)."""
        pytest.fail(
            f"{type(self).__name__}: the connector declares receive_webhooks; define "
            "webhook_samples(self, secret) returning WebhookRequests signed with `secret`",
            pytrace=False,
        )

    # ------------------------------------------------------------ building blocks

    def connector_under_test(self) -> type[Connector]:
        cls = getattr(self, "connector_class", None)
        if not isinstance(cls, type):
            pytest.fail(
                f"{type(self).__name__}: set `connector_class = YourConnector`", pytrace=False
            )
        return cls

    def make_connection(self, secret: str) -> Connection:
        """The connection the kit's connectors serve; override to add locations and the like."""
        cls = self.connector_under_test()
        return make_connection(
            cls, self.settings(secret), id=self.connection_id or f"{cls.name}-conformance"
        )

    def build(self, secret: str) -> Any:
        return self.connector_under_test()(self.make_connection(secret))

    def receives_webhooks(self) -> bool:
        return Capability.RECEIVE_WEBHOOKS in getattr(
            self.connector_under_test(), "capabilities", ()
        )

    def samples(self, secret: str) -> list[WebhookRequest]:
        if not self.receives_webhooks():
            pytest.skip("the connector does not declare receive_webhooks")
        samples = self.webhook_samples(secret)
        _fail(checks.sample_problems(samples), "the webhook samples are not usable:")
        return list(samples)

    @pytest.fixture
    def conformance_secret(self) -> str:
        return "conformance-" + secrets.token_hex(16)

    @pytest.fixture
    def conformance_connector(self, conformance_secret: str) -> Iterator[Any]:
        connector = self.build(conformance_secret)
        yield connector
        asyncio.run(connector.aclose())

    def decode_samples(
        self, connector: Any, samples: list[WebhookRequest]
    ) -> list[tuple[int, list[Any]]]:
        """Verify and decode every sample as the hub does; (sample index, changes) pairs."""
        decoded: list[tuple[int, list[Any]]] = []
        problems: list[str] = []
        for index, sample in enumerate(samples):
            try:
                envelope = connector.verify_webhook(sample)
                changes = connector.decode_webhook(inbound_event(sample, envelope))
            except Exception as exc:
                problems.append(f"sample {index}: {type(exc).__name__}({exc})")
                continue
            if not isinstance(changes, Sequence) or isinstance(changes, str | bytes):
                problems.append(
                    f"sample {index}: decode_webhook returned a {type(changes).__name__}, "
                    "not a sequence of changes"
                )
                continue
            decoded.append((index, list(changes)))
        _fail(problems, "the webhook samples do not verify and decode:")
        return decoded

    # ------------------------------------------------------------ declaration

    def test_declaration_is_valid(self) -> None:
        cls = self.connector_under_test()
        _fail(
            connector_problems(cls) + checks.name_problems(cls),
            f"{cls.__qualname__} is not a valid connector declaration:",
        )

    def test_settings_are_strict_and_survive_config(self, conformance_secret: str) -> None:
        cls = self.connector_under_test()
        _fail(
            checks.settings_problems(cls, self.settings(conformance_secret)),
            f"{cls.__qualname__}.Settings:",
        )

    def test_methods_are_sync_or_async_as_the_hub_calls_them(self) -> None:
        cls = self.connector_under_test()
        _fail(checks.async_problems(cls), f"{cls.__qualname__}:")

    def test_class_satisfies_its_kind_protocol(self, conformance_connector: Any) -> None:
        cls = self.connector_under_test()
        problems = checks.protocol_problems(cls)
        if not isinstance(conformance_connector, Connector):
            problems.append("an instance is not a orderhub.core.connectors.Connector")
        _fail(problems, f"{cls.__qualname__}:")

    def test_optional_protocols_are_implemented_whole(self) -> None:
        cls = self.connector_under_test()
        _fail(checks.optional_problems(cls), f"{cls.__qualname__}:")

    def test_entry_point_registers_the_connector(self) -> None:
        cls = self.connector_under_test()
        if not self.entry_point:
            pytest.skip("no entry_point set on the conformance class")
        if not md.entry_points(group=ENTRY_POINT_GROUP, name=self.entry_point):
            pytest.fail(
                f"no entry point {self.entry_point!r} in the {ENTRY_POINT_GROUP!r} group is "
                "installed: declare it under [project.entry-points.orderhub] and reinstall",
                pytrace=False,
            )
        manager = PluginManager(allow=[self.entry_point])
        manager.load_entrypoints()
        manager.check_pending()
        registered = manager.connectors()
        assert registered.get(cls.name) is cls, (
            f"entry point {self.entry_point!r} registers {sorted(registered)}, "
            f"not {cls.__qualname__} as {cls.name!r}"
        )

    # ------------------------------------------------------------ webhooks

    def test_webhook_samples_verify(
        self, conformance_connector: Any, conformance_secret: str
    ) -> None:
        problems: list[str] = []
        for index, sample in enumerate(self.samples(conformance_secret)):
            try:
                envelope = conformance_connector.verify_webhook(sample)
            except Exception as exc:
                problems.append(f"sample {index} was refused: {type(exc).__name__}({exc})")
                continue
            if not isinstance(envelope, WebhookEnvelope):
                problems.append(f"sample {index}: verify_webhook returned {envelope!r}")
                continue
            if not (isinstance(envelope.event_id, str) and envelope.event_id):
                problems.append(f"sample {index}: the envelope has no event_id")
            if not (isinstance(envelope.topic, str) and envelope.topic):
                problems.append(f"sample {index}: the envelope has no topic")
            problems += [
                f"sample {index}: {p}"
                for p in checks.aware_problems(envelope.occurred_at, "envelope.occurred_at")
            ]
            again = conformance_connector.verify_webhook(sample)
            if again.event_id != envelope.event_id:
                problems.append(
                    f"sample {index}: event_id differs between two verifications of the same "
                    "request; it must be the provider's delivery id (the inbox dedupe key)"
                )
        _fail(problems, "webhook samples:")

    def test_tampered_body_is_rejected(
        self, conformance_connector: Any, conformance_secret: str
    ) -> None:
        problems = [
            _expect_rejected(
                partial(conformance_connector.verify_webhook, tampered(sample)),
                f"sample {index} with one body byte changed",
            )
            for index, sample in enumerate(self.samples(conformance_secret))
        ]
        _fail([p for p in problems if p], "tampered bodies must raise WebhookRejected:")

    def test_wrong_secret_is_rejected(self, conformance_secret: str) -> None:
        samples = self.samples(conformance_secret)
        other = self.build(conformance_secret + "-wrong")
        try:
            problems = [
                _expect_rejected(
                    partial(other.verify_webhook, sample),
                    f"sample {index} checked with another secret",
                )
                for index, sample in enumerate(samples)
            ]
        finally:
            asyncio.run(other.aclose())
        _fail([p for p in problems if p], "a connection with another secret must refuse:")

    def test_missing_signature_is_rejected(
        self, conformance_connector: Any, conformance_secret: str
    ) -> None:
        problems = [
            _expect_rejected(
                partial(
                    conformance_connector.verify_webhook,
                    without_headers(sample, self.signature_headers),
                ),
                f"sample {index} without its signature",
            )
            for index, sample in enumerate(self.samples(conformance_secret))
        ]
        _fail([p for p in problems if p], "unsigned requests must raise WebhookRejected:")

    def test_decoded_changes_survive_a_round_trip(
        self, conformance_connector: Any, conformance_secret: str
    ) -> None:
        problems: list[str] = []
        decoded = self.decode_samples(conformance_connector, self.samples(conformance_secret))
        for index, changes in decoded:
            for position, change in enumerate(changes):
                where = f"sample {index}, change {position} ({type(change).__name__})"
                try:
                    again = round_trip(change)
                except Exception as exc:
                    problems.append(f"{where} does not survive JSON encode/decode: {exc}")
                    continue
                if again != change:
                    problems.append(f"{where} comes back different after encode/decode")
        _fail(problems, "decoded changes must be valid InboundChange values:")

    def test_decoded_changes_are_canonical(
        self, conformance_connector: Any, conformance_secret: str
    ) -> None:
        connection_id = conformance_connector.connection.id
        decoded = self.decode_samples(conformance_connector, self.samples(conformance_secret))
        if not any(changes for _, changes in decoded):
            pytest.fail(
                "no sample decodes to any change: add a sample of a topic the connector translates",
                pytrace=False,
            )
        problems: list[str] = []
        for index, changes in decoded:
            for position, change in enumerate(changes):
                try:
                    change = round_trip(change)
                except Exception as exc:
                    problems.append(f"sample {index}, change {position} is not valid: {exc}")
                    continue
                problems += [
                    f"sample {index}, change {position}: {p}"
                    for p in checks.change_problems(change, connection_id)
                ]
        _fail(problems, "decoded changes are not valid canonical data:")

    def test_unreadable_body_raises_payload_error(
        self, conformance_connector: Any, conformance_secret: str
    ) -> None:
        samples = self.samples(conformance_secret)
        decoded = dict(self.decode_samples(conformance_connector, samples))
        problems: list[str] = []
        for index, sample in enumerate(samples):
            if not decoded[index]:
                continue  # an ignored topic need not read its body
            envelope = conformance_connector.verify_webhook(sample)
            event = inbound_event(
                WebhookRequest(body=UNREADABLE_BODY, headers=sample.headers, query=sample.query),
                envelope,
            )
            try:
                changes: list[InboundChange] = conformance_connector.decode_webhook(event)
            except PayloadError:
                continue
            except Exception as exc:
                problems.append(
                    f"sample {index} with an unreadable body raised {type(exc).__name__}({exc})"
                )
            else:
                problems.append(
                    f"sample {index} with an unreadable body decoded to {len(changes)} change(s)"
                )
        _fail(problems, "an unreadable body must raise PayloadError:")
