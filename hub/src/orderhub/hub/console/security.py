"""Who is signed in, and whether a form really comes from one of our pages.

`ConsoleAuthMiddleware` turns the session cookie into `request.user` (a `Principal`, the
same type API tokens give, so the API's role guards work unchanged) and `request.auth` (the
`ConsoleSession`). `check_csrf` refuses any state-changing request that does not carry the
session's CSRF token, as a form field or the `X-CSRF-Token` header htmx sends. The sign-in
form has no session yet: it carries a token that must match a cookie set with the form.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from orderhub.hub.console.sessions import COOKIE, ConsoleSession, load_session

PUBLIC = "console_public"
"""Route handler `opt` key of the pages one may open signed out (sign-in, static files)."""

CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
SIGN_IN_CSRF_COOKIE = "orderhub_console_signin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie(request: Request[Any, Any, Any], key: str, value: str, *, max_age: int | None) -> Cookie:
    """A console cookie: HttpOnly, SameSite=Lax, Secure when the page came over https."""
    return Cookie(
        key=key,
        value=value,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=max_age,
    )


class ConsoleAuthMiddleware(ASGIMiddleware):
    """Loads the signed-in user from the session cookie; signed out, sends to sign-in."""

    exclude_opt_key = PUBLIC

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = Request(scope, receive)
        secret = request.cookies.get(COOKIE)
        console_session = None
        if secret:
            async with scope["app"].state.hub.read() as session:
                console_session = await load_session(session, secret)
        if console_session is None:
            raise NotAuthorizedException("sign in to use the console")
        scope["user"] = console_session.user
        scope["auth"] = console_session
        await next_app(scope, receive, send)


async def _sent_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def _same(sent: str, expected: str | None) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(sent, expected or "")


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """`before_request` of the console: a POST without the right token is refused (403)."""
    if request.method in SAFE_METHODS:
        return
    console_session: ConsoleSession | None = request.scope.get("auth")
    if isinstance(console_session, ConsoleSession):
        expected: str | None = console_session.csrf_token
    else:
        expected = request.cookies.get(SIGN_IN_CSRF_COOKIE)
    if not _same(await _sent_token(request), expected):
        raise PermissionDeniedException(
            "this form is missing its security token or it has expired; reload the page "
            "and try again"
        )


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(32)
