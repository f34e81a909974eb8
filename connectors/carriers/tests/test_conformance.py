"""The core conformance kit, run against each carrier connector of this package."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from orderhub.connectors.carriers.colissimo import ColissimoConnector, ColissimoSettings
from orderhub.connectors.carriers.dhl import DhlConnector, DhlSettings
from orderhub.connectors.carriers.easypost import EasyPostConnector, EasyPostSettings
from orderhub.connectors.carriers.fedex import FedexConnector, FedexSettings
from orderhub.connectors.carriers.ratecard import RateBand
from orderhub.core.connectors import WebhookRequest
from orderhub.core.testing import ConnectorConformance, sign_hmac_sha256, webhook_request

FIXTURES = Path(__file__).parent / "fixtures"


def easypost_signed(name: str, secret: str) -> WebhookRequest:
    body = (FIXTURES / "easypost" / name).read_bytes()
    key = unicodedata.normalize("NFKD", secret)
    digest = sign_hmac_sha256(key, body, encoding="hex")
    return webhook_request(
        body, {"X-Hmac-Signature": f"hmac-sha256-hex={digest}", "Content-Type": "application/json"}
    )


class TestEasyPostConformance(ConnectorConformance):
    connector_class = EasyPostConnector
    entry_point = "carriers"
    signature_headers = ("x-hmac-signature",)

    def settings(self, secret: str) -> EasyPostSettings:
        return EasyPostSettings(
            api_key="EZTK151720b5bbc44c4fb6d2c2f5a2c1ab71", webhook_secret=secret
        )

    def webhook_samples(self, secret: str) -> list[WebhookRequest]:
        return [
            easypost_signed("event_tracker_updated.json", secret),
            easypost_signed("event_batch_updated.json", secret),
        ]


class TestDhlConformance(ConnectorConformance):
    connector_class = DhlConnector
    entry_point = "carriers"

    def settings(self, secret: str) -> DhlSettings:
        return DhlSettings(
            api_key="dhl-app-key",
            username="user-valid",
            password=secret,
            billing_numbers={"V01PAK": "33333333330102"},
            rates=[RateBand(service="V01PAK", price="5.49", max_weight_grams=2000)],
        )


class TestFedexConformance(ConnectorConformance):
    connector_class = FedexConnector
    entry_point = "carriers"

    def settings(self, secret: str) -> FedexSettings:
        return FedexSettings(
            client_id="l7xx-client", client_secret=secret, account_number="740561073"
        )


class TestColissimoConformance(ConnectorConformance):
    connector_class = ColissimoConnector
    entry_point = "carriers"

    def settings(self, secret: str) -> ColissimoSettings:
        return ColissimoSettings(contract_number="123456", password=secret, okapi_key="okapi")
