"""Fulfillment pushes: fulfillment orders first, then fulfillmentCreate with the right ids."""

from __future__ import annotations

import pytest

from orderhub.connectors.shopify import ShopifyConnector
from orderhub.core.connectors import ExternalRef, FulfillmentNotice, PermanentError

FO = "gid://shopify/FulfillmentOrder/6390024519837"
PINK_FO_LINE = "gid://shopify/FulfillmentOrderLineItem/13597329490077"
CASE_FO_LINE = "gid://shopify/FulfillmentOrderLineItem/13597329522845"


def notice(**fields) -> FulfillmentNotice:
    values = {
        "order_external_id": "5844617199773",
        "shipment_id": "shp_01J9ZK",
        "lines": {"14368713965725": 2, "14368713998493": 1},
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
    }
    values.update(fields)
    return FulfillmentNotice(**values)


async def test_fulfillment_orders_are_read_then_fulfilled_with_tracking(connector, shopify) -> None:
    shopify.on("FulfillmentOrders", "graphql_fulfillment_orders.json")
    shopify.on("CreateFulfillment", "graphql_fulfillment_create.json")
    ref = await connector.push_fulfillment(notice())

    assert ref == ExternalRef(id="gid://shopify/Fulfillment/5432171966621")
    assert shopify.operations() == ["FulfillmentOrders", "CreateFulfillment"]
    assert shopify.variables("FulfillmentOrders") == [{"id": "gid://shopify/Order/5844617199773"}]
    assert shopify.variables("CreateFulfillment") == [
        {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": [
                    {
                        "fulfillmentOrderId": FO,
                        "fulfillmentOrderLineItems": [
                            {"id": PINK_FO_LINE, "quantity": 2},
                            {"id": CASE_FO_LINE, "quantity": 1},
                        ],
                    }
                ],
                "notifyCustomer": True,
                "trackingInfo": {
                    "company": "UPS",
                    "number": "1Z999AA10123456784",
                    "url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
                },
            }
        }
    ]


async def test_a_partial_shipment_fulfils_only_its_units(connector, shopify) -> None:
    shopify.on("FulfillmentOrders", "graphql_fulfillment_orders.json")
    shopify.on("CreateFulfillment", "graphql_fulfillment_create.json")
    await connector.push_fulfillment(
        notice(lines={"14368713965725": 1}, carrier=None, tracking_url=None, notify_customer=False)
    )
    (variables,) = shopify.variables("CreateFulfillment")
    assert variables["fulfillment"] == {
        "lineItemsByFulfillmentOrder": [
            {
                "fulfillmentOrderId": FO,
                "fulfillmentOrderLineItems": [{"id": PINK_FO_LINE, "quantity": 1}],
            }
        ],
        "notifyCustomer": False,
        "trackingInfo": {"number": "1Z999AA10123456784"},
    }


async def test_the_store_setting_can_silence_customer_notifications(kit, shopify) -> None:
    connector = ShopifyConnector(kit.shop_connection(notify_customer=False))
    shopify.on("FulfillmentOrders", "graphql_fulfillment_orders.json")
    shopify.on("CreateFulfillment", "graphql_fulfillment_create.json")
    await connector.push_fulfillment(notice())
    await connector.aclose()
    assert shopify.variables("CreateFulfillment")[0]["fulfillment"]["notifyCustomer"] is False


async def test_a_retried_push_finds_its_fulfillment_by_tracking_number(
    connector, shopify, kit
) -> None:
    answer = kit.payload_json("graphql_fulfillment_orders.json")
    answer["data"]["order"]["fulfillments"] = [
        {
            "id": "gid://shopify/Fulfillment/5432171966621",
            "status": "SUCCESS",
            "trackingInfo": [{"company": "UPS", "number": "1Z999AA10123456784", "url": None}],
        }
    ]
    shopify.on("FulfillmentOrders", answer)
    ref = await connector.push_fulfillment(notice())
    assert ref.id == "gid://shopify/Fulfillment/5432171966621"
    assert shopify.operations() == ["FulfillmentOrders"]  # no second fulfillment


async def test_more_units_than_shopify_has_open_is_permanent(connector, shopify) -> None:
    shopify.on("FulfillmentOrders", "graphql_fulfillment_orders.json")
    with pytest.raises(PermanentError, match="line 14368713998493 has 1 of 3 units"):
        await connector.push_fulfillment(notice(lines={"14368713998493": 3}))
    assert "CreateFulfillment" not in shopify.operations()


async def test_user_errors_of_fulfillment_create_are_permanent(connector, shopify) -> None:
    shopify.on("FulfillmentOrders", "graphql_fulfillment_orders.json")
    shopify.on("CreateFulfillment", "graphql_user_errors_fulfillment.json")
    with pytest.raises(PermanentError, match="Invalid fulfillment order line item quantity"):
        await connector.push_fulfillment(notice())


async def test_an_unknown_order_is_permanent(connector, shopify) -> None:
    shopify.on("FulfillmentOrders", {"data": {"order": None}})
    with pytest.raises(PermanentError, match="no order 5844617199773"):
        await connector.push_fulfillment(notice())


async def test_tracking_updates_use_fulfillment_tracking_info_update(connector, shopify) -> None:
    shopify.on("UpdateTracking", "graphql_tracking_update.json")
    await connector.update_tracking(
        "gid://shopify/Fulfillment/5432171966621",
        notice(
            carrier="DHL Express",
            tracking_number="1234567890",
            tracking_url="https://www.dhl.com/en/express/tracking.html?AWB=1234567890",
        ),
    )
    assert shopify.variables("UpdateTracking") == [
        {
            "fulfillmentId": "gid://shopify/Fulfillment/5432171966621",
            "trackingInfoInput": {
                "company": "DHL Express",
                "number": "1234567890",
                "url": "https://www.dhl.com/en/express/tracking.html?AWB=1234567890",
            },
            "notifyCustomer": True,
        }
    ]


async def test_a_notice_without_lines_fulfils_every_open_fulfillment_order(
    connector, shopify
) -> None:
    shopify.on("FulfillmentOrders", "graphql_fulfillment_orders.json")
    shopify.on("CreateFulfillment", "graphql_fulfillment_create.json")
    await connector.push_fulfillment(notice(lines={}))
    (variables,) = shopify.variables("CreateFulfillment")
    # The CLOSED fulfillment order is left out; an empty item list means "all of it".
    assert variables["fulfillment"]["lineItemsByFulfillmentOrder"] == [
        {"fulfillmentOrderId": FO, "fulfillmentOrderLineItems": []}
    ]
