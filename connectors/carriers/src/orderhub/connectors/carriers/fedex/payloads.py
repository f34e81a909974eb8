"""FedEx Rate, Ship and Track REST bodies, as far as OrderHub sends and reads them.

The Rate and Ship APIs name the same things differently: the Rate API has one `recipient`
and `shipDateStamp`, the Ship API a `recipients` list and `shipDatestamp`.
Amounts are JSON numbers; they are decoded straight into `Decimal`, never through a float.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec

from orderhub.connectors.carriers._common import centimetres, compact, kilograms
from orderhub.core.connectors import PermanentError
from orderhub.core.model.common import Address
from orderhub.core.model.fulfillment import Parcel

IMAGE_TYPES = {"PDF": "PDF", "PNG": "PNG", "ZPL": "ZPLII"}
TRANSIT_DAYS = {
    word: number
    for number, word in enumerate(
        [
            "ONE",
            "TWO",
            "THREE",
            "FOUR",
            "FIVE",
            "SIX",
            "SEVEN",
            "EIGHT",
            "NINE",
            "TEN",
            "ELEVEN",
            "TWELVE",
            "THIRTEEN",
            "FOURTEEN",
            "FIFTEEN",
            "SIXTEEN",
            "SEVENTEEN",
            "EIGHTEEN",
            "NINETEEN",
            "TWENTY",
        ],
        start=1,
    )
}
"""FedEx's `transitTime` values are words: "ONE_DAY", "THREE_DAYS"..."""


# ------------------------------------------------------------------------ requests


def address(place: Address, *, full: bool) -> dict[str, Any]:
    """Rating needs postal code and country; shipping the whole address."""
    body: dict[str, Any] = {
        "postalCode": place.postal_code,
        "countryCode": place.country,
        "stateOrProvinceCode": place.region,
        "city": place.city,
    }
    if full:
        body["streetLines"] = [line for line in (place.line1, place.line2) if line]
    return compact(body)


def contact(place: Address) -> dict[str, Any]:
    body = {
        "personName": place.name,
        "companyName": place.company,
        "phoneNumber": place.phone,
        "emailAddress": place.email,
    }
    return compact(body)


def package(parcel: Parcel) -> dict[str, Any]:
    item: dict[str, Any] = {"weight": {"units": "KG", "value": kilograms(parcel.weight_grams)}}
    if parcel.length_mm and parcel.width_mm and parcel.height_mm:
        item["dimensions"] = {
            "length": centimetres(parcel.length_mm),
            "width": centimetres(parcel.width_mm),
            "height": centimetres(parcel.height_mm),
            "units": "CM",
        }
    return item


def image_type(label_format: str) -> str:
    try:
        return IMAGE_TYPES[label_format]
    except KeyError:
        raise PermanentError(
            f"FedEx prints PDF, PNG or ZPL labels, not {label_format}",
            code="unsupported_label_format",
        ) from None


# ----------------------------------------------------------------------- responses


class RateDetailCurrency(msgspec.Struct, kw_only=True):
    currency: str | None = None


class RatedShipmentDetail(msgspec.Struct, kw_only=True):
    rateType: str | None = None  # noqa: N815 - FedEx's field names
    totalNetCharge: Decimal | None = None  # noqa: N815
    currency: str | None = None
    shipmentRateDetail: RateDetailCurrency | None = None  # noqa: N815

    @property
    def charge_currency(self) -> str | None:
        if self.currency:
            return self.currency
        return self.shipmentRateDetail.currency if self.shipmentRateDetail else None


class OperationalDetail(msgspec.Struct, kw_only=True):
    transitTime: str | None = None  # noqa: N815
    deliveryDate: str | None = None  # noqa: N815
    commitDate: str | None = None  # noqa: N815


class DateDetail(msgspec.Struct, kw_only=True):
    dayFormat: str | None = None  # noqa: N815
    dayCxsFormat: str | None = None  # noqa: N815


class Commit(msgspec.Struct, kw_only=True):
    dateDetail: DateDetail | None = None  # noqa: N815


class RateReplyDetail(msgspec.Struct, kw_only=True):
    serviceType: str  # noqa: N815
    serviceName: str | None = None  # noqa: N815
    ratedShipmentDetails: list[RatedShipmentDetail] = []  # noqa: N815
    operationalDetail: OperationalDetail | None = None  # noqa: N815
    commit: Commit | None = None

    def transit_days(self) -> int | None:
        text = (self.operationalDetail.transitTime or "") if self.operationalDetail else ""
        return TRANSIT_DAYS.get(text.split("_")[0]) if text else None

    def delivery_date(self) -> date | None:
        """The first date FedEx gives: delivery date, commit date, or the commit detail."""
        candidates = []
        if self.operationalDetail:
            candidates += [self.operationalDetail.deliveryDate, self.operationalDetail.commitDate]
        if self.commit and self.commit.dateDetail:
            candidates += [self.commit.dateDetail.dayFormat, self.commit.dateDetail.dayCxsFormat]
        for value in candidates:
            if value:
                try:
                    return date.fromisoformat(value[:10])
                except ValueError:
                    continue
        return None


class Alert(msgspec.Struct, kw_only=True):
    code: str | None = None
    message: str | None = None
    alertType: str | None = None  # noqa: N815


class RateOutput(msgspec.Struct, kw_only=True):
    rateReplyDetails: list[RateReplyDetail] = []  # noqa: N815
    alerts: list[Alert] = []


class RateResponse(msgspec.Struct, kw_only=True):
    output: RateOutput | None = None


class PackageDocument(msgspec.Struct, kw_only=True):
    contentType: str | None = None  # noqa: N815
    docType: str | None = None  # noqa: N815
    encodedLabel: str | None = None  # noqa: N815
    url: str | None = None


class PieceResponse(msgspec.Struct, kw_only=True):
    trackingNumber: str | None = None  # noqa: N815
    masterTrackingNumber: str | None = None  # noqa: N815
    netChargeAmount: Decimal | None = None  # noqa: N815
    currency: str | None = None
    packageDocuments: list[PackageDocument] = []  # noqa: N815


class ShipmentRateDetail(msgspec.Struct, kw_only=True):
    totalNetCharge: Decimal | None = None  # noqa: N815
    currency: str | None = None


class ShipmentRating(msgspec.Struct, kw_only=True):
    shipmentRateDetails: list[ShipmentRateDetail] = []  # noqa: N815


class CompletedShipmentDetail(msgspec.Struct, kw_only=True):
    shipmentRating: ShipmentRating | None = None  # noqa: N815


class TransactionShipment(msgspec.Struct, kw_only=True):
    masterTrackingNumber: str | None = None  # noqa: N815
    serviceType: str | None = None  # noqa: N815
    pieceResponses: list[PieceResponse] = []  # noqa: N815
    completedShipmentDetail: CompletedShipmentDetail | None = None  # noqa: N815

    def label_bytes(self) -> bytes:
        for piece in self.pieceResponses:
            for document in piece.packageDocuments:
                if document.encodedLabel:
                    try:
                        return base64.b64decode(document.encodedLabel, validate=True)
                    except binascii.Error as exc:
                        raise PermanentError(
                            "FedEx label is not valid base64", code="bad_response"
                        ) from exc
        raise PermanentError("FedEx returned no encoded label", code="bad_response")

    def charge(self) -> tuple[Decimal, str] | None:
        rating = (
            self.completedShipmentDetail.shipmentRating if self.completedShipmentDetail else None
        )
        for detail in rating.shipmentRateDetails if rating else []:
            if detail.totalNetCharge is not None and detail.currency:
                return detail.totalNetCharge, detail.currency
        for piece in self.pieceResponses:
            if piece.netChargeAmount is not None and piece.currency:
                return piece.netChargeAmount, piece.currency
        return None


class ShipOutput(msgspec.Struct, kw_only=True):
    transactionShipments: list[TransactionShipment] = []  # noqa: N815
    alerts: list[Alert] = []


class ShipResponse(msgspec.Struct, kw_only=True):
    output: ShipOutput | None = None


class CancelOutput(msgspec.Struct, kw_only=True):
    cancelledShipment: bool = False  # noqa: N815
    message: str | None = None
    successMessage: str | None = None  # noqa: N815
    alerts: list[Alert] = []


class CancelResponse(msgspec.Struct, kw_only=True):
    output: CancelOutput | None = None


class ScanLocation(msgspec.Struct, kw_only=True):
    city: str | None = None
    stateOrProvinceCode: str | None = None  # noqa: N815
    postalCode: str | None = None  # noqa: N815
    countryCode: str | None = None  # noqa: N815

    def text(self) -> str | None:
        parts = (self.city, self.stateOrProvinceCode, self.postalCode, self.countryCode)
        return ", ".join(p for p in parts if p) or None


class ScanEvent(msgspec.Struct, kw_only=True):
    date: str
    eventType: str | None = None  # noqa: N815
    eventDescription: str | None = None  # noqa: N815
    exceptionCode: str | None = None  # noqa: N815
    exceptionDescription: str | None = None  # noqa: N815
    derivedStatusCode: str | None = None  # noqa: N815
    scanLocation: ScanLocation | None = None  # noqa: N815


class TrackError(msgspec.Struct, kw_only=True):
    code: str | None = None
    message: str | None = None


class TrackResult(msgspec.Struct, kw_only=True):
    scanEvents: list[ScanEvent] = []  # noqa: N815
    error: TrackError | None = None


class CompleteTrackResult(msgspec.Struct, kw_only=True):
    trackingNumber: str | None = None  # noqa: N815
    trackResults: list[TrackResult] = []  # noqa: N815


class TrackOutput(msgspec.Struct, kw_only=True):
    completeTrackResults: list[CompleteTrackResult] = []  # noqa: N815


class TrackResponse(msgspec.Struct, kw_only=True):
    output: TrackOutput | None = None
