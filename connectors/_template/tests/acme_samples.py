"""Acme payloads (tests/payloads, in the shape the Acme API documents) and signed deliveries."""

from __future__ import annotations

import time
from pathlib import Path

from orderhub.connectors.acme import signature
from orderhub.core.connectors import WebhookRequest
from orderhub.core.testing import webhook_request

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def signed_webhook(
    secret: str,
    topic: str,
    body: bytes,
    *,
    delivery: str = "whd_01HQ3ZP9",
    timestamp: float | None = None,
) -> WebhookRequest:
    """A delivery as Acme sends it, signed now (or at `timestamp`) with `secret`."""
    signed_at = str(int(time.time() if timestamp is None else timestamp))
    return webhook_request(
        body,
        {
            "Acme-Webhook-Id": delivery,
            "Acme-Topic": topic,
            "Acme-Timestamp": signed_at,
            "Acme-Signature": signature(secret, signed_at, body),
            "Content-Type": "application/json",
        },
    )
