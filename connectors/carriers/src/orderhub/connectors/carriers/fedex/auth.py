"""FedEx OAuth 2.0 client credentials: one token per key pair, kept until shortly before expiry.

FedEx tokens live an hour (`expires_in` 3599). Asking for one per call would double the
traffic and count against the same rate limit, so the token is cached; a 401 on an API call
means FedEx revoked it early, and the caller drops it and asks once more.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import msgspec

from orderhub.connectors.carriers import _http
from orderhub.core.connectors import PermanentError

EXPIRY_MARGIN = 60.0
"""Seconds before `expires_in` runs out at which a token is no longer used."""


class OAuthToken(msgspec.Struct, kw_only=True):
    access_token: str
    expires_in: int
    token_type: str | None = None
    scope: str | None = None


class FedexError(msgspec.Struct, kw_only=True):
    code: str | None = None
    message: str | None = None


class FedexErrorBody(msgspec.Struct, kw_only=True):
    """`{transactionId, errors: [{code, message, parameterList?}]}`, the shape of every error."""

    errors: list[FedexError] = []
    transactionId: str | None = None  # noqa: N815 - FedEx's field name


def error_body(response: httpx.Response) -> FedexErrorBody | None:
    parsed = _http.try_decode(response, FedexErrorBody)
    return parsed if parsed is not None and parsed.errors else None


def error_text(response: httpx.Response) -> str:
    parsed = error_body(response)
    if parsed is None:
        return _http.body_text(response)
    return "; ".join(e.message or e.code or "error" for e in parsed.errors)


def permanent(response: httpx.Response) -> PermanentError:
    parsed = error_body(response)
    return PermanentError(
        error_text(response),
        code=(parsed.errors[0].code if parsed and parsed.errors[0].code else None)
        or str(response.status_code),
        body=msgspec.to_builtins(parsed) if parsed else response.text[:2000],
    )


class TokenCache:
    """The bearer token of one FedEx project (API key and secret)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._url = url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        """A valid token, fetched only when there is none or it is about to expire."""
        async with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._token = await self._fetch()
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` after FedEx refused it (unless another call already replaced it)."""
        if self._token == token:
            self._token = None

    async def _fetch(self) -> str:
        started = self._clock()
        response = await _http.send(
            self._http,
            "POST",
            self._url,
            data=self._form,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        _http.raise_if_transient(response, error_text)
        if response.status_code >= 400:
            raise permanent(response)
        token = _http.decode(response, OAuthToken)
        self._expires_at = started + token.expires_in - EXPIRY_MARGIN
        return token.access_token
