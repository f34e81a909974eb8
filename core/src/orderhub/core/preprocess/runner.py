"""Running a list of checks over one order and collecting the holds they ask for."""

from __future__ import annotations

import inspect
from collections.abc import Iterable

import msgspec

from orderhub.core.extensions import CheckContext, HoldRequest, OrderCheck
from orderhub.core.model.orders import HoldReason


def _check_name(check: OrderCheck) -> str:
    return getattr(check, "name", None) or type(check).__name__


def _failed(check: OrderCheck, exc: Exception) -> HoldRequest:
    """A check that breaks holds the order: better a visible hold than an unchecked order."""
    return HoldRequest(
        reason=HoldReason.PLUGIN,
        detail=f"check {_check_name(check)!r} could not run: {type(exc).__name__}: {exc}",
        check=_check_name(check),
    )


def _named(check: OrderCheck, verdict: object) -> HoldRequest | None:
    if verdict is None:
        return None
    if not isinstance(verdict, HoldRequest):
        raise TypeError(
            f"check {_check_name(check)!r} returned {type(verdict).__name__}, "
            "expected HoldRequest or None"
        )
    return msgspec.structs.replace(verdict, check=_check_name(check))


def run_checks(context: CheckContext, checks: Iterable[OrderCheck]) -> list[HoldRequest]:
    """Run synchronous checks in order; one HoldRequest per check that wants a hold.

    Every check runs even after one asked for a hold, so the operator sees every reason at
    once. A check that raises yields a hold naming it. A check returning an awaitable needs
    `run_checks_async`.
    """
    holds: list[HoldRequest] = []
    for check in checks:
        try:
            verdict = check.check(context)
        except Exception as exc:
            holds.append(_failed(check, exc))
            continue
        if inspect.isawaitable(verdict):
            if inspect.iscoroutine(verdict):
                verdict.close()
            raise TypeError(f"check {_check_name(check)!r} is asynchronous: use run_checks_async")
        try:
            hold = _named(check, verdict)
        except TypeError as exc:
            hold = _failed(check, exc)
        if hold is not None:
            holds.append(hold)
    return holds


async def run_checks_async(
    context: CheckContext, checks: Iterable[OrderCheck]
) -> list[HoldRequest]:
    """`run_checks` for a mix of synchronous checks and checks that return awaitables."""
    holds: list[HoldRequest] = []
    for check in checks:
        try:
            verdict = check.check(context)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            hold = _named(check, verdict)
        except Exception as exc:
            hold = _failed(check, exc)
        if hold is not None:
            holds.append(hold)
    return holds
