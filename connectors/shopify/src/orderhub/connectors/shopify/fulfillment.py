"""Telling Shopify an order shipped: fulfillment orders first, then `fulfillmentCreate`.

Shopify fulfils *fulfillment orders* (its per-location split of an order), not orders, so
the order's open fulfillment orders are read and the shipped channel lines are matched to
their line items. `fulfillmentCreate` has no idempotency key: a retried push recognises
its earlier fulfillment by the tracking number instead of creating a second one.
"""

from __future__ import annotations

from typing import Any

from orderhub.connectors.shopify import queries
from orderhub.connectors.shopify.graphql import GraphQLClient, user_errors
from orderhub.connectors.shopify.ids import to_gid
from orderhub.core.connectors import ExternalRef, FulfillmentNotice, PermanentError

_FULFILLABLE = {"OPEN", "IN_PROGRESS"}
_LIVE_FULFILLMENT = {"SUCCESS", "OPEN", "PENDING"}


def tracking_input(notice: FulfillmentNotice) -> dict[str, str] | None:
    info = {
        key: value
        for key, value in (
            ("company", notice.carrier),
            ("number", notice.tracking_number),
            ("url", notice.tracking_url),
        )
        if value
    }
    return info or None


def _existing(order: dict[str, Any], tracking_number: str | None) -> list[str]:
    """Fulfillments already created for this tracking number (a retried push)."""
    if not tracking_number:
        return []
    return [
        fulfillment["id"]
        for fulfillment in order.get("fulfillments") or []
        if fulfillment.get("status") in _LIVE_FULFILLMENT
        and any(
            info.get("number") == tracking_number for info in fulfillment.get("trackingInfo") or []
        )
    ]


def plan(order: dict[str, Any], notice: FulfillmentNotice) -> dict[str, list[dict[str, Any]]]:
    """Fulfillment-order line items to fulfil, grouped by Shopify location.

    Each location becomes one `fulfillmentCreate`, because one fulfillment cannot span
    fulfillment orders assigned to different locations.
    """
    open_orders = [
        fo
        for fo in (order.get("fulfillmentOrders") or {}).get("nodes") or []
        if fo.get("status") in _FULFILLABLE
    ]
    by_location: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def add(fo: dict[str, Any], item: dict[str, Any] | None, quantity: int | None) -> None:
        location = ((fo.get("assignedLocation") or {}).get("location") or {}).get("id", "")
        items = by_location.setdefault(location, {}).setdefault(fo["id"], [])
        if item is not None:
            items.append({"id": item["id"], "quantity": quantity})

    if not notice.lines:
        for fo in open_orders:
            add(fo, None, None)  # an empty list of line items fulfils the whole fulfillment order
    for line_id, wanted in notice.lines.items():
        line_gid = to_gid("LineItem", line_id)
        left = wanted
        for fo in open_orders:
            for item in (fo.get("lineItems") or {}).get("nodes") or []:
                if left == 0:
                    break
                if (item.get("lineItem") or {}).get("id") != line_gid:
                    continue
                take = min(left, int(item.get("remainingQuantity") or 0))
                if take > 0:
                    add(fo, item, take)
                    left -= take
        if left:
            raise PermanentError(
                f"order {notice.order_external_id}: line {line_id} has {wanted - left} of "
                f"{wanted} units left to fulfil in Shopify"
            )
    if not by_location:
        raise PermanentError(f"order {notice.order_external_id} has nothing left to fulfil")
    return {
        location: [
            {"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": items}
            for fo_id, items in fulfillment_orders.items()
        ]
        for location, fulfillment_orders in by_location.items()
    }


async def push_fulfillment(
    client: GraphQLClient, notice: FulfillmentNotice, *, notify_customer: bool
) -> ExternalRef:
    _, order = await client.read_order(
        "FulfillmentOrders", queries.FULFILLMENT_ORDERS, notice.order_external_id
    )
    existing = _existing(order, notice.tracking_number)
    if existing:
        return ExternalRef(id=",".join(existing))
    created: list[str] = []
    tracking = tracking_input(notice)
    for groups in plan(order, notice).values():
        fulfillment: dict[str, Any] = {
            "lineItemsByFulfillmentOrder": groups,
            "notifyCustomer": notify_customer and notice.notify_customer,
        }
        if tracking is not None:
            fulfillment["trackingInfo"] = tracking
        result = await client.execute(
            "CreateFulfillment", queries.FULFILLMENT_CREATE, {"fulfillment": fulfillment}
        )
        payload = result.get("fulfillmentCreate")
        user_errors(payload, "fulfillmentCreate")
        fulfillment_id = ((payload or {}).get("fulfillment") or {}).get("id")
        if not fulfillment_id:
            raise PermanentError("fulfillmentCreate: answer without a fulfillment", body=result)
        created.append(fulfillment_id)
    return ExternalRef(id=",".join(created))


async def update_tracking(
    client: GraphQLClient, fulfillment_ref: str, notice: FulfillmentNotice, *, notify_customer: bool
) -> None:
    tracking = tracking_input(notice)
    if tracking is None:
        raise PermanentError("a tracking update needs a carrier, a number or a URL")
    for fulfillment_id in [part for part in fulfillment_ref.split(",") if part]:
        result = await client.execute(
            "UpdateTracking",
            queries.TRACKING_UPDATE,
            {
                "fulfillmentId": to_gid("Fulfillment", fulfillment_id),
                "trackingInfoInput": tracking,
                "notifyCustomer": notify_customer and notice.notify_customer,
            },
        )
        user_errors(result.get("fulfillmentTrackingInfoUpdate"), "fulfillmentTrackingInfoUpdate")
