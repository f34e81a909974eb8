"""Buying and printing labels in the console over HTTP (in process, SQLite and PostgreSQL).

Labels come from the offline carrier of `seed.CARRIER` (a price list and locally drawn PDFs,
no network); the ZPL case uses the real DHL connector against respx with DHL's documented
answer. The seed's PACK-1 (WH1) and PACK-2 (WH2) are packed and wait for their labels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import respx
import sqlalchemy as sa

from orderhub.hub.store.tables import (
    FulfillmentRow,
    LabelRow,
    OrderHistoryRow,
    OrderRow,
    ShipmentRow,
)

from .conftest import sign_in
from .seed import CARRIER, World, seed_parcels

DHL_FIXTURES = Path(__file__).resolve().parents[3] / "connectors/carriers/tests/fixtures/dhl"
DHL_ORDERS = "https://api-eu.dhl.com/parcel/de/shipping/v2/orders"


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"connections": CARRIER}


@pytest.fixture
async def parcels(hub: Any, world: World) -> dict[str, str]:
    """Order number -> fulfillment group id of the packed orders."""
    return await seed_parcels(hub, world)


async def _group(hub: Any, group_id: str) -> FulfillmentRow:
    async with hub.read() as session:
        row = await session.get(FulfillmentRow, group_id)
        assert row is not None
        return row


async def _parcels(hub: Any, order_id: str) -> list[ShipmentRow]:
    async with hub.read() as session:
        return list(
            await session.scalars(
                sa.select(ShipmentRow)
                .where(ShipmentRow.order_id == order_id, ShipmentRow.status != "cancelled")
                .order_by(ShipmentRow.position)
            )
        )


async def _labels(hub: Any, order_id: str) -> list[LabelRow]:
    async with hub.read() as session:
        return list(
            await session.scalars(
                sa.select(LabelRow).where(LabelRow.order_id == order_id).order_by(LabelRow.id)
            )
        )


async def _order_status(hub: Any, order_id: str) -> str:
    async with hub.read() as session:
        return await session.scalar(sa.select(OrderRow.status).where(OrderRow.id == order_id))


async def _stock(hub: Any, sku: str, location: str) -> tuple[int, int]:
    """(on hand, reserved) of one SKU at one location."""
    from orderhub.hub.stock.service import levels

    async with hub.read() as session:
        (level,) = await levels(session, skus=[sku], location=location)
    return level.on_hand, level.reserved


def _flash(html: str) -> str:
    match = re.search(r'<div class="flash (\w+)"[^>]*>(.*?)</div>', html, re.S)
    assert match, "no message on the page"
    return f"{match.group(1)}: {match.group(2)}"


async def test_buy_label_on_the_order_page_ships_and_shows_the_label(
    client: Any, world: World, parcels: dict[str, str], hub: Any
) -> None:
    token = await sign_in(client, "operator")
    order_id, group_id = world.orders["PACK-1"], parcels["PACK-1"]
    page = await client.get(f"/console/orders/{order_id}")
    form = page.text.split(f'data-fulfillment="{group_id}"')[1].split("</tr>")[0]
    assert f'action="/console/fulfillments/{group_id}/ship"' in form and "Buy label" in form
    on_hand, reserved = await _stock(hub, "MUG-BLUE", "WH1")

    for data in ({}, {"_csrf": token[:-2] + "xx"}):
        refused = await client.post(f"/console/fulfillments/{group_id}/ship", data=data)
        assert refused.status_code == 403 and "security token" in refused.text
    assert (await _group(hub, group_id)).status == "packed"
    assert await _labels(hub, order_id) == []

    answer = await client.post(f"/console/fulfillments/{group_id}/ship", data={"_csrf": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/orders/{order_id}"
    (parcel,) = await _parcels(hub, order_id)
    assert parcel.status == "shipped" and parcel.carrier == "Test Post"
    assert parcel.service == "colis" and parcel.cost_amount == 490
    assert re.fullmatch(r"TP\d{10}", parcel.tracking_number or "")
    assert (await _group(hub, group_id)).status == "shipped"
    assert await _order_status(hub, order_id) == "shipped"
    assert await _stock(hub, "MUG-BLUE", "WH1") == (on_hand - 1, reserved - 1)

    page = await client.get(answer.headers["location"])
    assert _flash(page.text) == (
        f"ok: Label bought for order PACK-1: Test Post colis {parcel.tracking_number} (€4.90)."
    )
    row = page.text.split(f'data-shipment="{parcel.id}"')[1].split("</tr>")[0]
    assert "Test Post" in row and "colis" in row and parcel.tracking_number in row
    assert "€4.90" in row
    assert f'href="/console/shipments/{parcel.id}/label"' in row and "Label (PDF)" in row
    assert "Buy label" not in page.text  # the group has shipped
    assert "label purchased" in page.text.split('id="history"')[1]

    label = await client.get(f"/console/shipments/{parcel.id}/label")
    assert label.status_code == 200
    assert label.headers["content-type"] == "application/pdf"
    assert label.headers["content-disposition"] == (
        f'inline; filename="{parcel.tracking_number}.pdf"'
    )
    assert label.headers["x-content-type-options"] == "nosniff"
    (bought,) = await _labels(hub, order_id)
    assert label.content == bought.document
    assert label.content.startswith(b"%PDF-") and parcel.tracking_number.encode() in label.content

    # Bought once: a second click is refused by the service and buys nothing more.
    again = await client.post(f"/console/fulfillments/{group_id}/ship", data={"_csrf": token})
    assert again.status_code == 303
    page = await client.get(again.headers["location"])
    assert _flash(page.text).startswith("error: No label for order PACK-1: ")
    assert "has shipped already" in _flash(page.text)
    assert len(await _labels(hub, order_id)) == 1


async def test_a_group_that_is_not_packed_gets_a_message_and_nothing_changes(
    client: Any, world: World, parcels: dict[str, str], hub: Any
) -> None:
    token = await sign_in(client, "operator")
    order_id = world.orders["PICK-1"]
    async with hub.read() as session:
        group_id = await session.scalar(
            sa.select(FulfillmentRow.id).where(FulfillmentRow.order_id == order_id)
        )
    status = (await _group(hub, group_id)).status
    answer = await client.post(f"/console/fulfillments/{group_id}/ship", data={"_csrf": token})
    assert answer.status_code == 303
    page = await client.get(answer.headers["location"])
    assert 'class="flash error" role="alert"' in page.text
    assert _flash(page.text) == (
        f"error: No label for order PICK-1: fulfillment {group_id} is {status}; carriers are "
        "asked once it is packed"
    )
    assert (await _group(hub, group_id)).status == status
    assert await _parcels(hub, order_id) == []
    missing = await client.post("/console/fulfillments/ful_nope/ship", data={"_csrf": token})
    assert missing.status_code == 404


@pytest.mark.parametrize("hub_config", [{}], ids=["no-carrier"])
async def test_without_a_carrier_connection_the_page_says_so(
    client: Any, world: World, parcels: dict[str, str], hub: Any
) -> None:
    token = await sign_in(client, "admin")
    order_id, group_id = world.orders["PACK-1"], parcels["PACK-1"]
    answer = await client.post(f"/console/fulfillments/{group_id}/ship", data={"_csrf": token})
    assert answer.status_code == 303
    page = await client.get(answer.headers["location"])
    assert _flash(page.text) == (
        "error: No label for order PACK-1: no enabled carrier connection can rate and sell labels"
    )
    assert (await _group(hub, group_id)).status == "packed"
    assert await _order_status(hub, order_id) == "released"
    (parcel,) = await _parcels(hub, order_id)
    assert parcel.status == "packed" and parcel.rate is None
    assert await _labels(hub, order_id) == []
    # The form is still there to try again once a carrier is connected.
    assert f'action="/console/fulfillments/{group_id}/ship"' in page.text


@pytest.mark.parametrize(
    "hub_config",
    [{"connections": CARRIER, "fulfillment": {"shipping": {"label_format": "ZPL"}}}],
    ids=["offline-refuses-zpl"],
)
async def test_a_carrier_refusal_is_shown_with_its_reason_and_the_group_stays_packed(
    client: Any, world: World, parcels: dict[str, str], hub: Any
) -> None:
    token = await sign_in(client, "operator")
    order_id, group_id = world.orders["PACK-1"], parcels["PACK-1"]
    stock_before = await _stock(hub, "MUG-BLUE", "WH1")
    answer = await client.post(f"/console/fulfillments/{group_id}/ship", data={"_csrf": token})
    assert answer.status_code == 303
    page = await client.get(answer.headers["location"])
    assert _flash(page.text) == (
        "error: No label for order PACK-1: an offline carrier prints PDF labels, not ZPL"
    )
    assert (await _group(hub, group_id)).status == "packed"
    assert await _order_status(hub, order_id) == "released"
    assert await _stock(hub, "MUG-BLUE", "WH1") == stock_before
    (parcel,) = await _parcels(hub, order_id)
    assert parcel.status == "packed" and parcel.tracking_number is None
    assert parcel.attention_code == "carrier_error"
    assert [label.status for label in await _labels(hub, order_id)] == ["failed"]
    row = page.text.split(f'data-shipment="{parcel.id}"')[1].split("</tr>")[0]
    assert "needs attention" in row and "not ZPL" in row
    assert "/label" not in row
    assert (await client.get(f"/console/shipments/{parcel.id}/label")).status_code == 404
    # "Buy all labels" at the location reports the same refusal, per order.
    bulk = await client.post("/console/warehouse/ship", data={"location": "WH1", "_csrf": token})
    assert bulk.status_code == 303
    page = await client.get(bulk.headers["location"])
    assert _flash(page.text) == (
        "error: Labels bought for 0 order(s), 1 refused (PACK-1: an offline carrier prints PDF "
        "labels, not ZPL)"
    )
    assert (await _group(hub, group_id)).status == "packed"
    assert [label.status for label in await _labels(hub, order_id)] == ["failed", "failed"]


DHL = {
    "dhl": {
        "connector": "dhl",
        "settings": {
            "api_key": "l7xx-test-key",
            "username": "user-valid",
            "password": "SandboxPasswort2023!",
            "billing_numbers": {"V01PAK": "33333333330102"},
            "rates": [
                {"service": "V01PAK", "price": "5.49", "max_weight_grams": 31500},
            ],
        },
    }
}


@pytest.mark.parametrize(
    "hub_config",
    [{"connections": DHL, "fulfillment": {"shipping": {"label_format": "ZPL"}}}],
    ids=["dhl-zpl"],
)
async def test_a_zpl_label_is_served_as_text(
    client: Any, world: World, parcels: dict[str, str], hub: Any
) -> None:
    token = await sign_in(client, "operator")
    order_id, group_id = world.orders["PACK-1"], parcels["PACK-1"]
    answer_body = json.loads((DHL_FIXTURES / "orders_200_zpl.json").read_bytes())
    with respx.mock(assert_all_called=True) as router:
        route = router.post(DHL_ORDERS).respond(200, json=answer_body)
        answer = await client.post(f"/console/fulfillments/{group_id}/ship", data={"_csrf": token})
    assert answer.status_code == 303 and route.call_count == 1
    assert route.calls.last.request.url.params["docFormat"] == "ZPL2"
    (parcel,) = await _parcels(hub, order_id)
    assert parcel.tracking_number == "340434310428091700"
    label = await client.get(f"/console/shipments/{parcel.id}/label")
    assert label.status_code == 200
    assert label.headers["content-type"] == "text/plain; charset=utf-8"
    assert label.headers["content-disposition"] == 'inline; filename="340434310428091700.zpl"'
    assert label.text == answer_body["items"][0]["label"]["zpl2"]


async def test_warehouse_user_buys_and_prints_labels_of_its_own_location_only(
    client: Any, world: World, parcels: dict[str, str], hub: Any
) -> None:
    # The operator ships WH1's parcel first, so there is a WH1 label to be kept from WH2.
    operator = await sign_in(client, "operator")
    bought = await client.post(
        f"/console/fulfillments/{parcels['PACK-1']}/ship", data={"_csrf": operator}
    )
    assert bought.status_code == 303
    (wh1_parcel,) = await _parcels(hub, world.orders["PACK-1"])
    assert wh1_parcel.status == "shipped"

    token = await sign_in(client, "warehouse")
    work = await client.get("/console/warehouse")
    packed = work.text.split('id="packed"')[1].split("</ul>")[0]
    assert 'data-order="PACK-2"' in packed and "Buy label" in packed
    assert "No label waits to be handed over." in work.text

    # Another location's group, label and print view: refused, nothing bought.
    refused = await client.post(
        f"/console/fulfillments/{parcels['PACK-1']}/ship", data={"_csrf": token}
    )
    assert refused.status_code == 403
    assert (await client.get(f"/console/shipments/{wh1_parcel.id}/label")).status_code == 404
    assert (await client.get("/console/warehouse/labels?location=WH1")).status_code == 403
    bulk = await client.post("/console/warehouse/ship", data={"location": "WH1", "_csrf": token})
    assert bulk.status_code == 403
    assert len(await _labels(hub, world.orders["PACK-1"])) == 1

    # Its own: from the warehouse view, back to it.
    next_page = "/console/warehouse%3Flocation%3DWH2"
    assert f"/console/fulfillments/{parcels['PACK-2']}/ship?next={next_page}" in packed
    answer = await client.post(
        f"/console/fulfillments/{parcels['PACK-2']}/ship?next={next_page}", data={"_csrf": token}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/warehouse?location=WH2"
    (parcel,) = await _parcels(hub, world.orders["PACK-2"])
    assert parcel.status == "shipped" and parcel.tracking_number
    work = await client.get(answer.headers["location"])
    assert _flash(work.text).startswith("ok: Label bought for order PACK-2: Test Post colis")
    assert 'id="waiting-count">1<' in work.text
    waiting = work.text.split('id="waiting-labels"')[1].split("</table>")[0]
    assert f'data-shipment="{parcel.id}"' in waiting and parcel.tracking_number in waiting
    assert f'href="/console/shipments/{parcel.id}/label"' in waiting
    assert wh1_parcel.id not in waiting
    assert 'href="/console/warehouse/labels?location=WH2"' in work.text

    label = await client.get(f"/console/shipments/{parcel.id}/label")
    assert label.status_code == 200 and label.headers["content-type"] == "application/pdf"
    assert label.content.startswith(b"%PDF-")

    printed = await client.get("/console/warehouse/labels?location=WH2")
    assert printed.status_code == 200
    assert printed.text.count('class="label"') == 1
    # The PDF is shown whole, without the viewer's toolbar.
    assert f'src="/console/shipments/{parcel.id}/label#toolbar=0&amp;view=Fit"' in printed.text
    assert wh1_parcel.id not in printed.text
    assert "window.print()" in printed.text


async def test_print_view_keeps_only_labels_not_handed_over(
    client: Any, world: World, parcels: dict[str, str], hub: Any
) -> None:
    token = await sign_in(client, "admin")
    answer = await client.post("/console/warehouse/ship", data={"location": "WH1", "_csrf": token})
    assert answer.status_code == 303
    page = await client.get(answer.headers["location"])
    assert _flash(page.text) == "ok: Labels bought for 1 order(s)."
    (parcel,) = await _parcels(hub, world.orders["PACK-1"])
    printed = await client.get("/console/warehouse/labels?location=WH1")
    assert f'data-shipment="{parcel.id}"' in printed.text

    # The carrier scanned it: handed over, off the list.
    async with hub.transaction() as session:
        row = await session.get(ShipmentRow, parcel.id)
        row.tracking_status = "in_transit"
    printed = await client.get("/console/warehouse/labels?location=WH1")
    assert printed.status_code == 200 and parcel.id not in printed.text
    assert "No label waits to be handed over at WH1." in printed.text
    assert "window.print()" not in printed.text
    # Nothing packed is left at WH1: the bulk button says so and buys nothing.
    again = await client.post("/console/warehouse/ship", data={"location": "WH1", "_csrf": token})
    page = await client.get(again.headers["location"])
    assert _flash(page.text) == "error: Nothing packed at WH1 waits for a label."
    assert len(await _labels(hub, world.orders["PACK-1"])) == 1
    async with hub.read() as session:
        actions = list(
            await session.scalars(
                sa.select(OrderHistoryRow.action).where(
                    OrderHistoryRow.order_id == world.orders["PACK-1"]
                )
            )
        )
    assert actions.count("label_purchased") == 1 and "shipped" in actions


async def test_signed_out_label_and_print_view_send_to_sign_in(
    client: Any, world: World, parcels: dict[str, str]
) -> None:
    for path in ("/console/shipments/shm_x/label", "/console/warehouse/labels?location=WH1"):
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/login?next=")


async def test_read_only_sees_labels_but_cannot_buy(
    client: Any, world: World, parcels: dict[str, str], hub: Any
) -> None:
    token = await sign_in(client, "read-only")
    page = await client.get(f"/console/orders/{world.orders['PACK-1']}")
    assert "Buy label" not in page.text
    answer = await client.post(
        f"/console/fulfillments/{parcels['PACK-1']}/ship", data={"_csrf": token}
    )
    assert answer.status_code == 403
    assert (await _group(hub, parcels["PACK-1"])).status == "packed"
