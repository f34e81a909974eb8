"""Parcel DE Shipping API v2: the `POST /orders` body and its (multi-status) answer."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

import msgspec

from orderhub.connectors.carriers._common import LabelOutcome, compact, the_parcel
from orderhub.connectors.carriers.dhl.countries import ALPHA3
from orderhub.core.connectors import Label, LabelRequest, PermanentError
from orderhub.core.model.common import Address

DOC_FORMATS = {"PDF": "PDF", "ZPL": "ZPL2"}
"""OrderHub label format -> the API's `docFormat`. Parcel DE prints no PNG."""


class DhlStatus(msgspec.Struct, kw_only=True):
    """`RequestStatus`: `status` replaces the deprecated `statusCode`; both are seen."""

    title: str | None = None
    status: int | None = None
    statusCode: int | None = None  # noqa: N815 - DHL's field name
    detail: str | None = None
    instance: str | None = None

    @property
    def code(self) -> int | None:
        return self.status if self.status is not None else self.statusCode

    def text(self) -> str:
        return ": ".join(part for part in (self.title, self.detail) if part) or "no detail"


class DhlDocument(msgspec.Struct, kw_only=True):
    b64: str | None = None
    zpl2: str | None = None
    url: str | None = None
    fileFormat: str | None = None  # noqa: N815
    printFormat: str | None = None  # noqa: N815


class DhlValidationMessage(msgspec.Struct, kw_only=True):
    property: str | None = None
    validationMessage: str | None = None  # noqa: N815
    validationState: str | None = None  # noqa: N815

    def text(self) -> str:
        message = self.validationMessage or "invalid"
        return f"{self.property}: {message}" if self.property else message


class DhlItem(msgspec.Struct, kw_only=True):
    shipmentNo: str | int | None = None  # noqa: N815
    sstatus: DhlStatus | None = None
    shipmentRefNo: str | None = None  # noqa: N815
    label: DhlDocument | None = None
    validationMessages: list[DhlValidationMessage] = []  # noqa: N815

    @property
    def ok(self) -> bool:
        code = self.sstatus.code if self.sstatus else None
        return code is not None and 200 <= code < 300 and self.shipmentNo is not None

    def error(self) -> PermanentError:
        status = self.sstatus or DhlStatus()
        errors = [
            m for m in self.validationMessages if (m.validationState or "").lower() == "error"
        ]
        details = [m.text() for m in (errors or self.validationMessages)]
        return PermanentError(
            "; ".join([status.text(), *details]),
            code=str(status.code) if status.code is not None else "refused",
            body=msgspec.to_builtins(self),
        )


class DhlLabelResponse(msgspec.Struct, kw_only=True):
    """`LabelDataResponse`: answers to create, get and delete, one item per shipment."""

    status: DhlStatus | None = None
    items: list[DhlItem] = []


def doc_format(label_format: str) -> str:
    try:
        return DOC_FORMATS[label_format]
    except KeyError:
        raise PermanentError(
            f"DHL Parcel DE prints PDF or ZPL labels, not {label_format}",
            code="unsupported_label_format",
        ) from None


def country3(country: str | None, *, who: str) -> str:
    code = ALPHA3.get((country or "").upper())
    if code is None:
        raise PermanentError(f"{who}: unknown country {country!r}", code="invalid_country")
    return code


def _names(address: Address, *, person_first: bool) -> dict[str, str]:
    """name1 is what the label shows first; the other name goes to name2."""
    first, second = (
        (address.name, address.company) if person_first else (address.company, address.name)
    )
    first, second = first or second, second if first else None
    if not first:
        raise PermanentError("an address needs a name or a company", code="invalid_address")
    return {"name1": first[:50]} | ({"name2": second[:50]} if second else {})


def shipper(address: Address) -> dict[str, Any]:
    body: dict[str, Any] = _names(address, person_first=False) | {
        "addressStreet": address.line1,
        "postalCode": address.postal_code,
        "city": address.city,
        "country": country3(address.country, who="shipper"),
        "email": address.email,
    }
    return compact(body)


def consignee(address: Address) -> dict[str, Any]:
    country = country3(address.country, who="consignee")
    state = address.region
    if state and country == "USA" and not state.startswith("US-"):
        state = f"US-{state}"
    body: dict[str, Any] = _names(address, person_first=True) | {
        "addressStreet": address.line1,
        "additionalAddressInformation1": address.line2,
        "postalCode": address.postal_code,
        "city": address.city,
        "state": state,
        "country": country,
        "email": address.email,
        # The API refuses to pass a phone number on for shipments within Germany.
        "phone": address.phone if country != "DEU" else None,
    }
    return compact(body)


def shipment(request: LabelRequest, *, billing_number: str, ship_date: date) -> dict[str, Any]:
    parcel = the_parcel(request.parcels)
    details: dict[str, Any] = {"weight": {"uom": "g", "value": parcel.weight_grams}}
    if parcel.length_mm and parcel.width_mm and parcel.height_mm:
        details["dim"] = {
            "uom": "mm",
            "length": parcel.length_mm,
            "width": parcel.width_mm,
            "height": parcel.height_mm,
        }
    return {
        "product": request.rate.service,
        "billingNumber": billing_number,
        "refNo": request.reference,
        "shipDate": ship_date.isoformat(),
        "shipper": shipper(request.origin),
        "consignee": consignee(request.destination),
        "details": details,
    }


def outcomes(requests: list[LabelRequest], answer: DhlLabelResponse) -> list[LabelOutcome]:
    """One outcome per request; the API keeps the order of the shipments it was sent."""
    if len(answer.items) != len(requests):
        raise PermanentError(
            f"DHL answered {len(answer.items)} items for {len(requests)} shipments",
            code="bad_response",
            body=msgspec.to_builtins(answer),
        )
    results: list[LabelOutcome] = []
    for request, item in zip(requests, answer.items, strict=True):
        if not item.ok:
            error = item.error()
            results.append(
                LabelOutcome(
                    reference=request.reference, error_code=error.code, error_message=str(error)
                )
            )
            continue
        try:
            label = _label(request, item)
        except PermanentError as exc:
            results.append(
                LabelOutcome(
                    reference=request.reference, error_code=exc.code, error_message=str(exc)
                )
            )
        else:
            results.append(LabelOutcome(reference=request.reference, label=label))
    return results


def _label(request: LabelRequest, item: DhlItem) -> Label:
    number = str(item.shipmentNo)
    document = _document(item.label, number)
    return Label(
        carrier="dhl",
        tracking_number=number,
        label_format=request.label_format.upper(),
        document=document,
        provider_ref=number,
        cost=request.rate.price,
        tracking_url=f"https://www.dhl.de/de/privatkunden/dhl-sendungsverfolgung.html?piececode={number}",
    )


def _document(document: DhlDocument | None, number: str) -> bytes:
    """Labels come inline: base64 for PDF, plain text for ZPL2 (`includeDocs=include`)."""
    if document is not None and document.b64:
        try:
            return base64.b64decode(document.b64, validate=True)
        except binascii.Error as exc:
            raise PermanentError(
                f"label of {number} is not valid base64", code="bad_response"
            ) from exc
    if document is not None and document.zpl2:
        return document.zpl2.encode()
    raise PermanentError(f"DHL created {number} but sent no label document", code="bad_response")
