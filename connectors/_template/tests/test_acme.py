"""The Acme connector's own behaviour: mapping, signature edge cases, API calls (respx)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import httpx
import pytest
import respx
from acme_samples import payload, signed_webhook

from orderhub.connectors.acme import AcmeChannel, AcmeSettings
from orderhub.core.connectors import (
    PayloadError,
    PermanentError,
    StockUpdate,
    TransientError,
    WebhookRejected,
)
from orderhub.core.events import OrderCancelObserved, OrderObserved
from orderhub.core.model import Address, FinancialStatus, TaxLine
from orderhub.core.money import Money
from orderhub.core.testing import build_connector, inbound_event, open_connector

BASE = "https://api.acme.example"
SECRET = "whsec_test_acme"


def settings(**overrides: object) -> AcmeSettings:
    return AcmeSettings(api_key="test-api-key", webhook_secret=SECRET, **overrides)  # type: ignore[arg-type]


def eur(value: str) -> Money:
    return Money.parse(value, "EUR")


def decode(topic: str, body: bytes) -> list[object]:
    connector = build_connector(AcmeChannel, settings(), id="acme-fr")
    request = signed_webhook(SECRET, topic, body)
    return list(connector.decode_webhook(inbound_event(request, connector.verify_webhook(request))))


# ------------------------------------------------------------------------------ webhooks


def test_an_order_webhook_maps_to_the_canonical_order() -> None:
    (change,) = decode("order.created", payload("order.json"))
    assert isinstance(change, OrderObserved)
    order = change.order
    assert (order.connection, order.external_id, order.number) == (
        "acme-fr",
        "ord_8QnZ2m",
        "A-1001",
    )
    assert order.placed_at == datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
    assert order.source_updated_at == datetime(2025, 3, 14, 9, 31, 2, tzinfo=UTC)
    assert order.financial_status is FinancialStatus.PAID
    first, wrap = order.lines
    assert (first.sku, first.quantity, first.unit_price) == ("TSHIRT-M", 2, eur("19.99"))
    assert first.total_discount == eur("2.00")
    assert first.taxes == [TaxLine(title="TVA", rate="0.2", amount=eur("6.33"))]
    assert (first.external_id, first.bindings) == ("li_1", {"variant_id": "var_77"})
    assert (wrap.sku, wrap.total_discount, wrap.taxes) == (None, None, [])
    assert order.shipping_address == Address(
        name="Jane Roe",
        line1="12 rue des Lilas",
        city="Lyon",
        postal_code="69003",
        country="FR",
        phone="+33 4 00 00 00 00",
    )
    assert order.customer is not None and order.customer.external_id == "cus_41"
    assert order.shipping_lines[0].price == eur("4.90")
    assert order.totals is not None and order.totals.total == eur("52.21")
    assert order.computed_totals() == order.totals  # Acme's totals add up
    assert (order.notes, order.tags) == ("Ring twice", ["returning"])


def test_a_cancelled_webhook_is_a_cancellation() -> None:
    (change,) = decode("order.cancelled", payload("order_cancelled.json"))
    assert change == OrderCancelObserved(
        connection="acme-fr",
        external_id="ord_3kP0aa",
        reason="customer",
        at=datetime(2025, 3, 14, 11, 15, 40, tzinfo=UTC),
    )


def test_other_topics_decode_to_nothing() -> None:
    assert decode("customer.created", b'{"id": "cus_41"}') == []


def test_the_envelope_carries_the_delivery_id_topic_and_signing_time() -> None:
    connector = build_connector(AcmeChannel, settings())
    envelope = connector.verify_webhook(
        signed_webhook(SECRET, "order.updated", b"{}", delivery="whd_9", timestamp=time.time())
    )
    assert (envelope.event_id, envelope.topic) == ("whd_9", "order.updated")
    assert envelope.occurred_at is not None and envelope.occurred_at.tzinfo is UTC


@pytest.mark.parametrize("age", [-301, 301, 3600])
def test_deliveries_outside_the_replay_window_are_rejected(age: int) -> None:
    connector = build_connector(AcmeChannel, settings())
    request = signed_webhook(SECRET, "order.created", b"{}", timestamp=1_741_944_000)
    connector.clock = lambda: 1_741_944_000 + age
    with pytest.raises(WebhookRejected, match="tolerance"):
        connector.verify_webhook(request)
    connector.clock = lambda: 1_741_944_000 + 299
    assert connector.verify_webhook(request).topic == "order.created"


def test_a_changed_timestamp_breaks_the_signature() -> None:
    connector = build_connector(AcmeChannel, settings())
    request = signed_webhook(SECRET, "order.created", b"{}")
    headers = dict(request.headers, **{"acme-timestamp": str(int(time.time()) + 1)})
    with pytest.raises(WebhookRejected, match="does not match"):
        connector.verify_webhook(type(request)(body=request.body, headers=headers))


def test_a_signed_delivery_without_id_is_a_payload_error() -> None:
    connector = build_connector(AcmeChannel, settings())
    request = signed_webhook(SECRET, "order.created", b"{}")
    headers = {k: v for k, v in request.headers.items() if k != "acme-webhook-id"}
    with pytest.raises(PayloadError, match="Acme-Webhook-Id"):
        connector.verify_webhook(type(request)(body=request.body, headers=headers))


# ----------------------------------------------------------------------------- API calls


async def test_pull_orders_pages_then_resumes_from_the_newest_change() -> None:
    page_1 = json.loads(payload("orders_page_1.json"))
    page_2 = json.loads(payload("orders_page_2.json"))
    async with open_connector(AcmeChannel, settings(), id="acme-fr") as connector:
        with respx.mock(base_url=BASE, assert_all_called=True) as api:
            route = api.get("/v1/orders").mock(
                side_effect=[
                    httpx.Response(200, json=page_1),
                    httpx.Response(200, json=page_2),
                    httpx.Response(200, json={"orders": [], "next_page_token": None}),
                ]
            )
            first = await connector.pull_orders(None)
            second = await connector.pull_orders(first.cursor)
            third = await connector.pull_orders(second.cursor)

    requests = [call.request for call in route.calls]
    assert requests[0].headers["authorization"] == "Bearer test-api-key"
    assert dict(requests[0].url.params) == {"limit": "100"}
    assert dict(requests[1].url.params) == {"limit": "100", "page_token": "pg_2"}
    assert dict(requests[2].url.params) == {
        "limit": "100",
        "updated_at_min": "2025-03-14T11:15:40+00:00",
    }
    assert first.has_more and not second.has_more and not third.has_more
    assert [type(c).__name__ for c in first.changes] == ["OrderObserved"]
    assert [type(c).__name__ for c in second.changes] == ["OrderObserved", "OrderCancelObserved"]
    assert third.changes == [] and third.cursor == second.cursor


@pytest.mark.parametrize(
    ("response", "error", "detail"),
    [
        (httpx.Response(429, headers={"Retry-After": "7"}), TransientError, {"retry_after": 7.0}),
        (httpx.Response(503, text="maintenance"), TransientError, {"retry_after": None}),
        (
            httpx.Response(401, json={"error": {"code": "invalid_api_key", "message": "no"}}),
            PermanentError,
            {"code": "invalid_api_key"},
        ),
        (httpx.Response(404, text="not found"), PermanentError, {"code": "404"}),
    ],
)
async def test_api_failures_map_to_retry_or_dead_letter(
    response: httpx.Response, error: type[Exception], detail: dict[str, object]
) -> None:
    async with open_connector(AcmeChannel, settings()) as connector:
        with respx.mock(base_url=BASE) as api:
            api.get("/v1/orders").mock(return_value=response)
            with pytest.raises(error) as caught:
                await connector.pull_orders(None)
    for name, value in detail.items():
        assert getattr(caught.value, name) == value


async def test_timeouts_are_transient() -> None:
    async with open_connector(AcmeChannel, settings()) as connector:
        with respx.mock(base_url=BASE) as api:
            api.get("/v1/orders").mock(side_effect=httpx.ReadTimeout("slow"))
            with pytest.raises(TransientError, match="timed out"):
                await connector.pull_orders(None)


async def test_push_stock_sets_each_sku_with_its_idempotency_key() -> None:
    updates = [
        StockUpdate(sku="TSHIRT-M", quantity=7, location_ref="loc_1", idempotency_key="k1"),
        StockUpdate(sku="MUG 01/B", quantity=0, idempotency_key="k2"),
    ]
    async with open_connector(AcmeChannel, settings()) as connector:
        with respx.mock(base_url=BASE, assert_all_called=True) as api:
            shirt = api.put("/v1/inventory/TSHIRT-M").respond(200, json={"available": 7})
            mug = api.put("/v1/inventory/MUG%2001%2FB").respond(200, json={"available": 0})
            await connector.push_stock(updates)
    assert json.loads(shirt.calls.last.request.content) == {"available": 7, "location_id": "loc_1"}
    assert shirt.calls.last.request.headers["idempotency-key"] == "k1"
    assert json.loads(mug.calls.last.request.content) == {"available": 0}
    assert mug.calls.last.request.headers["idempotency-key"] == "k2"


async def test_health() -> None:
    async with open_connector(AcmeChannel, settings()) as connector:
        with respx.mock(base_url=BASE) as api:
            api.get("/v1/shop").respond(200, json={"id": "shop_1", "name": "Acme FR"})
            assert (await connector.health()).detail == "shop Acme FR (shop_1)"
            api.get("/v1/shop").respond(401, json={"error": {"code": "invalid_api_key"}})
            report = await connector.health()
    assert not report.ok and "401" in (report.detail or "")


async def test_a_shared_client_is_used_and_left_open() -> None:
    async with httpx.AsyncClient() as shared:
        async with open_connector(AcmeChannel, settings(), http=shared) as connector:
            with respx.mock(base_url=BASE) as api:
                api.get("/v1/shop").respond(200, json={"id": "s", "name": "n"})
                assert (await connector.health()).ok
        assert not shared.is_closed
