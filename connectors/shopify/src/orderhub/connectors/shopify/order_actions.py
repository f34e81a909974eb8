"""Cancellations and refunds decided in OrderHub, pushed to Shopify."""

from __future__ import annotations

from typing import Any

from orderhub.connectors.shopify import queries
from orderhub.connectors.shopify.graphql import GraphQLClient, user_errors
from orderhub.connectors.shopify.ids import to_gid
from orderhub.core.connectors import (
    CancellationNotice,
    ExternalRef,
    PermanentError,
    RefundNotice,
)
from orderhub.core.money import Money, MoneyError

CANCEL_REASONS = {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"}
"""Shopify's OrderCancelReason values; any other reason is sent as OTHER with a staff note."""

_PAYMENTS = {"SALE", "CAPTURE"}


def cancel_reason(reason: str | None) -> tuple[str, str | None]:
    """Shopify's reason enum and the staff note that keeps OrderHub's own words."""
    if reason and reason.strip().upper() in CANCEL_REASONS:
        return reason.strip().upper(), None
    return "OTHER", reason or None


async def push_cancellation(
    client: GraphQLClient, notice: CancellationNotice, *, refund: bool
) -> None:
    """Cancel the order; an order Shopify already shows as cancelled is left alone.

    `orderCancel` takes no idempotency key, so a retried job checks first.
    """
    order_gid, order = await client.read_order(
        "OrderCancelState", queries.ORDER_CANCEL_STATE, notice.order_external_id
    )
    if order.get("cancelledAt"):
        return
    reason, staff_note = cancel_reason(notice.reason)
    data = await client.execute(
        "CancelOrder",
        queries.ORDER_CANCEL,
        {
            "orderId": order_gid,
            "reason": reason,
            "refundMethod": {"originalPaymentMethodsRefund": refund},
            "restock": notice.restock,
            "notifyCustomer": notice.notify_customer,
            "staffNote": staff_note,
        },
    )
    user_errors(data.get("orderCancel"), "orderCancel", key="orderCancelUserErrors")


def _refund_transactions(
    order: dict[str, Any], amount: Money, order_gid: str
) -> list[dict[str, Any]]:
    """Spread the amount over the order's payments, each up to what is left refundable on it."""
    if amount.amount == 0:
        return []
    refunded: dict[str, Money] = {}
    payments: list[dict[str, Any]] = []
    for transaction in order.get("transactions") or []:
        if transaction.get("status") != "SUCCESS":
            continue
        money = ((transaction.get("amountSet") or {}).get("presentmentMoney")) or {}
        try:
            value = Money.parse(str(money.get("amount")), str(money.get("currencyCode")))
        except MoneyError as exc:
            raise PermanentError(f"unreadable transaction {transaction.get('id')}: {exc}") from exc
        if transaction.get("kind") in _PAYMENTS:
            payments.append({**transaction, "_money": value})
        elif transaction.get("kind") == "REFUND":
            parent = (transaction.get("parentTransaction") or {}).get("id")
            if parent:
                refunded[parent] = refunded[parent] + value if parent in refunded else value
    transactions = []
    left = amount
    for payment in payments:
        if left.amount == 0:
            break
        paid: Money = payment["_money"]
        if paid.currency != amount.currency:
            continue
        available = paid - refunded.get(payment["id"], Money.zero(paid.currency))
        take = min(left.amount, available.amount)
        if take <= 0:
            continue
        transactions.append(
            {
                "orderId": order_gid,
                "parentId": payment["id"],
                "gateway": payment.get("gateway"),
                "kind": "REFUND",
                "amount": Money(amount=take, currency=amount.currency).to_string(),
            }
        )
        left = left - Money(amount=take, currency=amount.currency)
    if left.amount:
        raise PermanentError(
            f"cannot refund {amount}: only {amount - left} is left refundable on the order's "
            f"payments in {amount.currency}"
        )
    return transactions


async def push_refund(
    client: GraphQLClient, notice: RefundNotice, *, notify_customer: bool
) -> ExternalRef:
    """`refundCreate` keyed on OrderHub's refund id, so a retry never refunds twice."""
    order_gid, order = await client.read_order(
        "OrderTransactions", queries.ORDER_TRANSACTIONS, notice.order_external_id
    )
    presentment = order.get("presentmentCurrencyCode")
    if notice.amount.amount and presentment and presentment != notice.amount.currency:
        raise PermanentError(
            f"refund in {notice.amount.currency}, but the customer paid in {presentment}"
        )
    refund_input: dict[str, Any] = {
        "orderId": order_gid,
        "notify": notify_customer,
        "refundLineItems": [
            # OrderHub keeps the stock books itself, so Shopify must not restock on its side.
            {
                "lineItemId": to_gid("LineItem", line_id),
                "quantity": quantity,
                "restockType": "NO_RESTOCK",
            }
            for line_id, quantity in notice.lines.items()
        ],
        "transactions": _refund_transactions(order, notice.amount, order_gid),
    }
    if notice.note:
        refund_input["note"] = notice.note
    if presentment:
        refund_input["currency"] = presentment
    result = await client.execute(
        "CreateRefund",
        queries.REFUND_CREATE,
        {"input": refund_input, "idempotencyKey": notice.refund_id},
    )
    payload = result.get("refundCreate")
    user_errors(payload, "refundCreate")
    refund_id = ((payload or {}).get("refund") or {}).get("id")
    if not refund_id:
        raise PermanentError("refundCreate: answer without a refund", body=result)
    return ExternalRef(id=refund_id)
