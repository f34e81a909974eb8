"""`POST /webhooks/{connection_id}`: the public door for providers' webhooks.

The connector checks the signature on the raw bytes; a bad one is a 401 and nothing is
stored. A good one is written to the inbox (a repeat of the same delivery is acknowledged and
dropped by the unique key) and answered at once: decoding and merging happen in the worker,
so a provider's timeout (Shopify allows 5 s) is never at risk.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, post
from litestar.params import FromPath

from orderhub.core.connectors import Capability, PayloadError, WebhookRejected, WebhookRequest
from orderhub.hub.auth.middleware import PUBLIC_SECURITY
from orderhub.hub.deps import HubDep
from orderhub.hub.errors import InvalidInput, NotFound, Unauthorized
from orderhub.hub.sync import inbox

log = logging.getLogger(__name__)

MAX_EVENT_ID = 256
MAX_TOPIC = 128
"""Column sizes of the inbox's event id and topic."""


class WebhookReceipt(msgspec.Struct, kw_only=True, omit_defaults=True):
    status: str
    """accepted (stored, will be processed) | duplicate (this delivery was already stored)."""
    inbox_id: int | None = None


@post(
    "/webhooks/{connection_id:str}",
    tags=["webhooks"],
    security=PUBLIC_SECURITY,
    status_code=200,
    summary="Receive a provider's webhook (signed; no token)",
)
async def receive_webhook(
    hub: HubDep, request: Request[Any, Any, Any], connection_id: FromPath[str]
) -> WebhookReceipt:
    """401 `invalid_signature` when the connector rejects the signature; 404 for an unknown or
    disabled connection, or `webhooks_not_supported` when its connector takes none."""
    connection = hub.connections.get(connection_id)
    if connection is None or not connection.enabled:
        raise NotFound(
            f"no enabled connection {connection_id!r}",
            code="unknown_connection",
            connection=connection_id,
        )
    if not hub.supports(connection_id, Capability.RECEIVE_WEBHOOKS):
        raise NotFound(
            f"connection {connection_id!r} does not receive webhooks",
            code="webhooks_not_supported",
            connection=connection_id,
        )
    body = await request.body()
    headers = {name.lower(): value for name, value in request.headers.items()}
    query = {name: value for name, value in request.query_params.items()}
    connector = hub.connector(connection_id)
    try:
        envelope = connector.verify_webhook(WebhookRequest(body=body, headers=headers, query=query))
    except WebhookRejected as exc:
        log.info("webhook for %s rejected: %s", connection_id, exc)
        raise Unauthorized(
            "the webhook signature is missing or does not match", code="invalid_signature"
        ) from None
    except PayloadError as exc:
        raise InvalidInput(
            f"not a webhook this connection reads: {exc}", code="invalid_webhook"
        ) from None
    if not 0 < len(envelope.event_id) <= MAX_EVENT_ID or len(envelope.topic) > MAX_TOPIC:
        raise InvalidInput(
            f"event id must be 1 to {MAX_EVENT_ID} characters and topic at most {MAX_TOPIC}",
            code="invalid_webhook",
        )
    async with hub.transaction() as session:
        inbox_id = await inbox.store(
            session,
            connection_id=connection_id,
            event_id=envelope.event_id,
            topic=envelope.topic,
            headers=headers,
            body=body,
        )
    if inbox_id is None:
        return WebhookReceipt(status="duplicate")
    await hub.enqueue("process_inbox", inbox_id, job_id=inbox.job_id(inbox_id))
    return WebhookReceipt(status="accepted", inbox_id=inbox_id)
