"""FedEx REST: OAuth client credentials, Rate, Ship (inline base64 labels), Cancel, Track."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

import httpx
import msgspec

from orderhub.connectors.carriers import _http
from orderhub.connectors.carriers._common import label_format, parse_timestamp, the_parcel
from orderhub.connectors.carriers.fedex import auth, payloads
from orderhub.connectors.carriers.fedex.status import canonical_status
from orderhub.core.connection import Connection
from orderhub.core.connectors import (
    Capability,
    ConnectorError,
    ConnectorKind,
    HealthReport,
    Label,
    LabelRequest,
    PermanentError,
    Rate,
    RateRequest,
)
from orderhub.core.model.fulfillment import TrackingEvent
from orderhub.core.money import Money

BASE_URL = {False: "https://apis.fedex.com", True: "https://apis-sandbox.fedex.com"}
NOT_FOUND = "TRACKING.TRACKINGNUMBER.NOTFOUND"


class FedexSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_id: str
    """The project's API key."""
    client_secret: str
    """The project's secret key."""
    account_number: str
    sandbox: bool = False
    track_client_id: str | None = None
    """A separate Track API key pair, when the Track API lives in another project."""
    track_client_secret: str | None = None
    pickup_type: str = "DROPOFF_AT_FEDEX_LOCATION"
    packaging_type: str = "YOUR_PACKAGING"
    rate_request_types: list[str] = msgspec.field(default_factory=lambda: ["ACCOUNT", "LIST"])
    """Which prices to ask for; the first type FedEx answers with is the one quoted."""
    paper_stock: str = "PAPER_4X6"
    """`labelStockType` for PDF and PNG labels."""
    thermal_stock: str = "STOCK_4X6"
    """`labelStockType` for ZPL labels."""


class FedexConnector(_http.HttpConnector):
    """FedEx Web Services (REST). Tokens are cached per connector instance."""

    name: ClassVar[str] = "fedex"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CARRIER
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.RATES, Capability.LABELS, Capability.TRACKING}
    )
    Settings: ClassVar[type[msgspec.Struct]] = FedexSettings
    settings: FedexSettings

    def __init__(self, connection: Connection, *, http: httpx.AsyncClient | None = None) -> None:
        super().__init__(connection, http=http)
        self.base_url = BASE_URL[self.settings.sandbox]
        token_url = self.base_url + "/oauth/token"
        self.tokens = auth.TokenCache(
            self.http, token_url, self.settings.client_id, self.settings.client_secret
        )
        if self.settings.track_client_id and self.settings.track_client_secret:
            self.track_tokens = auth.TokenCache(
                self.http,
                token_url,
                self.settings.track_client_id,
                self.settings.track_client_secret,
            )
        else:
            self.track_tokens = self.tokens

    async def health(self) -> HealthReport:
        """Getting a token proves the key pair; it is cached for the next real call."""
        mode = "sandbox" if self.settings.sandbox else "production"
        try:
            await self.tokens.get()
        except ConnectorError as exc:
            return HealthReport(ok=False, detail=f"{mode}: {exc}")
        return HealthReport(ok=True, detail=f"{mode}: token obtained")

    # ------------------------------------------------------------------------ rates

    async def get_rates(self, request: RateRequest) -> Sequence[Rate]:
        shipment: dict[str, Any] = {
            "shipper": {"address": payloads.address(request.origin, full=False)},
            "recipient": {"address": payloads.address(request.destination, full=False)},
            "pickupType": self.settings.pickup_type,
            "packagingType": self.settings.packaging_type,
            "rateRequestType": self.settings.rate_request_types,
            "requestedPackageLineItems": [payloads.package(p) for p in request.parcels],
        }
        if request.ship_date:
            shipment["shipDateStamp"] = request.ship_date.isoformat()
        body = {
            "accountNumber": {"value": self.settings.account_number},
            "rateRequestControlParameters": {"returnTransitTimes": True},
            "requestedShipment": shipment,
        }
        response = await self._api("POST", "/rate/v1/rates/quotes", body, self.tokens)
        answer = _http.decode(response, payloads.RateResponse)
        details = answer.output.rateReplyDetails if answer.output else []
        return [rate for detail in details if (rate := self._rate(detail)) is not None]

    def _rate(self, detail: payloads.RateReplyDetail) -> Rate | None:
        """The price of the first asked-for rate type FedEx quoted for this service."""
        by_type = {d.rateType: d for d in detail.ratedShipmentDetails}
        ordered = [by_type[t] for t in self.settings.rate_request_types if t in by_type]
        for priced in ordered + detail.ratedShipmentDetails:
            currency = priced.charge_currency
            if priced.totalNetCharge is not None and currency:
                return Rate(
                    carrier=self.name,
                    service=detail.serviceType,
                    price=Money.parse(priced.totalNetCharge, currency),
                    transit_days=detail.transit_days(),
                    estimated_delivery=detail.delivery_date(),
                )
        return None

    # ----------------------------------------------------------------------- labels

    async def buy_label(self, request: LabelRequest) -> Label:
        """One package per label; our label reference travels as a customer reference."""
        fmt = label_format(request)
        parcel = the_parcel(request.parcels)
        item = payloads.package(parcel) | {
            "customerReferences": [
                {"customerReferenceType": "CUSTOMER_REFERENCE", "value": request.reference}
            ]
        }
        body = {
            "accountNumber": {"value": self.settings.account_number},
            "labelResponseOptions": "LABEL",
            "requestedShipment": {
                "shipDatestamp": date.today().isoformat(),
                "shipper": {
                    "address": payloads.address(request.origin, full=True),
                    "contact": payloads.contact(request.origin),
                },
                "recipients": [
                    {
                        "address": payloads.address(request.destination, full=True),
                        "contact": payloads.contact(request.destination),
                    }
                ],
                "pickupType": self.settings.pickup_type,
                "serviceType": request.rate.service,
                "packagingType": self.settings.packaging_type,
                "totalWeight": item["weight"]["value"],
                "shippingChargesPayment": {"paymentType": "SENDER"},
                "labelSpecification": {
                    "imageType": payloads.image_type(fmt),
                    "labelStockType": self.settings.thermal_stock
                    if fmt == "ZPL"
                    else self.settings.paper_stock,
                },
                "requestedPackageLineItems": [item],
            },
        }
        response = await self._api("POST", "/ship/v1/shipments", body, self.tokens, purchase=True)
        answer = _http.decode(response, payloads.ShipResponse)
        shipments = answer.output.transactionShipments if answer.output else []
        if not shipments:
            raise PermanentError("FedEx created no shipment", code="bad_response")
        shipment = shipments[0]
        piece = shipment.pieceResponses[0] if shipment.pieceResponses else None
        number = (piece.trackingNumber if piece else None) or shipment.masterTrackingNumber
        if not number:
            raise PermanentError("FedEx returned no tracking number", code="bad_response")
        charge = shipment.charge()
        return Label(
            carrier=self.name,
            tracking_number=number,
            label_format=fmt,
            document=shipment.label_bytes(),
            provider_ref=shipment.masterTrackingNumber or number,
            cost=Money.parse(*charge) if charge else request.rate.price,
            tracking_url=f"https://www.fedex.com/fedextrack/?trknbr={number}",
        )

    async def void_label(self, label: Label) -> None:
        body = {
            "accountNumber": {"value": self.settings.account_number},
            "trackingNumber": label.provider_ref,
            "deletionControl": "DELETE_ALL_PACKAGES",
        }
        response = await self._api("PUT", "/ship/v1/shipments/cancel", body, self.tokens)
        answer = _http.decode(response, payloads.CancelResponse)
        if answer.output is None or not answer.output.cancelledShipment:
            alerts = answer.output.alerts if answer.output else []
            raise PermanentError(
                (answer.output.message if answer.output else None)
                or "; ".join(a.message or a.code or "" for a in alerts)
                or "FedEx did not cancel the shipment",
                code=alerts[0].code if alerts else "not_cancelled",
            )

    # --------------------------------------------------------------------- tracking

    async def track(self, tracking_number: str) -> Sequence[TrackingEvent]:
        """Scan events, oldest first. FedEx reports an unknown number inside a 200."""
        body = {
            "includeDetailedScans": True,
            "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": tracking_number}}],
        }
        response = await self._api("POST", "/track/v1/trackingnumbers", body, self.track_tokens)
        answer = _http.decode(response, payloads.TrackResponse)
        events: list[TrackingEvent] = []
        for complete in answer.output.completeTrackResults if answer.output else []:
            for result in complete.trackResults:
                if result.error is not None:
                    if result.error.code == NOT_FOUND:
                        continue
                    raise PermanentError(
                        result.error.message or "FedEx tracking error", code=result.error.code
                    )
                events += [_event(tracking_number, scan) for scan in result.scanEvents]
        return sorted(events, key=lambda e: e.occurred_at)

    # ---------------------------------------------------------------------- helpers

    async def _api(
        self,
        method: str,
        path: str,
        body: Any,
        tokens: auth.TokenCache,
        *,
        purchase: bool = False,
    ) -> httpx.Response:
        """A call with the cached token; on 401 the token is dropped and asked for once more."""
        for attempt in (1, 2):
            token = await tokens.get()
            response = await _http.send(
                self.http,
                method,
                self.base_url + path,
                purchase=purchase,
                json=body,
                headers={
                    "authorization": f"Bearer {token}",
                    "x-locale": "en_US",
                },
            )
            if response.status_code == 401 and attempt == 1:
                tokens.invalidate(token)
                continue
            break
        _http.raise_if_transient(response, auth.error_text)
        if response.status_code >= 400:
            raise auth.permanent(response)
        return response


def _event(tracking_number: str, scan: payloads.ScanEvent) -> TrackingEvent:
    description = scan.eventDescription
    if scan.exceptionDescription:
        description = (
            f"{description}: {scan.exceptionDescription}"
            if description
            else (scan.exceptionDescription)
        )
    return TrackingEvent(
        tracking_number=tracking_number,
        carrier="fedex",
        status=canonical_status(scan.eventType, scan.derivedStatusCode),
        raw_status=scan.eventType or scan.derivedStatusCode or "unknown",
        occurred_at=parse_timestamp(scan.date, what="FedEx scan"),
        description=description,
        location=scan.scanLocation.text() if scan.scanLocation else None,
    )
