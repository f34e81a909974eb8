"""Packing picked units into parcels through the API."""

from __future__ import annotations

from orderhub.hub.testing import auth

from .conftest import allocated_order, groups_of, released_group, shipments_of, stock


async def picked_group(hub, client, token, lines):
    await stock(hub, WH1={"TEE": 10, "MUG": 10})
    order = await allocated_order(hub, lines)
    group_id = await released_group(hub, order.id)
    group = (await groups_of(hub, order.id))[0]
    answer = await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": x.line_id, "found": x.quantity} for x in group.lines]},
        headers=auth(token),
    )
    assert answer.status_code == 200, answer.text
    return order, group_id, {x.sku: x.line_id for x in group.lines}


async def test_one_parcel_holds_everything_picked(hub, places, client, tokens):
    order, group_id, line = await picked_group(
        hub, client, tokens["warehouse"], [("TEE", 2), ("MUG", 1)]
    )

    answer = await client.post(
        f"/fulfillments/{group_id}/pack",
        json={
            "parcels": [{"weight_grams": 800, "length_mm": 300, "width_mm": 200, "height_mm": 100}]
        },
        headers=auth(tokens["warehouse"]),
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "packed"
    [shipment] = await shipments_of(hub, order.id)
    assert shipment.status == "packed" and shipment.position == 1
    assert shipment.lines == {line["TEE"]: 2, line["MUG"]: 1}
    assert (shipment.weight_grams, shipment.length_mm, shipment.height_mm) == (800, 300, 100)
    assert answer.json()["shipments"] == [shipment.id]


async def test_several_parcels_must_hold_exactly_what_was_picked(hub, places, client, tokens):
    order, group_id, line = await picked_group(
        hub, client, tokens["warehouse"], [("TEE", 2), ("MUG", 1)]
    )
    url = f"/fulfillments/{group_id}/pack"
    headers = auth(tokens["warehouse"])

    too_few = await client.post(
        url,
        json={
            "parcels": [
                {"weight_grams": 400, "lines": {line["TEE"]: 1}},
                {"weight_grams": 350, "lines": {line["MUG"]: 1}},
            ]
        },
        headers=headers,
    )
    no_lines = await client.post(
        url, json={"parcels": [{"weight_grams": 1}, {"weight_grams": 1}]}, headers=headers
    )
    zero_weight = await client.post(url, json={"parcels": [{"weight_grams": 0}]}, headers=headers)
    unknown_field = await client.post(
        url, json={"parcels": [{"weight_grams": 5, "colour": "red"}]}, headers=headers
    )
    good = await client.post(
        url,
        json={
            "parcels": [
                {"weight_grams": 400, "lines": {line["TEE"]: 2}},
                {"weight_grams": 350, "lines": {line["MUG"]: 1}},
            ]
        },
        headers=headers,
    )

    assert too_few.status_code == 422
    assert too_few.json()["error"]["code"] == "packed_quantities_mismatch"
    assert too_few.json()["error"]["details"]["picked"] == {line["TEE"]: 2, line["MUG"]: 1}
    assert no_lines.status_code == 422
    assert no_lines.json()["error"]["code"] == "parcel_lines_required"
    assert zero_weight.status_code == 400 and unknown_field.status_code == 400
    assert good.status_code == 200, good.text
    assert [(s.position, s.lines) for s in await shipments_of(hub, order.id)] == [
        (1, {line["TEE"]: 2}),
        (2, {line["MUG"]: 1}),
    ]


async def test_packing_again_replaces_parcels_without_labels(hub, places, client, tokens):
    order, group_id, _ = await picked_group(hub, client, tokens["warehouse"], [("TEE", 2)])
    url = f"/fulfillments/{group_id}/pack"
    headers = auth(tokens["warehouse"])

    await client.post(url, json={"parcels": [{"weight_grams": 300}]}, headers=headers)
    again = await client.post(url, json={"parcels": [{"weight_grams": 450}]}, headers=headers)

    assert again.status_code == 200, again.text
    assert [(s.status, s.weight_grams) for s in await shipments_of(hub, order.id)] == [
        ("cancelled", 300),
        ("packed", 450),
    ]
    assert len(again.json()["shipments"]) == 1


async def test_a_group_is_packed_only_after_its_picks(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 10})
    order = await allocated_order(hub, [("TEE", 1)])
    group_id = await released_group(hub, order.id)

    answer = await client.post(
        f"/fulfillments/{group_id}/pack",
        json={"parcels": [{"weight_grams": 300}]},
        headers=auth(tokens["warehouse"]),
    )

    assert answer.status_code == 409 and answer.json()["error"]["code"] == "not_packable"
