"""Cancellations (orderCancel) and refunds (refundCreate) pushed from OrderHub."""

from __future__ import annotations

import json

import pytest

from orderhub.connectors.shopify import ShopifyConnector
from orderhub.core.connectors import CancellationNotice, ExternalRef, PermanentError, RefundNotice
from orderhub.core.model import Money

ORDER = "gid://shopify/Order/5844617199773"


async def test_cancellation_sends_order_cancel_with_its_arguments(connector, shopify) -> None:
    shopify.on("OrderCancelState", "graphql_order_cancel_state.json")
    shopify.on("CancelOrder", "graphql_order_cancel.json")
    await connector.push_cancellation(
        CancellationNotice(
            order_external_id="5844617199773",
            reason="inventory",
            restock=True,
            notify_customer=True,
        )
    )
    assert shopify.operations() == ["OrderCancelState", "CancelOrder"]
    assert shopify.variables("CancelOrder") == [
        {
            "orderId": ORDER,
            "reason": "INVENTORY",
            "refundMethod": {"originalPaymentMethodsRefund": True},
            "restock": True,
            "notifyCustomer": True,
            "staffNote": None,
        }
    ]


async def test_a_reason_shopify_does_not_know_becomes_other_with_a_staff_note(kit, shopify) -> None:
    connector = ShopifyConnector(kit.shop_connection(refund_on_cancel=False))
    shopify.on("OrderCancelState", "graphql_order_cancel_state.json")
    shopify.on("CancelOrder", "graphql_order_cancel.json")
    await connector.push_cancellation(
        CancellationNotice(
            order_external_id="5844617199773", reason="address undeliverable", restock=False
        )
    )
    await connector.aclose()
    (variables,) = shopify.variables("CancelOrder")
    assert variables["reason"] == "OTHER"
    assert variables["staffNote"] == "address undeliverable"
    assert variables["refundMethod"] == {"originalPaymentMethodsRefund": False}
    assert variables["restock"] is False


async def test_an_order_already_cancelled_in_shopify_is_left_alone(connector, shopify) -> None:
    shopify.on(
        "OrderCancelState",
        {"data": {"order": {"id": ORDER, "cancelledAt": "2026-05-06T10:00:00Z"}}},
    )
    await connector.push_cancellation(CancellationNotice(order_external_id="5844617199773"))
    assert shopify.operations() == ["OrderCancelState"]


async def test_order_cancel_user_errors_are_permanent(connector, shopify) -> None:
    shopify.on("OrderCancelState", "graphql_order_cancel_state.json")
    shopify.on(
        "CancelOrder",
        {
            "data": {
                "orderCancel": {
                    "job": None,
                    "orderCancelUserErrors": [
                        {
                            "code": "INVALID",
                            "field": ["orderId"],
                            "message": "Cannot cancel an order that has fulfillments.",
                        }
                    ],
                }
            }
        },
    )
    with pytest.raises(PermanentError, match="has fulfillments") as caught:
        await connector.push_cancellation(CancellationNotice(order_external_id="5844617199773"))
    assert caught.value.code == "INVALID"


def refund(**fields) -> RefundNotice:
    values = {
        "order_external_id": "5844617331845",
        "refund_id": "rfd_01J9ZP3K",
        "amount": Money.parse("100.00", "EUR"),
        "lines": {"14368714195101": 1},
        "note": "damaged in transit",
    }
    values.update(fields)
    return RefundNotice(**values)


async def test_refund_create_is_keyed_on_the_orderhub_refund(connector, shopify) -> None:
    shopify.on("OrderTransactions", "graphql_order_transactions.json")
    shopify.on("CreateRefund", "graphql_refund_create.json")
    ref = await connector.push_refund(refund())

    assert ref == ExternalRef(id="gid://shopify/Refund/929361473")
    assert shopify.variables("CreateRefund") == [
        {
            "input": {
                "orderId": "gid://shopify/Order/5844617331845",
                "notify": True,
                "refundLineItems": [
                    {
                        "lineItemId": "gid://shopify/LineItem/14368714195101",
                        "quantity": 1,
                        "restockType": "NO_RESTOCK",
                    }
                ],
                "transactions": [
                    {
                        "orderId": "gid://shopify/Order/5844617331845",
                        "parentId": "gid://shopify/OrderTransaction/801038806",
                        "gateway": "shopify_payments",
                        "kind": "REFUND",
                        "amount": "100.00",
                    }
                ],
                "note": "damaged in transit",
                "currency": "EUR",
            },
            "idempotencyKey": "rfd_01J9ZP3K",
        }
    ]
    document = json.loads(shopify.calls[-1][2].content)["query"]
    assert "refundCreate(input: $input) @idempotent(key: $idempotencyKey)" in document


async def test_a_refund_beyond_what_is_left_refundable_is_refused(connector, shopify) -> None:
    # 437.97 paid, 205.64 already refunded (the failed 50.00 does not count): 232.33 left.
    shopify.on("OrderTransactions", "graphql_order_transactions.json")
    with pytest.raises(PermanentError, match="232.33"):
        await connector.push_refund(refund(amount=Money.parse("232.34", "EUR")))
    assert "CreateRefund" not in shopify.operations()


async def test_a_refund_in_another_currency_than_paid_is_refused(connector, shopify) -> None:
    shopify.on("OrderTransactions", "graphql_order_transactions.json")
    with pytest.raises(PermanentError, match="paid in EUR"):
        await connector.push_refund(refund(amount=Money.parse("10.00", "USD")))


async def test_refund_user_errors_are_permanent(connector, shopify) -> None:
    shopify.on("OrderTransactions", "graphql_order_transactions.json")
    shopify.on(
        "CreateRefund",
        {
            "data": {
                "refundCreate": {
                    "refund": None,
                    "userErrors": [
                        {
                            "field": ["refundLineItems", "0", "quantity"],
                            "message": "Quantity cannot refund more items than were purchased",
                        }
                    ],
                }
            }
        },
    )
    with pytest.raises(PermanentError, match="refundLineItems.0.quantity: Quantity cannot refund"):
        await connector.push_refund(refund())
