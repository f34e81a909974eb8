"""EasyPost: shipments and rates, label purchase and conversion, refunds, trackers, webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar, TypeVar

import httpx
import msgspec

from orderhub.connectors.carriers import _http
from orderhub.connectors.carriers._common import label_format, the_parcel
from orderhub.connectors.carriers.easypost import webhooks
from orderhub.connectors.carriers.easypost.payloads import (
    EPErrorBody,
    EPPostageLabel,
    EPRate,
    EPShipment,
    EPTracker,
    error_text,
    shipment_body,
)
from orderhub.core.connectors import (
    Capability,
    ConnectorError,
    ConnectorKind,
    HealthReport,
    InboundEvent,
    Label,
    LabelRequest,
    PermanentError,
    Rate,
    RateRequest,
    TransientError,
    WebhookEnvelope,
    WebhookRejected,
    WebhookRequest,
)
from orderhub.core.events import InboundChange
from orderhub.core.model.common import Address
from orderhub.core.model.fulfillment import Parcel, TrackingEvent
from orderhub.core.money import Money

API = "https://api.easypost.com/v2"

# Which URL of a postage label holds which format, and the name the label endpoint takes.
FORMAT_URL_FIELD = {"PNG": "label_url", "PDF": "label_pdf_url", "ZPL": "label_zpl_url"}
DOWNLOAD_ATTEMPTS = 3

T = TypeVar("T")


class EasyPostSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    api_key: str
    """Test or production key; EasyPost tells them apart, the connector does not need to."""
    webhook_secret: str | None = None
    """The `webhook_secret` given when the webhook was created; required to accept webhooks."""


class EasyPostConnector(_http.HttpConnector):
    """EasyPost, the aggregator: one connection rates and ships with every carrier account
    configured in the EasyPost dashboard. `Rate.carrier` is the underlying carrier ("USPS")."""

    name: ClassVar[str] = "easypost"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CARRIER
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.RATES, Capability.LABELS, Capability.TRACKING, Capability.RECEIVE_WEBHOOKS}
    )
    Settings: ClassVar[type[msgspec.Struct]] = EasyPostSettings
    settings: EasyPostSettings

    async def health(self) -> HealthReport:
        if not self.settings.api_key:
            return HealthReport(ok=False, detail="no api_key configured")
        return HealthReport(ok=True, detail="api key configured")

    # ------------------------------------------------------------------------ rates

    async def get_rates(self, request: RateRequest) -> Sequence[Rate]:
        """Create a shipment and read its rates. Carriers that refuse to rate say why in
        `messages`; when none rates at all, that is the carrier's answer to the request."""
        shipment = await self._create_shipment(
            request.reference, request.origin, request.destination, request.parcels
        )
        if not shipment.rates and shipment.messages:
            raise PermanentError(
                "; ".join(_message_text(m) for m in shipment.messages),
                code=shipment.messages[0].type or "rate_error",
                body=[msgspec.to_builtins(m) for m in shipment.messages],
            )
        return [_rate(rate) for rate in shipment.rates]

    # ----------------------------------------------------------------------- labels

    async def buy_label(self, request: LabelRequest) -> Label:
        """Create a shipment carrying our label reference, buy the chosen service, fetch the
        label in the asked format (converted through the label endpoint when needed).

        Once EasyPost has sold the label, nothing raised here is transient: a retry would buy
        a second one. A missing document is a `PermanentError` naming the shipment.
        """
        fmt = label_format(request)
        shipment = await self._create_shipment(
            request.reference, request.origin, request.destination, request.parcels
        )
        chosen = _matching_rate(shipment, request.rate)
        bought = await self._call(
            "POST",
            f"/shipments/{shipment.id}/buy",
            json={"rate": {"id": chosen.id}},
            type_=EPShipment,
            purchase=True,
        )
        try:
            url = await self._label_url(bought, fmt)
            document = await self._download(url)
        except ConnectorError as exc:
            raise PermanentError(
                f"EasyPost sold label {bought.tracking_code} on shipment {bought.id} but its "
                f"{fmt} document could not be fetched: {exc}",
                code="label_document_unavailable",
                body={"shipment_id": bought.id, "tracking_code": bought.tracking_code},
            ) from exc
        selected = bought.selected_rate or chosen
        return Label(
            carrier=selected.carrier,
            tracking_number=bought.tracking_code or "",
            label_format=fmt,
            document=document,
            provider_ref=bought.id,
            cost=Money.parse(selected.rate, selected.currency),
            tracking_url=bought.tracker.public_url if bought.tracker else None,
        )

    async def void_label(self, label: Label) -> None:
        """Ask for the postage back. `submitted` and `refunded` are both accepted refunds."""
        shipment = await self._call(
            "POST", f"/shipments/{label.provider_ref}/refund", type_=EPShipment
        )
        if shipment.refund_status in {"rejected", "not_applicable"}:
            raise PermanentError(
                f"EasyPost refused the refund of {label.tracking_number}: "
                f"refund_status={shipment.refund_status}",
                code=f"refund_{shipment.refund_status}",
            )

    # --------------------------------------------------------------------- tracking

    async def track(self, tracking_number: str) -> Sequence[TrackingEvent]:
        """EasyPost returns the existing tracker for a code it already follows, so asking
        again is cheap and never creates duplicates."""
        tracker = await self._call(
            "POST",
            "/trackers",
            json={"tracker": {"tracking_code": tracking_number}},
            type_=EPTracker,
        )
        return webhooks.tracker_events(tracker, error=PermanentError)

    def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope:
        secret = self.settings.webhook_secret
        if not secret:
            raise WebhookRejected("no webhook_secret configured for this connection")
        return webhooks.verify(secret, request)

    def decode_webhook(self, event: InboundEvent) -> Sequence[InboundChange]:
        return webhooks.decode(event)

    # ---------------------------------------------------------------------- helpers

    async def _create_shipment(
        self, reference: str, origin: Address, destination: Address, parcels: Sequence[Parcel]
    ) -> EPShipment:
        body = shipment_body(
            reference=reference,
            origin=origin,
            destination=destination,
            parcel=the_parcel(parcels),
        )
        return await self._call("POST", "/shipments", json=body, type_=EPShipment)

    async def _label_url(self, shipment: EPShipment, fmt: str) -> str:
        field = FORMAT_URL_FIELD[fmt]
        url = _label_url_field(shipment.postage_label, field)
        if url:
            return url
        converted = await self._call(
            "GET", f"/shipments/{shipment.id}/label", params={"file_format": fmt}, type_=EPShipment
        )
        url = _label_url_field(converted.postage_label, field)
        if not url:
            raise PermanentError(f"the label endpoint returned no {fmt} URL", code="no_label_url")
        return url

    async def _download(self, url: str) -> bytes:
        """Label files are static; a short retry rides out a blip without re-buying."""
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                response = await _http.send(self.http, "GET", url)
                _http.raise_if_transient(response, _http.body_text)
            except TransientError:
                if attempt == DOWNLOAD_ATTEMPTS:
                    raise
                await asyncio.sleep(0.2 * attempt)
                continue
            if response.status_code != 200:
                raise PermanentError(f"HTTP {response.status_code} for the label file")
            return response.content
        raise AssertionError("unreachable")

    async def _call(
        self, method: str, path: str, *, type_: type[T], purchase: bool = False, **kwargs: Any
    ) -> T:
        response = await _http.send(
            self.http,
            method,
            API + path,
            purchase=purchase,
            auth=(self.settings.api_key, ""),
            **kwargs,
        )
        _http.raise_if_transient(response, _describe)
        if response.status_code >= 400:
            raise _permanent(response)
        return _http.decode(response, type_)


def _label_url_field(label: EPPostageLabel | None, field: str) -> str | None:
    """One of the label's URL fields (`FORMAT_URL_FIELD`); None without a label."""
    url: str | None = getattr(label, field, None) if label else None
    return url


def _rate(rate: EPRate) -> Rate:
    return Rate(
        carrier=rate.carrier,
        service=rate.service,
        price=Money.parse(rate.rate, rate.currency),
        transit_days=rate.delivery_days,
        estimated_delivery=date.fromisoformat(rate.delivery_date[:10])
        if rate.delivery_date
        else None,
        rate_ref=rate.id,
    )


def _matching_rate(shipment: EPShipment, wanted: Rate) -> EPRate:
    """The new shipment's rate for the carrier and service the hub chose."""
    for rate in shipment.rates:
        if (
            rate.carrier.lower() == wanted.carrier.lower()
            and rate.service.lower() == wanted.service.lower()
        ):
            return rate
    reasons = "; ".join(_message_text(m) for m in shipment.messages)
    raise PermanentError(
        f"EasyPost offers no {wanted.carrier} {wanted.service} rate for this shipment"
        + (f" ({reasons})" if reasons else ""),
        code="rate_unavailable",
    )


def _message_text(message: Any) -> str:
    return f"{message.carrier}: {message.message}" if message.carrier else message.message


def _error(response: httpx.Response) -> EPErrorBody | None:
    return _http.try_decode(response, EPErrorBody)


def _describe(response: httpx.Response) -> str:
    parsed = _error(response)
    return error_text(parsed.error) if parsed else _http.body_text(response)


def _permanent(response: httpx.Response) -> PermanentError:
    parsed = _error(response)
    if parsed is None:
        return PermanentError(
            f"EasyPost HTTP {response.status_code}: {_http.body_text(response)}",
            code=str(response.status_code),
        )
    return PermanentError(
        error_text(parsed.error),
        code=parsed.error.code or str(response.status_code),
        body=msgspec.to_builtins(parsed),
    )
