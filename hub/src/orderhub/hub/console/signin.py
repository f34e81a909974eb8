"""Signing in and out of the console."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from orderhub.hub.auth.tokens import Role
from orderhub.hub.console import accounts, throttle
from orderhub.hub.console.security import PUBLIC, SIGN_IN_CSRF_COOKIE, cookie, new_sign_in_token
from orderhub.hub.console.sessions import COOKIE, LIFETIME, close_session, open_session
from orderhub.hub.console.web import PREFIX, text, url
from orderhub.hub.deps import HubDep


def _next(value: str | None) -> str:
    """Only a console path is followed after sign-in (no open redirect)."""
    if value and (value == PREFIX or value.startswith(PREFIX + "/")):
        return value
    return ""


def _form(
    request: Request[Any, Any, Any],
    *,
    error: str | None = None,
    username: str = "",
    next_path: str = "",
    status_code: int = 200,
) -> Template:
    token = new_sign_in_token()
    return Template(
        template_name="login.html",
        context={"csrf": token, "error": error, "username": username, "next": next_path},
        status_code=status_code,
        cookies=[cookie(request, SIGN_IN_CSRF_COOKIE, token, max_age=3600)],
    )


@get("/login", opt={PUBLIC: True}, name="console-login")
async def sign_in_form(
    request: Request[Any, Any, Any], next: FromQuery[str | None] = None
) -> Template:
    return _form(request, next_path=_next(next))


@post("/login", opt={PUBLIC: True}, status_code=303)
async def sign_in(request: Request[Any, Any, Any], hub: HubDep) -> Response[Any]:
    form = await request.form()
    username = accounts.normalize_username(text(form, "username"))
    password = form.get("password") if isinstance(form.get("password"), str) else ""
    next_path = _next(text(form, "next"))
    ip = request.client.host if request.client else "unknown"
    if not username or not password:
        return _form(
            request,
            error="Enter your username and password.",
            username=username,
            next_path=next_path,
            status_code=400,
        )
    async with hub.transaction() as session:
        wait = await throttle.retry_after(session, username, ip)
        if wait is not None:
            minutes = max(1, (wait + 59) // 60)
            return _form(
                request,
                error=f"Too many failed attempts. Try again in {minutes} minute(s).",
                username=username,
                next_path=next_path,
                status_code=429,
            )
        user = await accounts.verify_password(session, username, password)
        await throttle.record_attempt(session, username, ip, succeeded=user is not None)
        secret = await open_session(session, user) if user is not None else None
        role = Role(user.role) if user is not None else None
    if secret is None:
        return _form(
            request,
            error="Wrong username or password.",
            username=username,
            next_path=next_path,
            status_code=401,
        )
    home = url("/warehouse") if role is Role.WAREHOUSE else url("/")
    return Redirect(
        path=next_path or home,
        status_code=303,
        cookies=[
            cookie(request, COOKIE, secret, max_age=int(LIFETIME.total_seconds())),
            cookie(request, SIGN_IN_CSRF_COOKIE, "", max_age=0),
        ],
    )


@post("/logout", status_code=303)
async def sign_out(request: Request[Any, Any, Any], hub: HubDep) -> Redirect:
    async with hub.transaction() as session:
        await close_session(session, request.auth.id)
    return Redirect(
        path=url("/login"), status_code=303, cookies=[cookie(request, COOKIE, "", max_age=0)]
    )
