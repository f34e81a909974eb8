"""Bearer-token authentication for the API and role guards for handlers."""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from orderhub.hub.auth.tokens import Principal, Role, authenticate

PUBLIC_PATHS = ["^/health", "^/ready", "^/schema", "^/webhooks/"]

PUBLIC_SECURITY: list[dict[str, list[str]]] = [{}]
"""The OpenAPI `security` of a public operation (`@get(..., security=PUBLIC_SECURITY)`).
Litestar drops an empty list, which would leave the document's bearer requirement in place;
one empty requirement says that anonymous access is allowed."""


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthorizedException("missing bearer token (Authorization: Bearer ohk_...)")
        hub = connection.app.state.hub
        cache = connection.app.state.token_cache
        secret = secret.strip()
        now = time.monotonic()
        principal = cache.get(secret, now)
        if principal is None:
            async with hub.transaction() as session:
                principal = await authenticate(session, secret)
            if principal is None:
                raise NotAuthorizedException("invalid or revoked token")
            cache.put(secret, principal, now)
        return AuthenticationResult(user=principal, auth=secret)


def requires(*roles: Role):
    """A guard admitting only the given roles (admin is always admitted)."""
    allowed = {Role.ADMIN, *roles}

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if principal.role not in allowed:
            raise PermissionDeniedException(
                f"role {principal.role.value} may not do this (needs {', '.join(sorted(r.value for r in allowed))})"
            )

    return guard


WRITE_ORDERS = requires(Role.OPERATOR)
WRITE_STOCK = requires(Role.OPERATOR, Role.WAREHOUSE)
ADMIN_ONLY = requires()


def check_location_scope(principal: Principal, location: str) -> None:
    """A warehouse token acts only on its own locations."""
    if principal.role is Role.WAREHOUSE and location not in principal.locations:
        raise PermissionDeniedException(f"this token may not act on location {location!r}")
