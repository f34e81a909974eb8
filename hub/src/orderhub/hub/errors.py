"""Domain errors and how the API reports them.

Every error response has one shape, so clients can branch on `code`::

    {"error": {"code": "insufficient_stock", "message": "...", "details": {...}}}
"""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """An error the API reports with `status` and a machine-readable `code`."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class InvalidInput(HubError):
    status = 422
    code = "invalid_input"


class NotFound(HubError):
    status = 404
    code = "not_found"


class Conflict(HubError):
    status = 409
    code = "conflict"


class Unauthorized(HubError):
    status = 401
    code = "unauthorized"


class Forbidden(HubError):
    status = 403
    code = "forbidden"


class ProviderError(HubError):
    """A provider refused a call made on the request's behalf (its message is kept)."""

    status = 502
    code = "provider_error"


class ProviderUnavailable(HubError):
    """A provider could not be reached, or asked us to wait; try again later."""

    status = 503
    code = "provider_unavailable"
