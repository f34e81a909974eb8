"""What every console page shares: rendering with the signed-in user, flash messages after
a redirect, what the user may do, form fields, and error pages instead of JSON."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, unquote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template

from orderhub.hub.auth.tokens import Principal, Role
from orderhub.hub.console.security import cookie
from orderhub.hub.errors import HubError, InvalidInput

log = logging.getLogger(__name__)

FLASH_COOKIE = "orderhub_console_flash"
PREFIX = "/console"


class Can:
    """What a user may do, for templates (which buttons to show) and handlers alike.

    The API's rules: admin does everything; operators handle orders, stock and replays;
    warehouse users change stock at their own locations only; read-only changes nothing.
    """

    def __init__(self, user: Principal) -> None:
        self.user = user
        role = user.role
        self.orders = role in (Role.ADMIN, Role.OPERATOR)
        self.replay = self.orders
        self.overview = role is not Role.WAREHOUSE
        """Dashboard, connections and routing: everyone but warehouse users."""

    def see_location(self, code: str) -> bool:
        return self.user.role is not Role.WAREHOUSE or code in self.user.locations

    def stock_at(self, code: str) -> bool:
        if self.user.role in (Role.ADMIN, Role.OPERATOR):
            return True
        return self.user.role is Role.WAREHOUSE and code in self.user.locations

    @property
    def scoped_locations(self) -> tuple[str, ...] | None:
        """The only locations this user sees, or None for all."""
        return self.user.locations if self.user.role is Role.WAREHOUSE else None


def url(path: str) -> str:
    return PREFIX + path


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    section: str = "",
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render a full page (or, for htmx, whatever the template renders) for the user."""
    user: Principal = request.user
    flash = request.cookies.get(FLASH_COOKIE)
    cookies = [cookie(request, FLASH_COOKIE, "", max_age=0)] if flash else []
    return Template(
        template_name=template,
        context={
            "me": user,
            "can": Can(user),
            "csrf": request.auth.csrf_token,
            "section": section,
            "flash": _read_flash(flash),
            "htmx": request.headers.get("hx-request") == "true",
            **context,
        },
        status_code=status_code,
        cookies=cookies,
    )


def _read_flash(raw: str | None) -> tuple[str, str] | None:
    if not raw:
        return None
    kind, _, message = unquote(raw).partition(":")
    return (kind if kind in ("ok", "error") else "ok", message)


def done(request: Request[Any, Any, Any], to: str, message: str, *, kind: str = "ok") -> Redirect:
    """After a successful form: back to a page (post/redirect/get) with a message on it."""
    return Redirect(
        path=to,
        status_code=303,
        cookies=[cookie(request, FLASH_COOKIE, quote(f"{kind}:{message}"[:1000]), max_age=60)],
    )


def back_to(request: Request[Any, Any, Any], default: str) -> str:
    """Where a form came from (its `next` field or the page it was on), inside the console."""
    candidate = request.query_params.get("next") or ""
    referer = request.headers.get("referer", "")
    if not candidate and referer:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        if referer.startswith(origin + PREFIX):
            candidate = referer[len(origin) :]
    if candidate.startswith(PREFIX) and not candidate.startswith("//"):
        return candidate
    return default


# ----------------------------------------------------------------------------- forms


def text(form: Any, name: str, *, required: bool = False, label: str | None = None) -> str:
    value = form.get(name)
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise InvalidInput(f"{label or name} is required", code="missing_field", field=name)
    return value


def integer(form: Any, name: str, *, label: str | None = None) -> int:
    raw = text(form, name, required=True, label=label)
    try:
        return int(raw)
    except ValueError as exc:
        raise InvalidInput(
            f"{label or name} must be a whole number, not {raw!r}",
            code="invalid_number",
            field=name,
        ) from exc


# ------------------------------------------------------------------------ error pages


def _error_page(
    request: Request[Any, Any, Any], status: int, title: str, message: str, code: str
) -> Response[Any]:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        return Response(
            f"{title}: {message}", status_code=status, media_type="text/plain; charset=utf-8"
        )
    auth = request.scope.get("auth")
    return Template(
        template_name="error.html",
        context={
            "me": user,
            "can": Can(user),
            "csrf": getattr(auth, "csrf_token", ""),
            "section": "",
            "flash": None,
            "htmx": request.headers.get("hx-request") == "true",
            "title": title,
            "message": message,
            "code": code,
            "status": status,
            "back": back_to(request, url("/")),
        },
        status_code=status,
        headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        if request.headers.get("hx-request") == "true"
        else None,
    )


def sign_in_redirect(request: Request[Any, Any, Any], _: NotAuthorizedException) -> Response[Any]:
    target = url("/login")
    if request.method == "GET" and request.url.path != target:
        target += "?next=" + quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
    if request.headers.get("hx-request") == "true":
        return Response(None, status_code=401, headers={"HX-Redirect": target})
    return Redirect(path=target, status_code=303)  # type: ignore[return-value]


def forbidden(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    return _error_page(request, 403, "Not allowed", exc.detail, "forbidden")


def hub_error(request: Request[Any, Any, Any], exc: HubError) -> Response[Any]:
    titles = {404: "Not found", 409: "Not possible now", 422: "Please check the form"}
    return _error_page(request, exc.status, titles.get(exc.status, "Error"), exc.message, exc.code)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        return _error_page(request, 400, "Please check the form", exc.detail, "invalid_request")
    return _error_page(request, exc.status_code, "Error", exc.detail, "error")


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("console error", exc_info=exc)
    return _error_page(
        request, 500, "Something went wrong", "the error was logged; try again", "internal_error"
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    NotAuthorizedException: sign_in_redirect,
    PermissionDeniedException: forbidden,
    HubError: hub_error,
    HTTPException: http_error,
    500: internal_error,
}
