"""Tracking from EasyPost webhooks (signed with EasyPost's scheme) and from polling FedEx:
events kept once each, shipments and orders moved on, exceptions flagged, orphans kept."""

from __future__ import annotations

import json

import pytest
import respx

from orderhub.core.model import OrderStatus
from orderhub.hub.fulfillment.tracking import poll_once
from orderhub.hub.store.tables import InboxRow, TrackingEventRow
from orderhub.hub.testing import auth

from .conftest import (
    EP_TRACKING,
    FEDEX,
    allocated_order,
    drain,
    easypost_signature,
    fixture,
    groups_of,
    history,
    mock_carriers,
    order_row,
    released_group,
    rows,
    shipments_of,
    stock,
    tracker_event,
)


async def shipped_order(hub, client, token, *, external_id="1001", fedex_number="794953535000"):
    order = await allocated_order(hub, [("TEE", 1)], external_id=external_id)
    group_id = await released_group(hub, order.id)
    group = next(g for g in await groups_of(hub, order.id) if g.id == group_id)
    headers = auth(token)
    await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": group.lines[0].line_id, "found": 1}]},
        headers=headers,
    )
    await client.post(
        f"/fulfillments/{group_id}/pack", json={"parcels": [{"weight_grams": 900}]}, headers=headers
    )
    with respx.mock(assert_all_called=False) as router:
        mock_carriers(router)
        label = json.dumps(fixture("fedex/ship_label.json")).replace("794953535000", fedex_number)
        router.post(f"{FEDEX}/ship/v1/shipments").respond(200, json=json.loads(label))
        answer = await client.post(f"/fulfillments/{group_id}/ship", headers=headers)
    assert answer.status_code == 200, answer.text
    return order, answer.json()["shipments"][0]


async def post_easypost(client, event: dict, *, signature: str | None = None):
    body = json.dumps(event).encode()
    return await client.post(
        "/webhooks/easypost",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hmac-Signature": signature or easypost_signature(body),
        },
    )


async def events(hub) -> list[TrackingEventRow]:
    found = await rows(hub, TrackingEventRow)
    return sorted(found, key=lambda e: e.occurred_at)


async def test_easypost_webhooks_move_the_parcel_and_the_order_to_delivered(
    hub, places, client, tokens
):
    await stock(hub, WH1={"TEE": 5})
    order, shipment = await shipped_order(hub, client, tokens["warehouse"])
    assert shipment["tracking_number"] == EP_TRACKING

    partial = await post_easypost(client, tracker_event(statuses=2))
    await drain(hub)
    [row] = await shipments_of(hub, order.id)
    assert (row.tracking_status, row.delivered_at) == ("in_transit", None)
    assert (await order_row(hub, order.id)).status == OrderStatus.SHIPPED.value

    full = await post_easypost(client, tracker_event())
    late = await post_easypost(client, tracker_event(statuses=3) | {"id": "evt_late_copy"})
    await drain(hub)

    assert partial.status_code == full.status_code == late.status_code == 200
    stored = await events(hub)
    assert [(e.status, e.raw_status, e.source) for e in stored] == [
        ("pre_transit", "pre_transit", "webhook"),
        ("in_transit", "in_transit", "webhook"),
        ("out_for_delivery", "out_for_delivery", "webhook"),
        ("delivered", "delivered", "webhook"),
    ]
    assert {e.shipment_id for e in stored} == {shipment["id"]}
    [row] = await shipments_of(hub, order.id)
    assert row.tracking_status == "delivered"  # the late, older copy did not move it back
    assert row.delivered_at.isoformat() == "2022-10-19T15:02:11+00:00"
    assert (await order_row(hub, order.id)).status == OrderStatus.DELIVERED.value
    detail = await client.get(f"/shipments/{shipment['id']}", headers=auth(tokens["read-only"]))
    assert [e["status"] for e in detail.json()["events"]] == [
        "pre_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert {i.status for i in await rows(hub, InboxRow)} == {"done"}


async def test_a_badly_signed_tracking_webhook_is_refused_and_stores_nothing(hub, places, client):
    event = tracker_event()
    body = json.dumps(event).encode()

    wrong_secret = await post_easypost(client, event, signature=easypost_signature(body, "other"))
    tampered = await client.post(
        "/webhooks/easypost",
        content=body + b" ",
        headers={"X-Hmac-Signature": easypost_signature(body)},
    )

    assert wrong_secret.status_code == 401 and tampered.status_code == 401
    assert wrong_secret.json()["error"]["code"] == "invalid_signature"
    assert await rows(hub, InboxRow) == [] and await events(hub) == []


async def test_tracking_for_an_unknown_number_is_kept_and_attached_later(
    hub, places, client, tokens
):
    await stock(hub, WH1={"TEE": 5})
    early = await post_easypost(client, tracker_event(statuses=2))
    await drain(hub)
    orphans = await events(hub)
    [inbox] = await rows(hub, InboxRow)
    assert len(orphans) == 2 and {e.shipment_id for e in orphans} == {None}
    assert inbox.status == "done" and "kept as an orphan" in inbox.last_error

    order, shipment = await shipped_order(hub, client, tokens["warehouse"])

    assert {e.shipment_id for e in await events(hub)} == {shipment["id"]}
    [row] = await shipments_of(hub, order.id)
    assert row.tracking_status == "in_transit" and row.status == "shipped"
    assert early.status_code == 200


async def test_a_carrier_exception_flags_the_parcel_for_an_operator(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 5})
    order, shipment = await shipped_order(hub, client, tokens["warehouse"])
    event = tracker_event(statuses=2)
    event["result"]["tracking_details"].append(
        {
            "object": "TrackingDetail",
            "message": "Address not found",
            "status": "failure",
            "status_detail": "address_not_found",
            "datetime": "2022-10-19T08:31:00Z",
            "source": "USPS",
            "tracking_location": {"object": "TrackingLocation", "city": "Redondo Beach"},
        }
    )
    event["result"]["status"] = "failure"

    await post_easypost(client, event)
    await drain(hub)

    [row] = await shipments_of(hub, order.id)
    assert row.tracking_status == "exception"
    assert row.attention_code == "tracking_exception"
    assert row.attention == "USPS reports exception: Address not found"
    exceptions = [h for h in await history(hub, order.id) if h.action == "shipment_exception"]
    assert [h.detail["raw_status"] for h in exceptions] == ["failure"]
    listed = await client.get("/shipments?needs_attention=true", headers=auth(tokens["operator"]))
    assert [s["id"] for s in listed.json()["items"]] == [shipment["id"]]

    await post_easypost(client, tracker_event())  # delivered after all: the flag clears
    await drain(hub)
    [row] = await shipments_of(hub, order.id)
    assert row.attention is None and row.tracking_status == "delivered"


class TestPolling:
    @pytest.fixture
    def fulfillment_config(self):
        return {
            "shipping": {"preferred": [{"country": "US", "carriers": ["fedex"]}]},
            "tracking": {"poll_batch": 1, "poll_spacing_seconds": 0},
        }

    async def test_polling_asks_each_carrier_at_its_pace(self, hub, places, client, tokens):
        await stock(hub, WH1={"TEE": 5})
        first, one = await shipped_order(hub, client, tokens["warehouse"], external_id="1001")
        second, two = await shipped_order(
            hub, client, tokens["warehouse"], external_id="1002", fedex_number="794953535001"
        )
        assert one["connection"] == "fedex" and one["service"] == "FEDEX_GROUND"

        with respx.mock(assert_all_called=False) as router:
            router.post(f"{FEDEX}/oauth/token").respond(200, json=fixture("fedex/oauth_token.json"))
            track = router.post(f"{FEDEX}/track/v1/trackingnumbers").respond(
                200, json=fixture("fedex/track.json")
            )
            first_run = await poll_once(hub)
            second_run = await poll_once(hub)
            third_run = await poll_once(hub)

        assert first_run == {"fedex": 1} and second_run == {"fedex": 1}
        assert third_run == {}  # both delivered: nothing left to ask
        assert track.call_count == 2
        asked = [
            json.loads(call.request.content)["trackingInfo"][0]["trackingNumberInfo"]
            for call in track.calls
        ]
        assert sorted(a["trackingNumber"] for a in asked) == ["794953535000", "794953535001"]
        stored = await events(hub)
        assert len(stored) == 14 and {e.source for e in stored} == {"poll"}
        for order, shipment in ((first, one), (second, two)):
            assert (await order_row(hub, order.id)).status == OrderStatus.DELIVERED.value
            [row] = await shipments_of(hub, order.id)
            assert row.tracking_status == "delivered" and row.polled_at is not None
            assert row.tracking_raw_status == "DL"
            assert {e.shipment_id for e in stored if e.tracking_number == row.tracking_number} == {
                shipment["id"]
            }

    async def test_an_overloaded_carrier_is_asked_again_on_the_next_run(
        self, hub, places, client, tokens
    ):
        await stock(hub, WH1={"TEE": 5})
        order, shipment = await shipped_order(hub, client, tokens["warehouse"])

        with respx.mock(assert_all_called=False) as router:
            router.post(f"{FEDEX}/oauth/token").respond(200, json=fixture("fedex/oauth_token.json"))
            track = router.post(f"{FEDEX}/track/v1/trackingnumbers").respond(
                503, json=fixture("fedex/error_503.json")
            )
            busy = await poll_once(hub)
            track.respond(200, json=fixture("fedex/track.json"))
            calm = await poll_once(hub)

        assert busy == {"fedex": 0} and calm == {"fedex": 1}
        [row] = await shipments_of(hub, order.id)
        assert row.tracking_status == "delivered"
        assert (await order_row(hub, order.id)).status == OrderStatus.DELIVERED.value
