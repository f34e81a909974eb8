"""`POST /imports/{kind}` (CSV or XLSX in, a row-by-row report out) and `GET /exports/orders.csv`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromQuery, PathParameter, QueryParameter, RawBody
from litestar.response import Stream

from orderhub.core.model import Actor, ActorKind, OrderStatus
from orderhub.hub.auth.middleware import WRITE_ORDERS
from orderhub.hub.auth.tokens import Principal
from orderhub.hub.channels.spreadsheet.columns import SheetKind
from orderhub.hub.channels.spreadsheet.exporter import orders_csv
from orderhub.hub.channels.spreadsheet.importer import SPREADSHEET_CONNECTOR, import_sheet
from orderhub.hub.channels.spreadsheet.reading import (
    XLSX_MEDIA_TYPE,
    SheetError,
    format_for_media_type,
    read_sheet,
)
from orderhub.hub.channels.spreadsheet.report import ImportReport
from orderhub.hub.deps import HubDep
from orderhub.hub.errors import HubError, InvalidInput, NotFound
from orderhub.hub.orders.schemas import OrderFilter


class UnsupportedMediaType(HubError):
    status = 415
    code = "unsupported_media_type"


_IMPORT_DESCRIPTION = f"""
Send the file as the request body: `Content-Type: text/csv` for CSV (UTF-8; comma, semicolon
or tab separated) or `{XLSX_MEDIA_TYPE}` for XLSX (first sheet). The first row names the
columns.

- items: sku, name, price, currency, barcode, weight_grams, tags, sku_group
- stock: sku, location, on_hand, safety_stock, reason
- orders (one row per line, grouped by order_ref): order_ref, placed_at, currency,
  customer_email, customer_name, ship_name, ship_line1, ship_city, ship_postal_code,
  ship_country, sku, quantity, unit_price, shipping_price, financial_status, tags, notes

Valid rows are applied and invalid ones are not; the answer lists every row with its status
(ok, error, skipped) and messages. With `dry_run=true` nothing is changed.
"""


@dataclass
class _FileUpload(Operation):
    """Documents the raw file body, which the handler reads itself."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="The file itself, as the whole body.",
            content={
                "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
                XLSX_MEDIA_TYPE: OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, format="binary")
                ),
            },
        )


@post(
    "/imports/{kind:str}",
    guards=[WRITE_ORDERS],
    operation_class=_FileUpload,
    status_code=200,
    tags=["imports"],
    summary="Import orders, items or stock from a CSV or XLSX file",
    description=_IMPORT_DESCRIPTION,
)
async def import_file(
    request: Request[Principal, Any, Any],
    hub: HubDep,
    kind: Annotated[str, PathParameter(description="orders, items or stock")],
    body: RawBody,
    dry_run: Annotated[
        bool, QueryParameter(description="Check every row and report; change nothing")
    ] = False,
    connection: Annotated[
        str, QueryParameter(description="The spreadsheet connection the import is for")
    ] = SPREADSHEET_CONNECTOR,
) -> ImportReport:
    try:
        sheet_kind = SheetKind(kind)
    except ValueError:
        raise NotFound(
            f"no import of {kind!r}; use orders, items or stock",
            code="unknown_import_kind",
            kind=kind,
        ) from None
    media_type = request.headers.get("content-type", "")
    fmt = format_for_media_type(media_type)
    if fmt is None:
        raise UnsupportedMediaType(
            f"send text/csv or {XLSX_MEDIA_TYPE}, not {media_type or 'no content type'}",
            content_type=media_type,
        )
    try:
        sheet = await asyncio.to_thread(read_sheet, body, fmt, sheet_kind)
    except SheetError as exc:
        raise InvalidInput(str(exc), code="invalid_file") from exc
    principal = request.user
    return await import_sheet(
        hub,
        sheet,
        sheet_kind,
        actor=Actor(kind=ActorKind.USER, name=principal.name),
        connection=connection,
        dry_run=dry_run,
        reference=f"import by {principal.name}",
    )


@get(
    "/exports/orders.csv",
    tags=["exports"],
    summary="Orders as CSV, one row per line, in the order import's columns",
    media_type="text/csv",
)
async def export_orders(
    hub: HubDep,
    status: FromQuery[list[OrderStatus] | None] = None,
    connection: FromQuery[str | None] = None,
    placed_from: FromQuery[datetime | None] = None,
    placed_to: FromQuery[datetime | None] = None,
    customer: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
) -> Stream:
    """The filters of `GET /orders`: `status` may be repeated, `placed_to` is exclusive, times
    without an offset are UTC, `customer` is an exact e-mail, `q` an order number or part of
    an e-mail. Newest orders first."""
    filters = OrderFilter(
        status=status or [],
        connection=connection,
        placed_from=_utc(placed_from),
        placed_to=_utc(placed_to),
        customer=customer,
        q=q,
    )
    return Stream(
        orders_csv(hub, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
