"""The litestar application: API, webhook intake, OpenAPI at /schema, console at /console
(which signs people in with its own session cookies instead of bearer tokens)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from orderhub.hub import __version__
from orderhub.hub.assembly import open_hub
from orderhub.hub.auth.middleware import PUBLIC_PATHS, TokenAuthMiddleware
from orderhub.hub.auth.tokens import TokenCache
from orderhub.hub.config import Settings
from orderhub.hub.console import console_routes, template_config
from orderhub.hub.errors import HubError
from orderhub.hub.orders.group_commit import OrderIntake
from orderhub.hub.routes import ROUTES
from orderhub.hub.runtime import Hub

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _hub_error(_: Request[Any, Any, Any], exc: HubError) -> Response[Any]:
    return Response(exc.body(), status_code=exc.status)


_NAMED_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]+)`")


def _field_problem(item: dict[str, Any]) -> dict[str, Any]:
    """One bad field, named by its path in the body ("lines[0].quantity").

    msgspec reports an unknown or missing field at the enclosing object ("lines[0]", or the
    whole body as "data"); the name of the field itself is in the message.
    """
    key = item.get("key") or ""
    message = str(item.get("message") or "invalid")
    if key == "data" and message == "'data'":
        return {"field": "body", "message": "a JSON body is required", "source": "body"}
    if match := _NAMED_FIELD.match(message):
        parent = "" if key in ("", "data") else key
        key = f"{parent}.{match.group(1)}" if parent else match.group(1)
    elif key == "data":
        key = "body"
    return {"field": key, "message": message, "source": item.get("source")}


def _validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    fields = [_field_problem(item) for item in (exc.extra or []) if isinstance(item, dict)]
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields) if fields else exc.detail
    body = {"error": {"code": "invalid_request", "message": message, "details": {"fields": fields}}}
    return Response(body, status_code=400)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = _STATUS_CODES.get(exc.status_code, "error" if exc.status_code >= 500 else "bad_request")
    return Response(
        {"error": {"code": code, "message": exc.detail}},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def _internal_error(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", exc_info=exc)
    return Response(
        {"error": {"code": "internal_error", "message": "internal error"}}, status_code=500
    )


def create_app(
    settings: Settings | None = None, *, hub: Hub | None = None, run_worker: bool = False
) -> Litestar:
    """Build the app. Pass `hub` to share one (tests, `serve`); otherwise one is opened here."""
    if hub is None:
        if settings is None:
            from orderhub.hub.config import load_settings

            settings = load_settings()
        hub = open_hub(settings)
    settings = hub.settings
    token_cache = TokenCache(settings.api.token_cache_seconds)
    order_intake = OrderIntake(hub)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        worker_task = None
        if run_worker:
            from orderhub.hub.worker import start_embedded_worker

            worker_task = await start_embedded_worker(hub)
        try:
            yield
        finally:
            if worker_task is not None:
                await worker_task.close()
            await order_intake.aclose()
            await hub.aclose()

    return Litestar(
        route_handlers=[*ROUTES, *console_routes()],
        state=State({"hub": hub, "token_cache": token_cache, "order_intake": order_intake}),
        dependencies={
            "hub": Provide(_provide_hub, sync_to_thread=False),
            "token_cache": Provide(_provide_token_cache, sync_to_thread=False),
            "order_intake": Provide(_provide_order_intake, sync_to_thread=False),
        },
        middleware=[DefineMiddleware(TokenAuthMiddleware, exclude=[*PUBLIC_PATHS, "^/console"])],
        template_config=template_config(),
        exception_handlers={
            HubError: _hub_error,
            ValidationException: _validation_error,
            HTTPException: _http_error,
            500: _internal_error,
        },
        request_max_body_size=settings.api.max_body_bytes,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="OrderHub",
            version=__version__,
            description="One place where every order and every unit of stock is true.",
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"bearer": []}],
        ),
        debug=False,
    )


def _provide_hub(request: Request[Any, Any, Any]) -> Hub:
    return request.app.state.hub


def _provide_token_cache(request: Request[Any, Any, Any]) -> TokenCache:
    """API tokens this process has checked lately (`orderhub.hub.auth.tokens`)."""
    return request.app.state.token_cache


def _provide_order_intake(request: Request[Any, Any, Any]) -> OrderIntake:
    """Group commit for `POST /orders` (`orderhub.hub.orders.group_commit`)."""
    return request.app.state.order_intake
