"""DHL Germany: Parcel DE Shipping API v2 for labels, Shipment Tracking - Unified for tracking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

import httpx
import msgspec

from orderhub.connectors.carriers import _http
from orderhub.connectors.carriers._common import LabelOutcome, label_format
from orderhub.connectors.carriers.dhl import shipping, tracking
from orderhub.connectors.carriers.ratecard import RateBand, quote
from orderhub.core.connectors import (
    Capability,
    ConnectorKind,
    HealthReport,
    Label,
    LabelRequest,
    PermanentError,
    Rate,
    RateRequest,
)
from orderhub.core.model.fulfillment import TrackingEvent

SHIPPING_URL = {
    False: "https://api-eu.dhl.com/parcel/de/shipping/v2",
    True: "https://api-sandbox.dhl.com/parcel/de/shipping/v2",
}
TRACKING_URL = {
    False: "https://api-eu.dhl.com/track/shipments",
    True: "https://api-test.dhl.com/track/shipments",
}


class DhlSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    api_key: str
    """The app's key from developer.dhl.com, sent as `dhl-api-key`."""
    username: str
    """The business customer portal (GKP) system user, sent with `password` as basic auth."""
    password: str
    billing_numbers: dict[str, str]
    """Product code -> 14-digit billing number ("V01PAK" -> "33333333330102")."""
    profile: str = "STANDARD_GRUPPENPROFIL"
    """The GKP user group profile; the standard one unless the account has its own."""
    tracking_api_key: str | None = None
    """Key of an app subscribed to Shipment Tracking - Unified; `api_key` when not set."""
    sandbox: bool = False
    print_format: str | None = None
    """`printFormat` of the labels ("910-300-700", "A4"...); the GKP default when not set."""
    rates: list[RateBand] = []
    """Contract prices to quote from: Parcel DE has no rating call."""


class DhlConnector(_http.HttpConnector):
    """DHL Paket through the Parcel DE Shipping API v2; tracking through the Unified API."""

    name: ClassVar[str] = "dhl"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CARRIER
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.RATES, Capability.LABELS, Capability.TRACKING}
    )
    Settings: ClassVar[type[msgspec.Struct]] = DhlSettings
    settings: DhlSettings

    async def health(self) -> HealthReport:
        required = ("api_key", "username", "password", "billing_numbers")
        missing = [field for field in required if not getattr(self.settings, field)]
        if missing:
            return HealthReport(ok=False, detail="not configured: " + ", ".join(missing))
        mode = "sandbox" if self.settings.sandbox else "production"
        return HealthReport(
            ok=True, detail=f"{mode}, products {sorted(self.settings.billing_numbers)}"
        )

    async def get_rates(self, request: RateRequest) -> Sequence[Rate]:
        """Quoted from the contract prices in the settings, for products we can bill."""
        bands = [b for b in self.settings.rates if b.service in self.settings.billing_numbers]
        return quote(self.name, bands, request)

    async def buy_label(self, request: LabelRequest) -> Label:
        (outcome,) = await self.buy_labels([request])
        return outcome.unwrap()

    async def buy_labels(self, requests: Sequence[LabelRequest]) -> list[LabelOutcome]:
        """Create up to 30 shipments in one call. DHL answers 207 when some fail: every
        request gets its own outcome, a label or DHL's reasons for refusing it."""
        requests = list(requests)
        if not 1 <= len(requests) <= 30:
            raise PermanentError("DHL takes 1 to 30 shipments per call", code="batch_size")
        formats = {label_format(r) for r in requests}
        if len(formats) != 1:
            raise PermanentError("one label format per call", code="mixed_label_formats")
        params: dict[str, str] = {
            "docFormat": shipping.doc_format(formats.pop()),
            "includeDocs": "include",
        }
        if self.settings.print_format:
            params["printFormat"] = self.settings.print_format
        body = {
            "profile": self.settings.profile,
            "shipments": [
                shipping.shipment(
                    r, billing_number=self._billing_number(r.rate.service), ship_date=date.today()
                )
                for r in requests
            ],
        }
        response = await self._shipping("POST", "/orders", params=params, json=body, purchase=True)
        answer = _http.decode(response, shipping.DhlLabelResponse)
        if response.status_code == 400 and not answer.items:
            raise _refusal(response, answer.status)
        return shipping.outcomes(requests, answer)

    async def void_label(self, label: Label) -> None:
        """Delete the shipment; possible until the day's closing (manifest)."""
        response = await self._shipping(
            "DELETE",
            "/orders",
            params={"profile": self.settings.profile, "shipment": label.provider_ref},
        )
        answer = _http.decode(response, shipping.DhlLabelResponse)
        failed = [item for item in answer.items if not item.ok]
        if failed:
            raise failed[0].error()
        if response.status_code >= 400:
            raise _refusal(response, answer.status)

    async def track(self, tracking_number: str) -> Sequence[TrackingEvent]:
        """A number DHL does not know yet (404) has no events, which is not an error."""
        response = await _http.send(
            self.http,
            "GET",
            TRACKING_URL[self.settings.sandbox],
            params={"trackingNumber": tracking_number, "service": "parcel-de"},
            headers={
                "DHL-API-Key": self.settings.tracking_api_key or self.settings.api_key,
                "Accept": "application/json",
            },
        )
        _http.raise_if_transient(response, _problem_text)
        if response.status_code == 404:
            return []
        if response.status_code >= 400:
            problem = _problem(response)
            raise PermanentError(
                _problem_text(response),
                code=str(problem.status if problem and problem.status else response.status_code),
                body=msgspec.to_builtins(problem) if problem else response.text[:2000],
            )
        return tracking.events(_http.decode(response, tracking.UResponse), tracking_number)

    # ---------------------------------------------------------------------- helpers

    def _billing_number(self, product: str) -> str:
        number = self.settings.billing_numbers.get(product)
        if number is None:
            raise PermanentError(
                f"no billing number configured for DHL product {product!r}",
                code="unknown_service",
            )
        return number

    async def _shipping(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A Parcel DE call. 200/207 and 400 (per-item refusals) come back to the caller."""
        response = await _http.send(
            self.http,
            method,
            SHIPPING_URL[self.settings.sandbox] + path,
            auth=(self.settings.username, self.settings.password),
            headers={"dhl-api-key": self.settings.api_key, "Accept": "application/json"},
            **kwargs,
        )
        _http.raise_if_transient(response, _status_text)
        if response.status_code > 400:
            raise _refusal(response, _request_status(response))
        return response


def _request_status(response: httpx.Response) -> shipping.DhlStatus | None:
    """Errors other than 400 are a bare `RequestStatus`."""
    return _http.try_decode(response, shipping.DhlStatus)


def _status_text(response: httpx.Response) -> str:
    status = _request_status(response)
    return status.text() if status else _http.body_text(response)


def _refusal(response: httpx.Response, status: shipping.DhlStatus | None) -> PermanentError:
    if status is None:
        return PermanentError(
            f"DHL HTTP {response.status_code}: {_http.body_text(response)}",
            code=str(response.status_code),
        )
    return PermanentError(
        status.text(),
        code=str(status.code or response.status_code),
        body=msgspec.to_builtins(status),
    )


def _problem(response: httpx.Response) -> tracking.UProblem | None:
    return _http.try_decode(response, tracking.UProblem)


def _problem_text(response: httpx.Response) -> str:
    problem = _problem(response)
    if problem is None:
        return _http.body_text(response)
    return ": ".join(p for p in (problem.title, problem.detail) if p) or _http.body_text(response)
