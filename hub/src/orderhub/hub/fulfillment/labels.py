"""Labels are bought once.

No carrier API has an idempotency key for a purchase, so the hub keeps its own record:

1. in one transaction, a `labels` row is written in status `purchasing` and committed; its
   id is the reference sent in the carrier's reference field;
2. the carrier is called with no transaction open;
3. in another transaction the answer is recorded (`purchased`, with the document, the
   tracking number and the cost), or the refusal (`failed`: nothing was bought, a new
   attempt may buy).

A request that finds its parcel's label `purchasing` for less than `PURCHASE_GRACE` is told
that a purchase is in progress (409 `label_purchase_in_progress`: another request — a double
click, a client retrying after its own timeout — is buying it now). Found later than that,
the record means a previous attempt stopped between steps 1 and 3 — maybe after the carrier
sold the label. It does not buy again: the label becomes `unknown` and the shipment is
flagged for an operator, who looks the label up at the carrier by its reference and then voids it here (`carrier_done`: it is handled at the
carrier) so that a new one can be bought. Connector errors that mean the same
(`purchase_outcome_unknown`, `label_document_unavailable`) and unexpected errors after the
call are treated alike.

Documents are stored in the database, or as files under `[fulfillment.shipping].label_dir`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connectors import (
    Label,
    LabelRequest,
    PermanentError,
    Rate,
    TransientError,
)
from orderhub.core.model import Actor
from orderhub.hub.errors import Conflict, HubError, NotFound
from orderhub.hub.fulfillment.rateshop import Shipping, error_text, parcel_of
from orderhub.hub.fulfillment.records import get_shipment_row, latest_label
from orderhub.hub.fulfillment.tracking import attach_orphans, carrier_actor
from orderhub.hub.ids import new_id
from orderhub.hub.orders import service as orders
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import LabelRow, OrderRow, ShipmentRow
from orderhub.hub.store.types import utcnow

log = logging.getLogger(__name__)

OUTCOME_UNKNOWN = frozenset({"purchase_outcome_unknown", "label_document_unavailable"})
"""Connector error codes after which the carrier may have sold the label."""
LABEL_UNKNOWN = "label_outcome_unknown"
CARRIER_ERROR = "carrier_error"
PURCHASE_GRACE = timedelta(seconds=90)
"""Longer than a purchase can take (the carrier clients give up after 40 s at most): a
`purchasing` record younger than this may still be in the hands of another request."""
CONTENT_TYPES = {"PDF": "application/pdf", "PNG": "image/png", "ZPL": "application/x-zpl"}
EXTENSIONS = {"PDF": "pdf", "PNG": "png", "ZPL": "zpl"}


class CarrierUnavailable(HubError):
    """The carrier could not be reached or asked us to slow down; nothing was bought."""

    status = 503
    code = "carrier_unavailable"


class _Buy(NamedTuple):
    label_id: str
    connection_id: str
    rate: Rate


def _unknown_text(label: LabelRow) -> str:
    return (
        f"label {label.id} may have been bought at {label.connection_id} without the hub "
        f"recording it: look it up there by the reference {label.id}, then void it here "
        "with carrier_done once it is handled at the carrier"
    )


async def _start(
    session: AsyncSession, shipment_id: str, label_format: str, *, actor: Actor
) -> _Buy | LabelRow:
    """Step 1: the `purchasing` record, or the label that stops a purchase (purchased or
    unknown; a `purchasing` one found here becomes unknown)."""
    shipment = await get_shipment_row(session, shipment_id)
    order = await orders.get_order_row(session, shipment.order_id, for_update=True)
    shipment = await get_shipment_row(session, shipment_id, for_update=True)
    label = await latest_label(session, shipment.id)
    if label is not None and label.status in ("purchased", "unknown"):
        return label
    if label is not None and label.status == "purchasing":
        started = label.created_at
        if started is not None and utcnow() - started < PURCHASE_GRACE:
            wait = PURCHASE_GRACE - (utcnow() - started)
            raise Conflict(
                f"label {label.id} for shipment {shipment.id} is being bought by another "
                f"request; try again in {int(wait.total_seconds()) + 1} s",
                code="label_purchase_in_progress",
                label_id=label.id,
                retry_after=int(wait.total_seconds()) + 1,
            )
        label.status = "unknown"
        label.error_code = "purchase_interrupted"
        label.error_message = "a purchase stopped before its outcome was recorded"
        shipment.attention = _unknown_text(label)
        shipment.attention_code = LABEL_UNKNOWN
        await orders.record(
            session,
            order,
            actor,
            "label_outcome_unknown",
            {"shipment_id": shipment.id, "label_id": label.id},
            label.error_message,
            bump=False,
        )
        return label
    if shipment.status != "packed":
        raise Conflict(
            f"shipment {shipment.id} is {shipment.status}: no label to buy",
            code="not_packed",
            status=shipment.status,
        )
    if shipment.rate is None or shipment.connection_id is None:
        raise Conflict(f"shipment {shipment.id} has no carrier rate chosen yet", code="not_rated")
    label = LabelRow(
        id=new_id("lbl"),
        shipment_id=shipment.id,
        order_id=shipment.order_id,
        connection_id=shipment.connection_id,
        carrier=shipment.carrier,
        service=shipment.service,
        rate=shipment.rate,
        label_format=label_format,
        status="purchasing",
    )
    session.add(label)
    await session.flush()
    return _Buy(label.id, shipment.connection_id, msgspec.convert(shipment.rate, Rate))


async def _store_document(hub: Hub, label_id: str, label: Label) -> tuple[bytes | None, str | None]:
    directory = hub.settings.fulfillment.shipping.label_dir
    if directory is None:
        return label.document, None
    path = Path(directory) / f"{label_id}.{EXTENSIONS.get(label.label_format, 'bin')}"

    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(label.document)

    await asyncio.to_thread(write)
    return None, str(path)


async def read_document(row: LabelRow) -> bytes:
    if row.document is not None:
        return row.document
    if row.document_path is None:
        raise NotFound(f"label {row.id} has no document", code="no_label_document")
    return await asyncio.to_thread(Path(row.document_path).read_bytes)


async def _lock(session: AsyncSession, label_id: str) -> tuple[LabelRow, OrderRow, ShipmentRow]:
    """A label with its order and shipment, locked in that order (the order first)."""
    label = await session.get(LabelRow, label_id)
    assert label is not None
    order = await orders.get_order_row(session, label.order_id, for_update=True)
    shipment = await get_shipment_row(session, label.shipment_id, for_update=True)
    await session.refresh(label, with_for_update=True)
    return label, order, shipment


async def _record_purchase(
    session: AsyncSession, label_id: str, bought: Label, stored: tuple[bytes | None, str | None]
) -> ShipmentRow:
    """Step 3, success: the label and its shipment, then orphan events for its number."""
    label, order, shipment = await _lock(session, label_id)
    label.status = "purchased"
    label.carrier = bought.carrier
    label.tracking_number = bought.tracking_number
    label.tracking_url = bought.tracking_url
    label.provider_ref = bought.provider_ref
    label.label_format = bought.label_format
    label.document, label.document_path = stored
    label.error_code = label.error_message = None
    label.purchased_at = utcnow()
    if bought.cost is not None:
        label.cost_amount, label.cost_currency = bought.cost.amount, bought.cost.currency
    shipment.status = "labelled"
    shipment.carrier = bought.carrier
    shipment.tracking_number = bought.tracking_number
    shipment.tracking_url = bought.tracking_url
    cost = bought.cost or msgspec.convert(shipment.rate, Rate).price
    shipment.cost_amount, shipment.cost_currency = cost.amount, cost.currency
    if shipment.attention_code in (LABEL_UNKNOWN, CARRIER_ERROR):
        shipment.attention = shipment.attention_code = None
    actor = carrier_actor(label.connection_id)
    await orders.record(
        session,
        order,
        actor,
        "label_purchased",
        {
            "shipment_id": shipment.id,
            "label_id": label.id,
            "carrier": bought.carrier,
            "tracking_number": bought.tracking_number,
            "cost": cost.amount,
            "currency": cost.currency,
        },
        bump=False,
    )
    await session.flush()
    await attach_orphans(session, shipment, actor=actor)
    return shipment


async def _record_failure(
    session: AsyncSession, label_id: str, exc: Exception, *, unknown: bool
) -> None:
    """Step 3, failure: `failed` (nothing bought) or `unknown`, and the shipment flagged."""
    label, order, shipment = await _lock(session, label_id)
    label.status = "unknown" if unknown else "failed"
    label.error_code = getattr(exc, "code", None) or type(exc).__name__
    label.error_message = str(exc)
    if unknown:
        shipment.attention = f"{_unknown_text(label)} ({error_text(exc)})"[:2048]
        shipment.attention_code = LABEL_UNKNOWN
    elif isinstance(exc, PermanentError):
        shipment.attention = f"{label.connection_id}: {error_text(exc)}"[:2048]
        shipment.attention_code = CARRIER_ERROR
    await orders.record(
        session,
        order,
        carrier_actor(label.connection_id),
        "label_outcome_unknown" if unknown else "label_refused",
        {"shipment_id": shipment.id, "label_id": label.id, "error": error_text(exc)},
        str(exc),
        bump=False,
    )


def _raise_for(label: LabelRow, exc: Exception | None = None) -> None:
    if label.status == "unknown":
        raise Conflict(
            _unknown_text(label),
            code=LABEL_UNKNOWN,
            label_id=label.id,
            shipment_id=label.shipment_id,
        )
    if isinstance(exc, TransientError):
        raise CarrierUnavailable(
            f"{label.connection_id} is not answering now; nothing was bought: {exc}",
            shipment_id=label.shipment_id,
            retry_after=exc.retry_after,
        )
    raise Conflict(
        str(exc) if exc is not None else (label.error_message or "the carrier refused"),
        code=CARRIER_ERROR,
        connection=label.connection_id,
        carrier_code=getattr(exc, "code", None) or label.error_code,
        shipment_id=label.shipment_id,
    )


async def buy_label(hub: Hub, shipping: Shipping, shipment_id: str, *, actor: Actor) -> None:
    """Make sure the parcel has a purchased label, buying it if it has none (see the module).

    409 `carrier_error` with the carrier's message when the carrier refuses, 409
    `label_outcome_unknown` when a purchase may have happened unrecorded, 503
    `carrier_unavailable` when the carrier could not be reached (nothing was bought).
    """
    label_format = hub.settings.fulfillment.shipping.label_format
    async with hub.transaction() as session:
        started = await _start(session, shipment_id, label_format, actor=actor)
    if isinstance(started, LabelRow):
        if started.status == "purchased":
            return
        _raise_for(started)
    shipment = next(s for s in shipping.shipments if s.id == shipment_id)
    request = LabelRequest(
        reference=started.label_id,
        rate=started.rate,
        origin=shipping.origin,
        destination=shipping.destination,
        parcels=[parcel_of(shipment)],
        label_format=label_format,
    )
    try:
        bought = await hub.connector(started.connection_id).buy_label(request)
    except (PermanentError, TransientError) as exc:
        unknown = isinstance(exc, PermanentError) and exc.code in OUTCOME_UNKNOWN
        failure: Exception = exc
    except Exception as exc:  # after the call went out, anything unexpected may hide a sale
        log.exception("label %s: buy_label raised", started.label_id)
        unknown, failure = True, exc
    else:
        stored = await _store_document(hub, started.label_id, bought)
        async with hub.transaction() as session:
            await _record_purchase(session, started.label_id, bought, stored)
        return
    async with hub.transaction() as session:
        await _record_failure(session, started.label_id, failure, unknown=unknown)
        label = await session.get(LabelRow, started.label_id)
    assert label is not None
    _raise_for(label, failure)


# ------------------------------------------------------------------------------- void


async def void_label(hub: Hub, shipment_id: str, *, carrier_done: bool, actor: Actor) -> None:
    """Give a parcel's label back so that a new one can be bought.

    The carrier is asked (refund, delete, cancel) unless `carrier_done` says an operator
    already handled it there — the only way to clear a label whose purchase is `unknown`.
    A shipped parcel keeps its label: 409 `already_shipped` (a return is the way back).
    """
    async with hub.read() as session:
        shipment = await get_shipment_row(session, shipment_id)
        label = await latest_label(session, shipment_id)
    if shipment.status == "shipped":
        raise Conflict(
            f"shipment {shipment.id} has shipped: its label cannot be voided; create a return",
            code="already_shipped",
        )
    if label is None or label.status in ("failed", "voided"):
        raise Conflict(f"shipment {shipment.id} has no label to void", code="no_label")
    if label.status == "purchasing":
        raise Conflict(
            f"label {label.id} is being bought right now; try again in a moment",
            code="label_purchase_in_progress",
        )
    if label.status == "unknown" and not carrier_done:
        raise Conflict(_unknown_text(label), code=LABEL_UNKNOWN, label_id=label.id)
    if label.status == "purchased" and not carrier_done:
        try:
            await hub.connector(label.connection_id).void_label(
                Label(
                    carrier=label.carrier or label.connection_id,
                    tracking_number=label.tracking_number or "",
                    label_format=label.label_format,
                    document=b"",
                    provider_ref=label.provider_ref or "",
                )
            )
        except TransientError as exc:
            raise CarrierUnavailable(
                f"{label.connection_id} is not answering now; the label stands: {exc}"
            ) from None
        except PermanentError as exc:
            async with hub.transaction() as session:
                order = await orders.get_order_row(session, shipment.order_id, for_update=True)
                await orders.record(
                    session,
                    order,
                    actor,
                    "label_void_refused",
                    {"shipment_id": shipment_id, "label_id": label.id, "error": error_text(exc)},
                    str(exc),
                    bump=False,
                )
            raise Conflict(
                str(exc),
                code=CARRIER_ERROR,
                connection=label.connection_id,
                carrier_code=exc.code,
                shipment_id=shipment_id,
            ) from None
    async with hub.transaction() as session:
        order = await orders.get_order_row(session, shipment.order_id, for_update=True)
        shipment = await get_shipment_row(session, shipment_id, for_update=True)
        label = await session.get(LabelRow, label.id, with_for_update=True)
        assert label is not None
        label.status = "voided"
        label.voided_at = utcnow()
        shipment.status = "packed"
        shipment.tracking_number = shipment.tracking_url = None
        shipment.cost_amount = shipment.cost_currency = None
        shipment.tracking_status = shipment.tracking_raw_status = shipment.tracking_at = None
        if shipment.attention_code in (LABEL_UNKNOWN, CARRIER_ERROR):
            shipment.attention = shipment.attention_code = None
        await orders.record(
            session,
            order,
            actor,
            "label_voided",
            {"shipment_id": shipment_id, "label_id": label.id, "carrier_done": carrier_done},
            bump=False,
        )
