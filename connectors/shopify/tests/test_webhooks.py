"""Webhook verification (HMAC, headers) and decoding of every topic into canonical changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orderhub.connectors.shopify import ShopifyConnector
from orderhub.core.connectors import InboundEvent, PayloadError, WebhookRejected
from orderhub.core.events import (
    ConnectionRevoked,
    OrderCancelObserved,
    OrderObserved,
    RefundObserved,
    StockObserved,
)
from orderhub.core.model import Discount, FinancialStatus, Money, TaxLine


def event(kit, topic: str, name: str | None = None, body: bytes | None = None) -> InboundEvent:
    raw = body if body is not None else kit.payload_bytes(name)
    return InboundEvent(
        event_id=f"{topic}:1",
        topic=topic,
        body=raw,
        headers={},
        received_at=datetime(2026, 5, 4, 14, 15, 45, tzinfo=UTC),
    )


def eur(text: str) -> Money:
    return Money.parse(text, "EUR")


# ------------------------------------------------------------------------ verification


def test_a_signed_delivery_is_accepted_with_its_ids(connector: ShopifyConnector, kit) -> None:
    body = kit.payload_bytes("orders_create.json")
    envelope = connector.verify_webhook(kit.webhook("orders/create", body))
    assert envelope.topic == "orders/create"
    assert envelope.event_id == "orders/create:2c1b7d5e-9f0a-4e41-b2c6-3d7a9e8f1a20"
    assert envelope.occurred_at == datetime(2026, 5, 4, 14, 15, 44, 123456, tzinfo=UTC)


def test_header_names_are_compared_without_case(connector: ShopifyConnector, kit) -> None:
    body = kit.payload_bytes("orders_create.json")
    request = kit.webhook("orders/create", body)
    title_case = {
        "-".join(p.capitalize() for p in k.split("-")): v for k, v in request.headers.items()
    }
    envelope = connector.verify_webhook(type(request)(body=body, headers=title_case))
    assert envelope.topic == "orders/create"


def test_a_tampered_body_is_rejected(connector: ShopifyConnector, kit) -> None:
    body = kit.payload_bytes("orders_create.json")
    request = kit.webhook("orders/create", body)
    tampered = body.replace(b'"437.97"', b'"1.00"', 1)
    assert tampered != body
    with pytest.raises(WebhookRejected, match="does not match"):
        connector.verify_webhook(type(request)(body=tampered, headers=request.headers))


def test_a_signature_made_with_another_secret_is_rejected(connector: ShopifyConnector, kit) -> None:
    body = kit.payload_bytes("orders_create.json")
    with pytest.raises(WebhookRejected, match="does not match"):
        connector.verify_webhook(kit.webhook("orders/create", body, secret="someone-else"))


def test_a_missing_signature_is_rejected(connector: ShopifyConnector, kit) -> None:
    body = kit.payload_bytes("orders_create.json")
    request = kit.webhook("orders/create", body)
    headers = {k: v for k, v in request.headers.items() if k != "x-shopify-hmac-sha256"}
    with pytest.raises(WebhookRejected, match="missing X-Shopify-Hmac-Sha256"):
        connector.verify_webhook(type(request)(body=body, headers=headers))


def test_a_signature_that_is_not_base64_is_rejected(connector: ShopifyConnector, kit) -> None:
    body = kit.payload_bytes("orders_create.json")
    request = kit.webhook("orders/create", body, extra={"x-shopify-hmac-sha256": "not base64!"})
    with pytest.raises(WebhookRejected, match="not base64"):
        connector.verify_webhook(request)


def test_a_hex_digest_is_not_mistaken_for_the_base64_one(connector: ShopifyConnector, kit) -> None:
    import hashlib
    import hmac

    body = kit.payload_bytes("orders_create.json")
    hex_digest = hmac.new(kit.SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = kit.webhook("orders/create", body, extra={"x-shopify-hmac-sha256": hex_digest})
    with pytest.raises(WebhookRejected):
        connector.verify_webhook(request)


def test_a_delivery_for_another_store_is_rejected(connector: ShopifyConnector, kit) -> None:
    # Same app secret, another shop: valid signature, wrong connection.
    body = kit.payload_bytes("orders_create.json")
    request = kit.webhook("orders/create", body, shop="someone-else.myshopify.com")
    with pytest.raises(WebhookRejected, match="someone-else.myshopify.com"):
        connector.verify_webhook(request)


def test_a_delivery_without_shop_domain_is_rejected(connector: ShopifyConnector, kit) -> None:
    body = kit.payload_bytes("orders_create.json")
    request = kit.webhook("orders/create", body)
    headers = {k: v for k, v in request.headers.items() if k != "x-shopify-shop-domain"}
    with pytest.raises(WebhookRejected, match="missing"):
        connector.verify_webhook(type(request)(body=body, headers=headers))


def test_webhook_id_is_the_fallback_dedupe_key(connector: ShopifyConnector, kit) -> None:
    body = kit.payload_bytes("orders_paid.json")
    envelope = connector.verify_webhook(kit.webhook("orders/paid", body, event_id=None))
    assert envelope.event_id == "orders/paid:b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def test_the_same_event_id_on_two_topics_stays_two_events(connector: ShopifyConnector, kit) -> None:
    create = connector.verify_webhook(
        kit.webhook("orders/create", kit.payload_bytes("orders_create.json"))
    )
    paid = connector.verify_webhook(
        kit.webhook("orders/paid", kit.payload_bytes("orders_paid.json"))
    )
    assert create.event_id != paid.event_id


# ------------------------------------------------------------------------ decoding


def test_orders_create_maps_every_part_of_the_order(connector: ShopifyConnector, kit) -> None:
    changes = connector.decode_webhook(event(kit, "orders/create", "orders_create.json"))
    assert len(changes) == 1 and isinstance(changes[0], OrderObserved)
    order = changes[0].order
    assert order.connection == "shopify-eu"
    assert order.external_id == "5844617199773"
    assert order.number == "#1042"
    assert order.currency == "EUR"
    assert order.placed_at == datetime(2026, 5, 4, 14, 15, 41, tzinfo=UTC)
    assert order.source_updated_at == datetime(2026, 5, 4, 14, 15, 44, tzinfo=UTC)
    assert order.financial_status is FinancialStatus.AUTHORIZED
    assert order.test is False
    assert order.cancel_reason is None
    assert order.tags == ["gift", "vip", "wholesale"]
    assert order.notes == "Please leave at the door"

    pink, case = order.lines
    assert (pink.sku, pink.quantity, pink.unit_price) == ("IPOD2008PINK", 2, eur("199.00"))
    assert pink.external_id == "14368713965725"
    assert pink.bindings == {"variant_id": "808950810", "product_id": "632910392"}
    assert pink.total_discount == eur("10.00")
    assert pink.taxes == [TaxLine(title="State Tax", rate="0.06", amount=eur("23.88"))]
    assert pink.quantity_cancelled == 0
    assert (case.sku, case.quantity, case.unit_price, case.total_discount) == (
        "CASE-RED",
        1,
        eur("19.90"),
        None,
    )

    assert order.totals.subtotal == eur("417.90")
    assert order.totals.discounts == eur("10.00")
    assert order.totals.shipping == eur("5.00")
    assert order.totals.tax == eur("25.07")
    assert order.totals.total == eur("437.97")
    assert (
        order.totals.subtotal + order.totals.shipping - order.totals.discounts + order.totals.tax
        == order.totals.total
    )
    assert order.discounts == [Discount(code="WELCOME10", title=None, amount=eur("10.00"))]
    assert order.taxes == [TaxLine(title="State Tax", rate="0.06", amount=eur("25.07"))]
    assert [(s.title, s.code, s.price) for s in order.shipping_lines] == [
        ("Standard", "Standard", eur("5.00"))
    ]

    assert order.customer.email == "ada@example.com"
    assert order.customer.name == "Ada Lovelace"
    assert order.customer.external_id == "7390560256157"
    assert order.customer.accepts_marketing is True
    ship = order.shipping_address
    assert (ship.name, ship.company, ship.line1, ship.line2, ship.city, ship.postal_code) == (
        "Ada Lovelace",
        "Analytical Engines SARL",
        "12 rue de la Paix",
        "Bâtiment B",
        "Paris",
        "75002",
    )
    assert (ship.country, ship.region, ship.point.lat, ship.point.lon) == (
        "FR",
        None,
        48.8686,
        2.3314,
    )
    assert order.billing_address.company is None

    # Note attributes keep their names; what the connector adds is prefixed, presentment included.
    assert order.attributes == {
        "gift_message": "Happy birthday",
        "delivery_slot": "morning",
        "shopify.fulfillment_status": "unfulfilled",
        "shopify.presentment_currency": "USD",
        "shopify.presentment_total": "473.01",
    }


def test_orders_paid_carries_the_new_financial_status(connector: ShopifyConnector, kit) -> None:
    (change,) = connector.decode_webhook(event(kit, "orders/paid", "orders_paid.json"))
    assert change.order.financial_status is FinancialStatus.PAID
    assert change.order.source_updated_at == datetime(2026, 5, 4, 14, 16, 3, tzinfo=UTC)


def test_orders_updated_reports_a_removed_line_as_cancelled_units(
    connector: ShopifyConnector, kit
) -> None:
    (change,) = connector.decode_webhook(event(kit, "orders/updated", "orders_updated.json"))
    pink, case = change.order.lines
    assert (case.quantity, case.quantity_cancelled, case.quantity_open) == (1, 1, 0)
    assert pink.quantity_cancelled == 0
    assert change.order.tags == ["edited", "gift", "vip"]


def test_orders_cancelled_gives_the_snapshot_and_the_cancellation(
    connector: ShopifyConnector, kit
) -> None:
    changes = connector.decode_webhook(event(kit, "orders/cancelled", "orders_cancelled.json"))
    observed, cancelled = changes
    assert isinstance(observed, OrderObserved) and isinstance(cancelled, OrderCancelObserved)
    order = observed.order
    assert (order.external_id, order.number, order.test) == ("820982911946154508", "#9999", True)
    assert order.cancel_reason == "customer"
    assert order.financial_status is FinancialStatus.VOIDED
    assert order.tags == ["tag1", "tag2"]
    assert order.currency == "USD"
    assert order.attributes["shopify.presentment_currency"] == "USD"
    assert cancelled == OrderCancelObserved(
        connection="shopify-eu",
        external_id="820982911946154508",
        reason="customer",
        at=datetime(2022, 1, 1, 0, 0, tzinfo=UTC),
    )


def test_lines_without_sku_decode_with_sku_none(connector: ShopifyConnector, kit) -> None:
    (change,) = connector.decode_webhook(event(kit, "orders/create", "orders_create_no_sku.json"))
    custom, blank = change.order.lines
    assert custom.sku is None and custom.name == "Engraving service"
    assert custom.bindings == {}
    assert custom.requires_shipping is False
    assert blank.sku is None and blank.bindings["variant_id"] == "39072856"


def test_refunds_create_counts_only_money_that_left(connector: ShopifyConnector, kit) -> None:
    (change,) = connector.decode_webhook(event(kit, "refunds/create", "refunds_create.json"))
    assert change == RefundObserved(
        connection="shopify-eu",
        order_external_id="5844617199773",
        refund_id="929361472",
        amount=eur("205.64"),  # the failed transaction is not counted
        line_quantities={"14368713965725": 1},
        restock=True,  # restock_type "return"
        at=datetime(2026, 5, 6, 15, 38, 34, tzinfo=UTC),
    )


def test_inventory_levels_update_is_a_stock_observation(connector: ShopifyConnector, kit) -> None:
    (change,) = connector.decode_webhook(
        event(kit, "inventory_levels/update", "inventory_levels_update.json")
    )
    assert change == StockObserved(
        connection="shopify-eu",
        location_ref="24826418",
        quantity=6,
        item_ref="271878346596884015",
        at=datetime(2026, 5, 6, 16, 1, 9, tzinfo=UTC),
    )


def test_inventory_location_uses_the_spelling_of_the_location_map(kit) -> None:
    # The map names this location by GID, so the observation does too.
    connector = ShopifyConnector(kit.shop_connection())
    body = b'{"inventory_item_id": 1, "location_id": 24826419, "available": 0, "updated_at": null}'
    (change,) = connector.decode_webhook(event(kit, "inventory_levels/update", body=body))
    assert change.location_ref == "gid://shopify/Location/24826419"


def test_untracked_inventory_gives_no_change(connector: ShopifyConnector, kit) -> None:
    body = b'{"inventory_item_id": 1, "location_id": 24826418, "available": null}'
    assert connector.decode_webhook(event(kit, "inventory_levels/update", body=body)) == []


def test_app_uninstalled_revokes_the_connection(connector: ShopifyConnector, kit) -> None:
    (change,) = connector.decode_webhook(event(kit, "app/uninstalled", "app_uninstalled.json"))
    assert change == ConnectionRevoked(
        connection="shopify-eu", reason="app uninstalled from orderhub-test.myshopify.com"
    )


@pytest.mark.parametrize(
    ("topic", "body", "message"),
    [
        ("orders/create", b"{not json", "not valid JSON"),
        ("orders/create", b'{"id": 1, "name": "#1"}', "currency"),
        ("orders/create", b"[]", "orders/create"),
        ("refunds/create", b'{"order_id": 1}', "id"),
        ("inventory_levels/update", b'{"location_id": "x"}', "inventory_levels/update"),
        ("orders/fulfilled", b"{}", "not one the Shopify connector handles"),
    ],
)
def test_malformed_bodies_are_payload_errors(
    connector: ShopifyConnector, kit, topic: str, body: bytes, message: str
) -> None:
    with pytest.raises(PayloadError, match=message):
        connector.decode_webhook(event(kit, topic, body=body))


def test_an_amount_with_too_many_decimals_is_a_payload_error(
    connector: ShopifyConnector, kit
) -> None:
    body = kit.payload_bytes("orders_create.json").replace(b'"437.97"', b'"437.975"')
    with pytest.raises(PayloadError, match="total_price_set"):
        connector.decode_webhook(event(kit, "orders/create", body=body))
