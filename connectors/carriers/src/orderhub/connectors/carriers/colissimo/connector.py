"""La Poste / Colissimo: SLS `generateLabel` for labels, La Poste Suivi v2 for tracking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import ClassVar
from urllib.parse import quote as quote_path

import httpx
import msgspec

from orderhub.connectors.carriers import _http
from orderhub.connectors.carriers._common import label_format
from orderhub.connectors.carriers.colissimo import labels, tracking
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

SLS_URL = "https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0"
SUIVI_URL = "https://api.laposte.fr/suivi/v2/idships"


class ColissimoSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    contract_number: str
    """The Colissimo customer number (`contractNumber`)."""
    okapi_key: str
    """The La Poste developer key for Suivi v2, sent as `X-Okapi-Key`."""
    password: str | None = None
    """The web service password sent with `contractNumber` in the body."""
    api_key: str | None = None
    """The SLS `apiKey` from Colissimo Box, sent as a header; SLS prefers it to the password."""
    sls_url: str = SLS_URL
    pdf_printing_type: str = "PDF_10x15_300dpi"
    zpl_printing_type: str = "ZPL_10x15_300dpi"
    commercial_name: str | None = None
    """The shop name Colissimo shows in its notifications to the addressee."""
    tracking_lang: str = "fr_FR"
    rates: list[RateBand] = []
    """Contract prices to quote from: SLS has no rating call."""

    def __post_init__(self) -> None:
        if not (self.password or self.api_key):
            raise ValueError("Colissimo needs a password or an api_key")


class ColissimoConnector(_http.HttpConnector):
    """Colissimo labels through SLS, tracking through La Poste Suivi v2."""

    name: ClassVar[str] = "colissimo"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CARRIER
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.RATES, Capability.LABELS, Capability.TRACKING}
    )
    Settings: ClassVar[type[msgspec.Struct]] = ColissimoSettings
    settings: ColissimoSettings

    async def health(self) -> HealthReport:
        auth = "api key" if self.settings.api_key else "password"
        return HealthReport(ok=True, detail=f"contract {self.settings.contract_number}, {auth}")

    async def get_rates(self, request: RateRequest) -> Sequence[Rate]:
        return quote(self.name, self.settings.rates, request)

    async def buy_label(self, request: LabelRequest) -> Label:
        """`Rate.service` is the Colissimo product code (DOM, DOS, A2P, COLI...)."""
        fmt = label_format(request)
        printing = {"PDF": self.settings.pdf_printing_type, "ZPL": self.settings.zpl_printing_type}
        if fmt not in printing:
            raise PermanentError(
                f"Colissimo prints PDF or ZPL labels, not {fmt}", code="unsupported_label_format"
            )
        credentials = {"contractNumber": self.settings.contract_number}
        headers = {"Accept": "multipart/mixed"}
        if self.settings.api_key:
            headers["apiKey"] = self.settings.api_key
        elif self.settings.password:
            credentials["password"] = self.settings.password
        body = labels.generate_label_body(
            request,
            credentials=credentials,
            printing_type=printing[fmt],
            deposit_date=date.today(),
            commercial_name=self.settings.commercial_name,
        )
        response = await _http.send(
            self.http,
            "POST",
            self.settings.sls_url.rstrip("/") + "/generateLabel",
            purchase=True,
            json=body,
            headers=headers,
        )
        _http.raise_if_transient(response, _http.body_text)
        if response.status_code in (401, 403):
            raise PermanentError(
                f"Colissimo refused the credentials (HTTP {response.status_code})",
                code=str(response.status_code),
            )
        infos, document = labels.read_answer(
            response.headers.get("content-type", ""), response.content
        )
        if infos.errors():
            raise labels.refusal(infos)
        if response.status_code >= 400:
            raise PermanentError(
                f"Colissimo HTTP {response.status_code}: {_http.body_text(response)}",
                code=str(response.status_code),
            )
        number = infos.labelV2Response.parcelNumber if infos.labelV2Response else None
        if not number or not document:
            raise PermanentError(
                "Colissimo answered without a parcel number or label",
                code="bad_response",
                body=msgspec.to_builtins(infos),
            )
        return Label(
            carrier=self.name,
            tracking_number=number,
            label_format=fmt,
            document=document,
            provider_ref=number,
            cost=request.rate.price,
            tracking_url=f"https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        )

    async def void_label(self, label: Label) -> None:
        """Nothing to call: Colissimo bills parcels when La Poste takes them in charge, never a
        printed label, and SLS has no cancel operation. An unused label simply expires."""

    async def track(self, tracking_number: str) -> Sequence[TrackingEvent]:
        """Suivi v2 events, oldest first. An unknown number (404) has no events yet."""
        response = await _http.send(
            self.http,
            "GET",
            f"{SUIVI_URL}/{quote_path(tracking_number, safe='')}",
            params={"lang": self.settings.tracking_lang},
            headers={"X-Okapi-Key": self.settings.okapi_key, "Accept": "application/json"},
        )
        _http.raise_if_transient(response, _suivi_text)
        if response.status_code == 404:
            return []
        if response.status_code >= 400:
            raise PermanentError(
                _suivi_text(response), code=str(response.status_code), body=response.text[:2000]
            )
        answers = _http.decode(response, list[tracking.SuiviAnswer] | tracking.SuiviAnswer)
        if isinstance(answers, tracking.SuiviAnswer):
            answers = [answers]
        return tracking.events(answers, tracking_number)


def _suivi_text(response: httpx.Response) -> str:
    """Suivi errors are `{returnCode, returnMessage}`; the gateway's are `{code, message}`."""
    answer = _http.try_decode(response, tracking.SuiviAnswer)
    if answer is not None and answer.returnMessage:
        return answer.returnMessage
    gateway = _http.try_decode(response, tracking.GatewayError)
    if gateway is not None and gateway.message:
        return f"{gateway.code}: {gateway.message}" if gateway.code else gateway.message
    return _http.body_text(response)
