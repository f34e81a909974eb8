"""The connector conformance kit and helpers for connector tests.

``ConnectorConformance`` is the base class of the kit (see ``conformance``); the helpers build
connections and connectors and sign, tamper with and strip webhook requests (see ``helpers``);
``checks`` holds the individual checks as functions returning readable problems; ``fakes``
holds recording connectors (``FakeChannel``, ``FakeCarrier``, ``FakeWms``), a plugin that
records notifications (``RecordingPlugin``) and ``connector_plugin`` to register classes.

Names are imported on first use, so that loading the pytest plugin (``orderhub.core.testing.
plugin``, registered for every pytest run through the ``pytest11`` entry point) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orderhub.core.testing.conformance import ConnectorConformance
    from orderhub.core.testing.fakes import (
        FakeCarrier,
        FakeChannel,
        FakeConnector,
        FakeWms,
        RecordingPlugin,
        connector_plugin,
    )
    from orderhub.core.testing.helpers import (
        build_connector,
        inbound_event,
        make_connection,
        open_connector,
        round_trip,
        sign_hmac_sha256,
        tampered,
        webhook_request,
        without_headers,
    )

_EXPORTS = {
    "ConnectorConformance": "orderhub.core.testing.conformance",
    "FakeCarrier": "orderhub.core.testing.fakes",
    "FakeChannel": "orderhub.core.testing.fakes",
    "FakeConnector": "orderhub.core.testing.fakes",
    "FakeWms": "orderhub.core.testing.fakes",
    "RecordingPlugin": "orderhub.core.testing.fakes",
    "connector_plugin": "orderhub.core.testing.fakes",
    "build_connector": "orderhub.core.testing.helpers",
    "inbound_event": "orderhub.core.testing.helpers",
    "make_connection": "orderhub.core.testing.helpers",
    "open_connector": "orderhub.core.testing.helpers",
    "round_trip": "orderhub.core.testing.helpers",
    "sign_hmac_sha256": "orderhub.core.testing.helpers",
    "tampered": "orderhub.core.testing.helpers",
    "webhook_request": "orderhub.core.testing.helpers",
    "without_headers": "orderhub.core.testing.helpers",
}

__all__ = [
    "ConnectorConformance",
    "FakeCarrier",
    "FakeChannel",
    "FakeConnector",
    "FakeWms",
    "RecordingPlugin",
    "connector_plugin",
    "build_connector",
    "inbound_event",
    "make_connection",
    "open_connector",
    "round_trip",
    "sign_hmac_sha256",
    "tampered",
    "webhook_request",
    "without_headers",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
