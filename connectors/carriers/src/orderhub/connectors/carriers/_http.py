"""HTTP plumbing shared by the carrier connectors: transport errors, rate limits, 5xx.

Every carrier answers 429 and 5xx differently in the body but means the same thing: try
again later. This module turns those, and timeouts, into `TransientError` (with the
server's `Retry-After` when it gave one); what a carrier's 4xx body means is left to the
connector, which knows its error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

import httpx
import msgspec

from orderhub.core.connection import Connection
from orderhub.core.connectors import PermanentError, TransientError
from orderhub.core.http_retry import is_transient_status, retry_after_seconds

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

T = TypeVar("T")


def new_client() -> httpx.AsyncClient:
    """The client a connector makes for itself when the hub does not hand one in."""
    return httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False)


NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures before the request reached the carrier: retrying cannot do anything twice."""


async def send(
    http: httpx.AsyncClient, method: str, url: str, *, purchase: bool = False, **kwargs: Any
) -> httpx.Response:
    """One request; a timeout or a broken connection becomes a `TransientError`.

    For a `purchase` (the call that buys a label), losing the answer after the request went
    out is different: the carrier may have sold the label, and a blind retry could buy a
    second one. That is a `PermanentError` (`purchase_outcome_unknown`) for an operator, who
    finds the label at the carrier by its reference.
    """
    try:
        return await http.request(method, url, **kwargs)
    except NOT_SENT as exc:
        raise TransientError(f"{method} {url} failed: {exc.__class__.__name__}") from exc
    except httpx.TransportError as exc:
        if purchase:
            raise PermanentError(
                f"{method} {url}: no answer after the purchase was sent "
                f"({exc.__class__.__name__}); the carrier may have created the label",
                code="purchase_outcome_unknown",
            ) from exc
        if isinstance(exc, httpx.TimeoutException):
            raise TransientError(f"{method} {url} timed out") from exc
        raise TransientError(f"{method} {url} failed: {exc.__class__.__name__}") from exc


def raise_if_transient(response: httpx.Response, describe: Callable[[httpx.Response], str]) -> None:
    """429 and 5xx mean "later": raise `TransientError`, honouring `Retry-After`."""
    if is_transient_status(response.status_code):
        raise TransientError(
            f"HTTP {response.status_code}: {describe(response)}",
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )


@overload
def decode(response: httpx.Response, type_: type[T], *, float_hook: Any = None) -> T: ...
@overload
def decode(response: httpx.Response, type_: Any, *, float_hook: Any = None) -> Any: ...
def decode(response: httpx.Response, type_: Any, *, float_hook: Any = None) -> Any:
    """Decode a carrier's JSON leniently (unknown fields ignored); garbage is permanent."""
    try:
        return msgspec.json.Decoder(type_, float_hook=float_hook).decode(response.content)
    except msgspec.DecodeError as exc:
        raise PermanentError(
            f"unreadable answer from {response.request.url.host} (HTTP {response.status_code}): "
            f"{exc}",
            code="bad_response",
            body=response.text[:2000],
        ) from exc


def body_text(response: httpx.Response, limit: int = 300) -> str:
    """A short, printable excerpt of a body for messages."""
    text = response.text.strip()
    return text[:limit] if text else response.reason_phrase


def try_decode(response: httpx.Response, type_: type[T]) -> T | None:
    """A carrier's error body in its documented shape, or None when it is something else."""
    try:
        return msgspec.json.decode(response.content, type=type_)
    except msgspec.DecodeError:
        return None


class HttpConnector:
    """What every carrier connector does the same way: keep its connection and settings, and
    use the hub's HTTP client or make (and later close) its own."""

    def __init__(self, connection: Connection, *, http: httpx.AsyncClient | None = None) -> None:
        self.connection = connection
        self.settings: Any = connection.settings
        self._owns_http = http is None
        self.http = http or new_client()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()
