"""The GraphQL Admin API over HTTP: one POST per call, errors sorted into transient and permanent.

What the hub needs from a failed call is a decision: retry later (`TransientError`, with how
long to wait when Shopify says) or stop and show an operator (`PermanentError`, with the body).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import httpx
import msgspec

from orderhub.connectors.shopify.ids import to_gid
from orderhub.connectors.shopify.settings import ShopifySettings
from orderhub.connectors.shopify.throttle import CostBudget, ThrottleStatus
from orderhub.core.connectors import PermanentError, TransientError
from orderhub.core.http_retry import TOO_MANY_REQUESTS, is_transient_status, retry_after_seconds

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_TRANSIENT_CODES = {"THROTTLED", "INTERNAL_SERVER_ERROR"}
_QUERY_COST = re.compile(r"Query cost is (\d+)")


class QueryTooCostly(PermanentError):
    """The requested cost is over Shopify's single-query limit; `cost` and `limit` say by how much."""

    def __init__(self, message: str, *, cost: int | None, limit: int, body: Any) -> None:
        super().__init__(message, code="MAX_COST_EXCEEDED", body=body)
        self.cost = cost
        self.limit = limit


def _messages(errors: Any) -> str:
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(
            str(error.get("message", error)) if isinstance(error, dict) else str(error)
            for error in errors
        )
    return str(errors)


def _code(error: Any) -> str | None:
    if isinstance(error, dict) and isinstance(error.get("extensions"), dict):
        code = error["extensions"].get("code")
        return str(code) if code is not None else None
    return None


def _retry_after(response: httpx.Response) -> float:
    """Shopify's Retry-After; one second when it gave none we can read."""
    seconds = retry_after_seconds(response.headers.get("retry-after"))
    return 1.0 if seconds is None else seconds


def user_errors(payload: Mapping[str, Any] | None, operation: str, key: str = "userErrors") -> None:
    """Raise the mutation's userErrors as a PermanentError naming each field and message."""
    errors = (payload or {}).get(key) or []
    if errors:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in error.get('field') or []) or '-'}: {error.get('message')}"
            for error in errors
        )
        codes = [error.get("code") for error in errors if error.get("code")]
        raise PermanentError(
            f"{operation} rejected: {detail}", code=codes[0] if codes else None, body=errors
        )


class GraphQLClient:
    """Calls one store's GraphQL Admin API and keeps its cost budget up to date."""

    def __init__(
        self,
        settings: ShopifySettings,
        http: httpx.AsyncClient,
        budget: CostBudget,
        *,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.http = http
        self.budget = budget
        self._sleep = sleep
        self._clock = clock

    async def execute(
        self, operation: str, document: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run one query or mutation and return its `data`."""
        await self._wait_for_budget(operation)
        try:
            response = await self.http.post(
                self.settings.graphql_url,
                json={"query": document, "variables": dict(variables or {})},
                headers={
                    "X-Shopify-Access-Token": self.settings.access_token,
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
                timeout=self.settings.timeout_seconds,
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"{operation}: Shopify did not answer in time ({exc})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{operation}: cannot reach Shopify ({exc})") from exc
        return self._interpret(operation, response)

    async def read_order(
        self, operation: str, document: str, external_id: str
    ) -> tuple[str, dict[str, Any]]:
        """Run an `order(id: $id)` query for OrderHub's external id: the GID and the order node."""
        try:
            gid = to_gid("Order", external_id)
        except ValueError as exc:
            raise PermanentError(str(exc)) from exc
        data = await self.execute(operation, document, {"id": gid})
        order = data.get("order")
        if not isinstance(order, dict):
            raise PermanentError(f"Shopify has no order {external_id}", body=data)
        return gid, order

    async def _wait_for_budget(self, operation: str) -> None:
        delay = self.budget.delay_before(operation, self._clock())
        if delay <= 0:
            return
        if delay > self.settings.max_throttle_wait_seconds:
            raise TransientError(
                f"{operation}: rate-limit bucket needs {delay:.1f}s to refill",
                retry_after=round(delay, 3),
            )
        await self._sleep(delay)

    def _interpret(self, operation: str, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status == TOO_MANY_REQUESTS:
            raise TransientError(
                f"{operation}: HTTP 429 Too Many Requests", retry_after=_retry_after(response)
            )
        if is_transient_status(status):
            raise TransientError(f"{operation}: Shopify answered HTTP {status}")
        if status >= 400:
            raise PermanentError(
                f"{operation}: HTTP {status}: {response.text[:500]}",
                code=f"http_{status}",
                body=response.text,
            )
        try:
            body = _DECODER.decode(response.content)
        except msgspec.DecodeError as exc:
            raise TransientError(f"{operation}: unreadable answer from Shopify") from exc
        if not isinstance(body, dict):
            raise TransientError(f"{operation}: unexpected answer from Shopify")
        requested = self._observe_cost(operation, body.get("extensions"))
        errors = body.get("errors")
        if errors:
            self._raise_errors(operation, errors, requested, body)
        data = body.get("data")
        if not isinstance(data, dict):
            raise PermanentError(f"{operation}: answer without data", body=body)
        return data

    def _observe_cost(self, operation: str, extensions: Any) -> float | None:
        cost = extensions.get("cost") if isinstance(extensions, dict) else None
        if not isinstance(cost, dict):
            return None
        requested = cost.get("requestedQueryCost")
        requested = float(requested) if requested is not None else None
        self.budget.record_cost(operation, requested)
        throttle = cost.get("throttleStatus")
        if isinstance(throttle, dict):
            # A malformed status is no reason to fail a call that worked.
            with contextlib.suppress(KeyError, TypeError, ValueError):
                self.budget.observe(
                    ThrottleStatus(
                        maximum_available=float(throttle["maximumAvailable"]),
                        currently_available=float(throttle["currentlyAvailable"]),
                        restore_rate=float(throttle["restoreRate"]),
                        observed_at=self._clock(),
                    )
                )
        return requested

    def _raise_errors(
        self, operation: str, errors: Any, requested: float | None, body: Any
    ) -> None:
        items = errors if isinstance(errors, list) else [errors]
        codes = [_code(error) for error in items]
        message = f"{operation}: {_messages(errors)}"
        if "THROTTLED" in codes:
            raise TransientError(
                message, retry_after=self.budget.retry_after_throttled(requested, self._clock())
            )
        if "MAX_COST_EXCEEDED" in codes:
            error = items[codes.index("MAX_COST_EXCEEDED")]
            extensions = error.get("extensions", {})
            cost = extensions.get("cost")
            if not isinstance(cost, (int, Decimal)):
                match = _QUERY_COST.search(str(error.get("message", "")))
                cost = int(match.group(1)) if match else None
            limit = extensions.get("maxCost", 1000)
            raise QueryTooCostly(
                message,
                cost=int(cost) if cost is not None else None,
                limit=int(limit) if isinstance(limit, (int, Decimal)) else 1000,
                body=body,
            )
        if any(code in _TRANSIENT_CODES for code in codes):
            raise TransientError(message)
        raise PermanentError(message, code=next((c for c in codes if c), None), body=body)
