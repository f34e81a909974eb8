"""The domain extension points plugins register through hooks: checks, routing rules, actions.

Each is a small protocol. Their context types are plain Structs built by the hub, so an
extension stays pure and testable without a database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Protocol

import msgspec

from orderhub.core.model.orders import HoldReason, Order


class HoldRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A check's verdict that an order must wait."""

    reason: HoldReason
    detail: str
    check: str | None = None
    """Name of the check that asked for the hold; `run_checks` fills it in."""


class CheckContext(msgspec.Struct, frozen=True, kw_only=True):
    """What a pre-processing check may look at."""

    order: Order
    known_skus: frozenset[str] = frozenset()
    channel_policy: Mapping[str, Any] = {}
    """The channel's check settings, keyed by check name: each entry overrides that check's
    own configuration for orders of this channel (``{"payment": {"require": "paid"}}``)."""
    recent_orders: Sequence[Order] = ()
    """Same customer's recent orders, for duplicate and velocity checks."""
    available: Mapping[str, int] = {}
    """Units available now per SKU over the locations feeding the order's channel."""
    incoming: Mapping[str, int] = {}
    """Units expected (purchase orders, transfers) per SKU at those locations."""


class OrderCheck(Protocol):
    """A pre-processing check. Returning a HoldRequest puts the order on hold.

    A check reads only its context (no I/O of its own unless it returns an awaitable), so
    the same order and context always give the same verdict. The built-in checks are in
    `orderhub.core.preprocess`; `run_checks` runs a list of them.
    """

    @property
    def name(self) -> str:
        """Unique check name: what holds, traces and ``channel_policy`` keys refer to."""
        ...

    def check(
        self, context: CheckContext
    ) -> HoldRequest | None | Awaitable[HoldRequest | None]: ...


class AutomationAction(Protocol):
    """Something a trigger can do (e.g. release for picking, flag, create a task)."""

    @property
    def name(self) -> str:
        """Unique action name, listed by ``GET /plugins``."""
        ...

    def run(self, order: Order, params: Mapping[str, Any]) -> None | Awaitable[None]: ...
