"""The OrderHub connector conformance kit, run against this connector."""

from __future__ import annotations

from acme_samples import payload, signed_webhook

from orderhub.connectors.acme import AcmeChannel, AcmeSettings
from orderhub.core.connectors import WebhookRequest
from orderhub.core.testing import ConnectorConformance


class TestAcmeConformance(ConnectorConformance):
    connector_class = AcmeChannel
    entry_point = "acme"
    signature_headers = ("acme-signature",)

    def settings(self, secret: str) -> AcmeSettings:
        return AcmeSettings(api_key="test-api-key", webhook_secret=secret)

    def webhook_samples(self, secret: str) -> list[WebhookRequest]:
        return [
            signed_webhook(secret, "order.created", payload("order.json"), delivery="whd_1"),
            signed_webhook(secret, "order.updated", payload("order.json"), delivery="whd_2"),
            signed_webhook(
                secret, "order.cancelled", payload("order_cancelled.json"), delivery="whd_3"
            ),
            signed_webhook(secret, "customer.created", b'{"id": "cus_41"}', delivery="whd_4"),
        ]
