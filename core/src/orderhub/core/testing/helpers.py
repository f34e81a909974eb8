"""Small tools for connector tests: connections, connectors, signed and tampered webhooks.

Everything here is plain functions with no pytest dependency, so a connector's own tests can
use them as well as the conformance kit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec

from orderhub.core.connection import Connection, decode_settings
from orderhub.core.connectors import Connector, InboundEvent, WebhookEnvelope, WebhookRequest
from orderhub.core.events import InboundChange


def make_connection(
    connector_class: type[Connector],
    settings: msgspec.Struct | Mapping[str, Any] | None = None,
    *,
    id: str | None = None,
    **fields: Any,
) -> Connection:
    """A Connection for `connector_class`, as the hub would build it from config.

    `settings` may be the connector's Settings struct, a mapping decoded strictly the way
    config is (unknown keys fail), or None for the Settings defaults (a `SettingsError` names a missing
    required key). Extra keyword arguments
    are Connection fields (``locations``, ``feeds_from``, ``title``, ``enabled``).
    """
    if settings is None or isinstance(settings, Mapping):
        settings = decode_settings(connector_class.Settings, dict(settings or {}), "settings")
    return Connection(
        id=id or connector_class.name,
        connector=connector_class.name,
        settings=settings,
        **fields,
    )


def build_connector(
    connector_class: type[Connector],
    settings: msgspec.Struct | Mapping[str, Any] | None = None,
    *,
    http: Any | None = None,
    id: str | None = None,
    **fields: Any,
) -> Any:
    """An instance of `connector_class` serving a fresh connection (see `make_connection`)."""
    connection = make_connection(connector_class, settings, id=id, **fields)
    return connector_class(connection, http=http)


@asynccontextmanager
async def open_connector(
    connector_class: type[Connector],
    settings: msgspec.Struct | Mapping[str, Any] | None = None,
    *,
    http: Any | None = None,
    id: str | None = None,
    **fields: Any,
) -> AsyncIterator[Any]:
    """`build_connector` for async tests: the connector is closed (``aclose``) on exit."""
    connector = build_connector(connector_class, settings, http=http, id=id, **fields)
    try:
        yield connector
    finally:
        await connector.aclose()


def sign_hmac_sha256(secret: str | bytes, message: bytes, *, encoding: str = "base64") -> str:
    """HMAC-SHA256 of `message`, as most providers sign webhooks: "base64" or "hex" digest."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, message, hashlib.sha256).digest()
    if encoding == "base64":
        return base64.b64encode(digest).decode()
    if encoding == "hex":
        return digest.hex()
    raise ValueError(f"encoding must be 'base64' or 'hex', not {encoding!r}")


def webhook_request(
    body: bytes | str | Mapping[str, Any] | list[Any],
    headers: Mapping[str, str],
    query: Mapping[str, str] | None = None,
) -> WebhookRequest:
    """A WebhookRequest as the hub hands it over: header names lower-cased, body as bytes.

    A mapping or list body is JSON-encoded; sign the resulting ``request.body``, or encode
    the body yourself first when the signature must cover exact bytes.
    """
    if isinstance(body, str):
        raw = body.encode()
    elif isinstance(body, bytes):
        raw = body
    else:
        raw = msgspec.json.encode(body)
    return WebhookRequest(
        body=raw,
        headers={name.lower(): value for name, value in headers.items()},
        query=dict(query or {}),
    )


def tampered(request: WebhookRequest) -> WebhookRequest:
    """The same request with one byte of the body changed (the middle one, low bit flipped)."""
    body = bytearray(request.body or b" ")
    middle = len(body) // 2
    body[middle] ^= 0x01
    return WebhookRequest(body=bytes(body), headers=request.headers, query=request.query)


def without_headers(
    request: WebhookRequest, names: tuple[str, ...] | list[str] | None = None
) -> WebhookRequest:
    """The request without the named headers; with no names, without any header or query."""
    if names is None:
        return WebhookRequest(body=request.body, headers={}, query={})
    drop = {name.lower() for name in names}
    headers = {name: value for name, value in request.headers.items() if name.lower() not in drop}
    return WebhookRequest(body=request.body, headers=headers, query=request.query)


def inbound_event(
    request: WebhookRequest, envelope: WebhookEnvelope, *, received_at: datetime | None = None
) -> InboundEvent:
    """The inbox event the hub stores for a verified request and later hands to decoding."""
    return InboundEvent(
        event_id=envelope.event_id,
        topic=envelope.topic,
        body=request.body,
        headers=dict(request.headers),
        received_at=received_at or datetime.now(UTC),
    )


def round_trip(change: InboundChange) -> InboundChange:
    """Encode a change to JSON and decode it back as the hub does when it queues it."""
    decoded: InboundChange = msgspec.json.decode(msgspec.json.encode(change), type=InboundChange)
    return decoded
