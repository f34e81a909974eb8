"""EasyPost's JSON, as far as OrderHub reads it, and the bodies OrderHub sends.

Decoding is lenient: EasyPost adds fields often and we only name the ones we use.
"""

from __future__ import annotations

from typing import Any

import msgspec

from orderhub.connectors.carriers._common import compact, inches, ounces
from orderhub.core.model.common import Address
from orderhub.core.model.fulfillment import Parcel


class EPRate(msgspec.Struct, kw_only=True):
    id: str
    carrier: str
    service: str
    rate: str
    currency: str
    delivery_days: int | None = None
    delivery_date: str | None = None
    carrier_account_id: str | None = None


class EPMessage(msgspec.Struct, kw_only=True):
    """A carrier's refusal to rate, reported inside an otherwise successful shipment."""

    message: str
    carrier: str | None = None
    type: str | None = None


class EPPostageLabel(msgspec.Struct, kw_only=True):
    label_url: str | None = None
    label_pdf_url: str | None = None
    label_zpl_url: str | None = None
    label_epl2_url: str | None = None
    label_file_type: str | None = None


class EPTrackingLocation(msgspec.Struct, kw_only=True):
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip: str | None = None


class EPTrackingDetail(msgspec.Struct, kw_only=True):
    status: str
    at: str = msgspec.field(name="datetime")
    message: str | None = None
    status_detail: str | None = None
    tracking_location: EPTrackingLocation | None = None


class EPTracker(msgspec.Struct, kw_only=True):
    id: str
    tracking_code: str
    status: str
    carrier: str | None = None
    status_detail: str | None = None
    shipment_id: str | None = None
    public_url: str | None = None
    updated_at: str | None = None
    tracking_details: list[EPTrackingDetail] = []


class EPShipment(msgspec.Struct, kw_only=True):
    id: str
    reference: str | None = None
    tracking_code: str | None = None
    rates: list[EPRate] = []
    messages: list[EPMessage] = []
    selected_rate: EPRate | None = None
    postage_label: EPPostageLabel | None = None
    tracker: EPTracker | None = None
    refund_status: str | None = None


class EPError(msgspec.Struct, kw_only=True):
    code: str | None = None
    message: str | None = None
    errors: list[Any] = []
    """FieldError objects (`field`, `message`) or plain strings: both shapes exist."""


class EPErrorBody(msgspec.Struct, kw_only=True):
    error: EPError


class EPEvent(msgspec.Struct, kw_only=True):
    """A webhook delivery: `description` names the topic, `result` the object it is about."""

    id: str
    description: str
    object: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    result: Any = None


def address_body(address: Address) -> dict[str, Any]:
    body = {
        "name": address.name,
        "company": address.company,
        "street1": address.line1,
        "street2": address.line2,
        "city": address.city,
        "state": address.region,
        "zip": address.postal_code,
        "country": address.country,
        "phone": address.phone,
        "email": address.email,
    }
    return compact(body)


def parcel_body(parcel: Parcel) -> dict[str, Any]:
    """EasyPost measures in ounces and inches."""
    body: dict[str, Any] = {"weight": ounces(parcel.weight_grams)}
    if parcel.length_mm and parcel.width_mm and parcel.height_mm:
        body |= {
            "length": inches(parcel.length_mm),
            "width": inches(parcel.width_mm),
            "height": inches(parcel.height_mm),
        }
    return body


def shipment_body(
    *, reference: str, origin: Address, destination: Address, parcel: Parcel
) -> dict[str, Any]:
    return {
        "shipment": {
            "reference": reference,
            "from_address": address_body(origin),
            "to_address": address_body(destination),
            "parcel": parcel_body(parcel),
        }
    }


def error_text(error: EPError) -> str:
    """EasyPost's message followed by its per-field details, in either documented shape."""
    parts = [error.message or error.code or "error"]
    for item in error.errors:
        if isinstance(item, dict):
            field, message = item.get("field"), item.get("message")
            parts.append(f"{field}: {message}" if field else str(message))
        else:
            parts.append(str(item))
    return "; ".join(parts)
