"""Rate shopping, labels bought once, shipping and the channel's ship confirmation, with the
real EasyPost and FedEx connectors against respx (their documented payloads)."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
import respx
import sqlalchemy as sa

from orderhub.core.connectors import FulfillmentNotice
from orderhub.core.model import MovementKind, OrderStatus
from orderhub.hub.store.tables import LabelRow, ReservationRow, StockMovementRow
from orderhub.hub.testing import auth

from .conftest import (
    EASYPOST,
    EP_SHIPMENT,
    EP_TRACKING,
    PDF,
    allocated_order,
    drain,
    easypost_shipment,
    fixture,
    groups_of,
    history,
    mock_carriers,
    order_lines,
    order_row,
    outbox,
    released_group,
    rows,
    shipments_of,
    stock,
)


async def packed_group(hub, client, token, lines, *, location="WH1", external_id="1001"):
    """An order allocated, released, picked in full and packed in one parcel."""
    order = await allocated_order(hub, lines, external_id=external_id)
    group_id = await released_group(hub, order.id, location)
    group = next(g for g in await groups_of(hub, order.id) if g.id == group_id)
    picks = await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": x.line_id, "found": x.quantity} for x in group.lines]},
        headers=auth(token),
    )
    pack = await client.post(
        f"/fulfillments/{group_id}/pack",
        json={
            "parcels": [{"weight_grams": 1870, "length_mm": 513, "width_mm": 277, "height_mm": 127}]
        },
        headers=auth(token),
    )
    assert picks.status_code == 200 and pack.status_code == 200, (picks.text, pack.text)
    return order, group_id


async def labels(hub) -> list[LabelRow]:
    return await rows(hub, LabelRow)


async def test_rates_come_from_every_carrier_and_the_choice_is_recorded(
    hub, places, client, tokens
):
    await stock(hub, WH1={"TEE": 5})
    order, group_id = await packed_group(hub, client, tokens["warehouse"], [("TEE", 2)])

    with respx.mock(assert_all_called=False) as router:
        routes = mock_carriers(router)
        answer = await client.post(
            f"/fulfillments/{group_id}/rates", headers=auth(tokens["warehouse"])
        )

    assert answer.status_code == 200, answer.text
    [shipment] = answer.json()["items"]
    assert (shipment["connection"], shipment["carrier"], shipment["service"]) == (
        "easypost",
        "USPS",
        "ParcelSelect",
    )
    assert shipment["rate"]["price"] == {"amount": 916, "currency": "USD"}
    considered = {(c["connection"], c["service"]): c for c in shipment["rate_choice"]["considered"]}
    assert set(considered) == {
        ("easypost", "Priority"),
        ("easypost", "Express"),
        ("easypost", "ParcelSelect"),
        ("fedex", "FEDEX_GROUND"),
        ("fedex", "PRIORITY_OVERNIGHT"),
    }
    assert considered[("easypost", "Express")]["reason"].startswith("transit time unknown")
    assert considered[("fedex", "FEDEX_GROUND")]["price"] == {"amount": 4103, "currency": "USD"}
    assert shipment["rate_choice"]["reasons"][0] == (
        "standard was paid for: at most 5 transit days"
    )
    sent = json.loads(routes["ep_shipments"].calls.last.request.content)["shipment"]
    assert sent["reference"] == shipment["id"] and sent["to_address"]["zip"] == "90277"
    fedex = json.loads(routes["fx_rates"].calls.last.request.content)
    assert fedex["requestedShipment"]["recipient"]["address"]["postalCode"] == "90277"
    assert "rates_chosen" in [h.action for h in await history(hub, order.id)]


async def test_ship_buys_one_label_consumes_stock_and_confirms_to_the_channel(
    hub, places, client, tokens
):
    await stock(hub, WH1={"TEE": 5})
    order, group_id = await packed_group(hub, client, tokens["warehouse"], [("TEE", 2)])

    with respx.mock(assert_all_called=False) as router:
        routes = mock_carriers(router)
        answer = await client.post(
            f"/fulfillments/{group_id}/ship", headers=auth(tokens["warehouse"])
        )
        again = await client.post(
            f"/fulfillments/{group_id}/ship", headers=auth(tokens["warehouse"])
        )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["fulfillment"]["status"] == "shipped"
    [shipment] = body["shipments"]
    assert shipment["status"] == "shipped"
    assert shipment["tracking_number"] == EP_TRACKING
    assert shipment["tracking_status"] == "pre_transit"
    assert shipment["cost"] == {"amount": 916, "currency": "USD"}
    assert shipment["label"]["status"] == "purchased"
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_shipped"
    assert routes["ep_buy"].call_count == 1
    bought = json.loads(routes["ep_buy"].calls.last.request.content)
    assert bought == {"rate": {"id": "rate_f8cdad8cbf044c318a15a04c21b33dc6"}}
    [label] = await labels(hub)
    reference = json.loads(routes["ep_shipments"].calls.last.request.content)["shipment"]
    assert reference["reference"] == label.id  # our record's id travels with the purchase
    assert (label.provider_ref, label.tracking_number) == (EP_SHIPMENT, EP_TRACKING)

    document = await client.get(
        f"/shipments/{shipment['id']}/label", headers=auth(tokens["read-only"])
    )
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.content == PDF

    # stock: reserved and on hand both went down by what shipped
    async with hub.read() as session:
        from orderhub.hub.stock.service import levels

        [level] = await levels(session, skus=["TEE"], location="WH1")
    assert (level.on_hand, level.reserved) == (3, 0)
    reservations = await rows(hub, ReservationRow, ReservationRow.order_id == order.id)
    assert {r.status for r in reservations} == {"consumed"}
    [movement] = await rows(
        hub, StockMovementRow, StockMovementRow.kind == MovementKind.SHIPMENT.value
    )
    assert movement.delta == -2
    [line] = await order_lines(hub, order.id)
    assert (line.quantity_shipped, line.quantity_allocated) == (2, 0)
    assert (await order_row(hub, order.id)).status == OrderStatus.SHIPPED.value

    # the ship confirmation goes to the channel through the outbox, keyed by shipment
    [row] = await outbox(hub, "push_fulfillment")
    assert row.connection_id == "shop"
    assert row.idempotency_key == f"fulfillment:{shipment['id']}"
    await drain(hub)
    [notice] = hub.connector("shop").notices
    assert notice == FulfillmentNotice(
        order_external_id="1001",
        shipment_id=shipment["id"],
        lines={"li-1001-0": 2},
        carrier="USPS",
        tracking_number=EP_TRACKING,
        tracking_url="https://track.easypost.com/djE6dHJrX2M4MDFmOGZiMTM4MDRjMWJiOGNiZTBjM2M3NTBhOGU3",
    )


async def test_one_group_shipped_of_two_is_a_partial_shipment(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 1}, WH2={"MUG": 1})
    order = await allocated_order(hub, [("TEE", 1), ("MUG", 1)])
    group_id = await released_group(hub, order.id, "WH1")
    group = next(g for g in await groups_of(hub, order.id) if g.id == group_id)
    token = auth(tokens["warehouse"])
    await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": group.lines[0].line_id, "found": 1}]},
        headers=token,
    )
    await client.post(
        f"/fulfillments/{group_id}/pack", json={"parcels": [{"weight_grams": 300}]}, headers=token
    )

    with respx.mock(assert_all_called=False) as router:
        mock_carriers(router)
        answer = await client.post(f"/fulfillments/{group_id}/ship", headers=token)

    assert answer.status_code == 200, answer.text
    assert (await order_row(hub, order.id)).status == OrderStatus.PARTIALLY_SHIPPED.value


async def test_a_carrier_refusal_is_recorded_and_answered_with_its_message(
    hub, places, client, tokens
):
    await stock(hub, WH1={"TEE": 5})
    order, group_id = await packed_group(hub, client, tokens["warehouse"], [("TEE", 1)])
    headers = auth(tokens["warehouse"])

    with respx.mock(assert_all_called=False) as router:
        routes = mock_carriers(router)
        rated = await client.post(f"/fulfillments/{group_id}/rates", headers=headers)
        assert rated.status_code == 200
        routes["ep_shipments"].respond(422, json=fixture("easypost/error_address.json"))
        refused = await client.post(f"/fulfillments/{group_id}/ship", headers=headers)

        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["code"] == "carrier_error"
        assert error["message"] == (
            "Address not found; address: Address not found; street1: House number is missing"
        )
        assert error["details"]["carrier_code"] == "ADDRESS.VERIFY.FAILURE"
        assert routes["ep_buy"].call_count == 0
        [shipment] = await shipments_of(hub, order.id)
        assert shipment.status == "packed"
        assert shipment.attention_code == "carrier_error"
        assert "House number is missing" in shipment.attention
        [label] = await labels(hub)
        assert (label.status, label.error_code) == ("failed", "ADDRESS.VERIFY.FAILURE")
        assert (await order_row(hub, order.id)).status == OrderStatus.RELEASED.value
        assert (await groups_of(hub, order.id))[0].status == "packed"
        flagged = await client.get("/shipments?needs_attention=true", headers=headers)
        assert [s["id"] for s in flagged.json()["items"]] == [shipment.id]

        # the operator fixes it at the carrier; shipping again buys one label
        routes["ep_shipments"].respond(201, json=fixture("easypost/shipment_create.json"))
        shipped = await client.post(f"/fulfillments/{group_id}/ship", headers=headers)

    assert shipped.status_code == 200, shipped.text
    assert sorted(label.status for label in await labels(hub)) == ["failed", "purchased"]
    [shipment] = await shipments_of(hub, order.id)
    assert shipment.attention is None and shipment.status == "shipped"


async def test_no_rate_that_fits_is_a_409_with_the_carriers_reasons(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 5})
    order, group_id = await packed_group(hub, client, tokens["warehouse"], [("TEE", 1)])

    with respx.mock(assert_all_called=False) as router:
        routes = mock_carriers(router)
        routes["ep_shipments"].respond(
            201, json=fixture("easypost/shipment_create_rate_errors.json")
        )
        routes["fx_rates"].respond(400, json=fixture("fedex/error_service.json"))
        answer = await client.post(
            f"/fulfillments/{group_id}/ship", headers=auth(tokens["warehouse"])
        )

    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "no_rate"
    assert "FedEx: Shipment cannot weigh less than 16oz" in error["message"]
    assert set(error["details"]["errors"]) == {"easypost", "fedex"}
    [shipment] = await shipments_of(hub, order.id)
    assert shipment.attention_code == "no_rate" and shipment.rate is None
    assert await labels(hub) == []


@asynccontextmanager
async def recording_fails(hub):
    """Make the transaction that records a bought label fail, as a crash between the
    carrier's answer and the commit would: a trigger refuses the update to `purchased`."""
    postgres = hub.engine.dialect.name == "postgresql"
    if postgres:
        create = [
            "CREATE OR REPLACE FUNCTION test_crash() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'simulated crash'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER test_crash BEFORE UPDATE ON labels FOR EACH ROW "
            "WHEN (NEW.status = 'purchased') EXECUTE FUNCTION test_crash()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS test_crash ON labels",
            "DROP FUNCTION IF EXISTS test_crash()",
        ]
    else:
        create = [
            "CREATE TRIGGER test_crash BEFORE UPDATE ON labels "
            "WHEN NEW.status = 'purchased' BEGIN SELECT RAISE(ABORT, 'simulated crash'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS test_crash"]
    async with hub.engine.begin() as conn:
        for statement in create:
            await conn.execute(sa.text(statement))
    try:
        yield
    finally:
        async with hub.engine.begin() as conn:
            for statement in drop:
                await conn.execute(sa.text(statement))


async def test_a_retry_after_a_crash_between_purchase_and_commit_never_buys_twice(
    hub, places, client, tokens
):
    await stock(hub, WH1={"TEE": 5})
    order, group_id = await packed_group(hub, client, tokens["warehouse"], [("TEE", 1)])
    headers = auth(tokens["warehouse"])

    with respx.mock(assert_all_called=False) as router:
        routes = mock_carriers(router)
        async with recording_fails(hub):
            crashed = await client.post(f"/fulfillments/{group_id}/ship", headers=headers)
        assert crashed.status_code == 500
        assert routes["ep_buy"].call_count == 1  # the carrier sold the label
        [label] = await labels(hub)
        assert label.status == "purchasing"  # committed before the call, never updated

        # At once, the record may be another request's purchase still under way: wait.
        too_soon = await client.post(f"/fulfillments/{group_id}/ship", headers=headers)
        assert too_soon.status_code == 409
        assert too_soon.json()["error"]["code"] == "label_purchase_in_progress"
        assert 0 < too_soon.json()["error"]["details"]["retry_after"] <= 90
        [label] = await labels(hub)
        assert label.status == "purchasing"

        # Past the grace time, nobody is buying it any more: its outcome is unknown.
        async with hub.transaction() as session:
            row = await session.get(LabelRow, label.id)
            row.created_at -= timedelta(minutes=2)
        retried = await client.post(f"/fulfillments/{group_id}/ship", headers=headers)
        retried_again = await client.post(f"/fulfillments/{group_id}/ship", headers=headers)

        assert routes["ep_buy"].call_count == 1  # not bought a second time
    assert retried.status_code == 409
    assert retried.json()["error"]["code"] == "label_outcome_unknown"
    assert label.id in retried.json()["error"]["message"]
    assert retried_again.json()["error"]["code"] == "label_outcome_unknown"
    [label] = await labels(hub)
    assert (label.status, label.error_code) == ("unknown", "purchase_interrupted")
    [shipment] = await shipments_of(hub, order.id)
    assert shipment.status == "packed" and shipment.attention_code == "label_outcome_unknown"
    assert (await order_row(hub, order.id)).status == OrderStatus.RELEASED.value
    assert await outbox(hub, "push_fulfillment") == []

    # the operator voids it at EasyPost, says so, and the next attempt buys a new label
    no_word = await client.post(f"/shipments/{shipment.id}/void", headers=headers)
    cleared = await client.post(f"/shipments/{shipment.id}/void?carrier_done=true", headers=headers)
    assert no_word.status_code == 409 and no_word.json()["error"]["code"] == "label_outcome_unknown"
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["label"]["status"] == "voided" and cleared.json()["attention"] is None
    with respx.mock(assert_all_called=False) as router:
        routes = mock_carriers(router)
        shipped = await client.post(f"/fulfillments/{group_id}/ship", headers=headers)
    assert shipped.status_code == 200, shipped.text
    assert routes["ep_buy"].call_count == 1


async def test_a_label_is_voided_at_the_carrier_before_the_group_ships(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 5})
    order = await allocated_order(hub, [("TEE", 2)])
    group_id = await released_group(hub, order.id)
    group = (await groups_of(hub, order.id))[0]
    headers = auth(tokens["warehouse"])
    await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": group.lines[0].line_id, "found": 2}]},
        headers=headers,
    )
    line_id = group.lines[0].line_id
    await client.post(
        f"/fulfillments/{group_id}/pack",
        json={
            "parcels": [
                {"weight_grams": 900, "lines": {line_id: 1}},
                {"weight_grams": 900, "lines": {line_id: 1}},
            ]
        },
        headers=headers,
    )

    with respx.mock(assert_all_called=False) as router:
        routes = mock_carriers(router)
        # the first parcel's label is bought, the second is refused
        routes["ep_shipments"].mock(
            side_effect=[
                httpx.Response(201, json=fixture("easypost/shipment_create.json")),
                httpx.Response(201, json=fixture("easypost/shipment_create.json")),
                httpx.Response(201, json=fixture("easypost/shipment_create.json")),
                httpx.Response(422, json=fixture("easypost/error_address.json")),
            ]
        )
        refund = router.post(f"{EASYPOST}/shipments/{EP_SHIPMENT}/refund").respond(
            200, json=fixture("easypost/shipment_refund.json")
        )
        refused = await client.post(f"/fulfillments/{group_id}/ship", headers=headers)
        first, second = await shipments_of(hub, order.id)
        assert refused.status_code == 409
        assert (first.status, second.status) == ("labelled", "packed")

        voided = await client.post(f"/shipments/{first.id}/void", headers=headers)
        packing_again = await client.post(
            f"/fulfillments/{group_id}/pack",
            json={"parcels": [{"weight_grams": 1800}]},
            headers=headers,
        )

    assert voided.status_code == 200, voided.text
    assert refund.call_count == 1
    assert voided.json()["status"] == "packed" and voided.json()["tracking_number"] is None
    assert voided.json()["label"]["status"] == "voided"
    assert packing_again.status_code == 200, packing_again.text


async def test_a_shipped_parcel_keeps_its_label(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 5})
    order, group_id = await packed_group(hub, client, tokens["warehouse"], [("TEE", 1)])
    headers = auth(tokens["warehouse"])
    with respx.mock(assert_all_called=False) as router:
        mock_carriers(router)
        await client.post(f"/fulfillments/{group_id}/ship", headers=headers)
        [shipment] = await shipments_of(hub, order.id)
        answer = await client.post(f"/shipments/{shipment.id}/void", headers=headers)

    assert answer.status_code == 409 and answer.json()["error"]["code"] == "already_shipped"


class TestLabelFiles:
    @pytest.fixture
    def fulfillment_config(self, tmp_path):
        return {"shipping": {"label_dir": str(tmp_path / "labels"), "label_format": "PNG"}}

    async def test_labels_are_written_to_the_configured_directory(
        self, hub, places, client, tokens, tmp_path
    ):
        await stock(hub, WH1={"TEE": 5})
        order, group_id = await packed_group(hub, client, tokens["warehouse"], [("TEE", 1)])
        png = b"\x89PNG\r\n\x1a\nlabel"
        with respx.mock(assert_all_called=False) as router:
            routes = mock_carriers(router)
            router.get(easypost_shipment()["postage_label"]["label_url"]).respond(200, content=png)
            answer = await client.post(
                f"/fulfillments/{group_id}/ship", headers=auth(tokens["warehouse"])
            )

        assert answer.status_code == 200, answer.text
        assert not routes["ep_convert"].called  # PNG is EasyPost's own format
        [label] = await labels(hub)
        assert label.document is None
        assert label.document_path == str(tmp_path / "labels" / f"{label.id}.png")
        assert (tmp_path / "labels" / f"{label.id}.png").read_bytes() == png
        shipment_id = answer.json()["shipments"][0]["id"]
        document = await client.get(
            f"/shipments/{shipment_id}/label", headers=auth(tokens["warehouse"])
        )
        assert document.headers["content-type"] == "image/png" and document.content == png
