"""Registering the webhook subscriptions a connection needs, from the API and the CLI.

The provider is told to deliver to `<api.public_url>/webhooks/<connection>` unless another
URL is given. The connector creates what is missing and keeps what exists, so registering
twice is harmless. A registration that succeeds proves that access works again, so it
clears a revocation (an app reinstalled after `app/uninstalled`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from orderhub.core.connectors import Capability, PermanentError, TransientError
from orderhub.hub.errors import Conflict, InvalidInput, ProviderError, ProviderUnavailable
from orderhub.hub.sync import ratelimit
from orderhub.hub.sync.state import clear_revoked, record_failure, record_success

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub


class Subscription(msgspec.Struct, kw_only=True):
    id: str
    """The provider's id of the subscription."""
    url: str | None = None


class Registration(msgspec.Struct, kw_only=True):
    connection: str
    url: str
    """Where the provider now delivers."""
    subscriptions: list[Subscription]
    revocation_cleared: bool = False
    """The connection had been revoked; this registration shows access works again."""


def callback_url(hub: Hub, connection_id: str, url: str | None = None) -> str:
    """The URL to register: `url`, or the connection's intake under `api.public_url`."""
    if url:
        if not url.startswith(("https://", "http://")):
            raise InvalidInput(f"{url!r} is not an http(s) URL", code="invalid_url", url=url)
        return url
    public = hub.settings.api.public_url
    if not public:
        raise InvalidInput(
            "no URL given and api.public_url is not configured: set it to how providers "
            "reach this hub (https://oms.example.com)",
            code="public_url_required",
        )
    return f"{public.rstrip('/')}/webhooks/{connection_id}"


async def register_webhooks(hub: Hub, connection_id: str, url: str | None = None) -> Registration:
    """Subscribe the connection's provider to the webhooks it sends us.

    404 unknown connection; 409 `registration_not_supported`; 422 without a URL; 502 when
    the provider refuses (its message kept); 503 when it cannot be reached or throttles.
    """
    hub.connection(connection_id)
    if not hub.supports(connection_id, Capability.REGISTER_WEBHOOKS):
        raise Conflict(
            f"connection {connection_id!r} is disabled or its connector registers no webhooks",
            code="registration_not_supported",
            connection=connection_id,
        )
    target = callback_url(hub, connection_id, url)
    connector = hub.connector(connection_id)
    try:
        async with ratelimit.budget(hub, connection_id, "register_webhooks"):
            refs = await connector.register_webhooks(target)
    except TransientError as exc:
        details = {"retry_after": exc.retry_after} if exc.retry_after is not None else {}
        raise ProviderUnavailable(
            f"{connection_id}: {exc}", connection=connection_id, **details
        ) from exc
    except PermanentError as exc:
        async with hub.transaction() as session:
            await record_failure(session, connection_id, f"register_webhooks: {exc}")
        details = {"provider_code": exc.code} if exc.code else {}
        raise ProviderError(f"{connection_id}: {exc}", connection=connection_id, **details) from exc
    async with hub.transaction() as session:
        cleared = await clear_revoked(session, connection_id)
        await record_success(session, connection_id)
    return Registration(
        connection=connection_id,
        url=target,
        subscriptions=[Subscription(id=ref.id, url=ref.url) for ref in refs],
        revocation_cleared=cleared,
    )
