"""Dependencies handlers declare by annotation."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from orderhub.hub.runtime import Hub

HubDep = NamedDependency[Hub]
"""The process's `Hub`: `async def handler(hub: HubDep) -> ...`."""

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size, 1 to 200.")]
"""The `limit` query parameter of every listing (default set by the handler)."""

Cursor = Annotated[
    str | None, QueryParameter(description="The `next_cursor` of the previous page.")
]
"""The `cursor` query parameter of every cursor-paginated listing."""


class ErrorDetail(msgspec.Struct, kw_only=True):
    code: str
    """Machine-readable: branch on this ("unknown_sku", "insufficient_stock")."""
    message: str
    details: dict[str, Any] | None = None
    """Context for the code; for a 400, `fields`: [{field, message, source}]."""


class ErrorBody(msgspec.Struct, kw_only=True):
    """The body of every error response."""

    error: ErrorDetail


_ERROR_MEANINGS = {
    400: "Malformed JSON, an unknown field or a value of the wrong type (named in details)",
    401: "Missing, invalid or revoked bearer token",
    403: "The token's role (or location scope) does not allow this",
    404: "No such resource",
    409: "Conflicts with the current state",
    413: "Body larger than api.max_body_bytes",
    422: "Well-formed but refused by a business rule",
    502: "The provider refused the call made on the request's behalf",
    503: "The provider cannot be reached now, or asked to wait; try again later",
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the errors a handler answers with, all in the `ErrorBody` shape.
    401 is always included: every handler using this needs a token."""
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=_ERROR_MEANINGS[status], generate_examples=False
        )
        for status in sorted({401, *statuses})
    }
