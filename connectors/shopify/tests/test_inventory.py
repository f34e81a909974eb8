"""Stock pushes: inventorySetQuantities variables, idempotency keys, batching and the stale retry."""

from __future__ import annotations

import json
import uuid

import pytest

from orderhub.connectors.shopify.inventory import KEY_NAMESPACE
from orderhub.core.connectors import PermanentError, StockUpdate, TransientError

PINK_ITEM = "gid://shopify/InventoryItem/271878346596884015"
PARIS = "gid://shopify/Location/24826418"


def update(**fields) -> StockUpdate:
    values = {
        "sku": "IPOD2008PINK",
        "quantity": 7,
        "location_ref": "24826418",
        "item_ref": "271878346596884015",
        "previous_quantity": 10,
        "idempotency_key": "stock:shopify-eu:IPOD2008PINK:24826418:v41",
    }
    values.update(fields)
    return StockUpdate(**values)


async def test_one_update_sends_the_documented_input_and_key(connector, shopify) -> None:
    shopify.on("SetAvailable", "graphql_inventory_set_ok.json")
    await connector.push_stock([update()])

    (variables,) = shopify.variables("SetAvailable")
    key = str(uuid.uuid5(KEY_NAMESPACE, "stock:shopify-eu:IPOD2008PINK:24826418:v41"))
    assert variables == {
        "input": {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": f"gid://orderhub/StockPush/{key}",
            "quantities": [
                {
                    "inventoryItemId": PINK_ITEM,
                    "locationId": PARIS,
                    "quantity": 7,
                    "changeFromQuantity": 10,
                }
            ],
        },
        "idempotencyKey": key,
    }
    document = json.loads(shopify.calls[0][2].content)["query"]
    assert "inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey)" in document


async def test_the_same_updates_always_send_the_same_key(connector, shopify) -> None:
    shopify.on("SetAvailable", "graphql_inventory_set_ok.json", "graphql_inventory_set_ok.json")
    other = update(sku="CASE-RED", item_ref="39072856001", idempotency_key="k2")
    await connector.push_stock([update(), other])
    await connector.push_stock([other, update()])
    first, second = shopify.variables("SetAvailable")
    assert first["idempotencyKey"] == second["idempotencyKey"]
    assert first["idempotencyKey"] == str(
        uuid.uuid5(KEY_NAMESPACE, "k2|stock:shopify-eu:IPOD2008PINK:24826418:v41")
    )


async def test_an_unknown_previous_quantity_is_sent_as_an_explicit_null(connector, shopify) -> None:
    shopify.on("SetAvailable", "graphql_inventory_set_ok.json")
    await connector.push_stock([update(previous_quantity=None)])
    (variables,) = shopify.variables("SetAvailable")
    quantity = variables["input"]["quantities"][0]
    # 2026-04 refuses an omitted changeFromQuantity; null opts out of the compare-and-swap.
    assert "changeFromQuantity" in quantity and quantity["changeFromQuantity"] is None


async def test_updates_are_batched_within_the_input_limit(connector, shopify) -> None:
    updates = [
        update(sku=f"SKU-{n}", item_ref=str(1000 + n), idempotency_key=f"k{n}", quantity=n)
        for n in range(600)
    ]
    shopify.on("SetAvailable", *["graphql_inventory_set_ok.json"] * 3)
    await connector.push_stock(updates)
    batches = shopify.variables("SetAvailable")
    assert [len(b["input"]["quantities"]) for b in batches] == [250, 250, 100]
    assert len({b["idempotencyKey"] for b in batches}) == 3
    sent = [q["inventoryItemId"] for b in batches for q in b["input"]["quantities"]]
    assert sent == [f"gid://shopify/InventoryItem/{1000 + n}" for n in range(600)]


async def test_the_latest_update_for_an_item_and_location_wins(connector, shopify) -> None:
    shopify.on("SetAvailable", "graphql_inventory_set_ok.json")
    await connector.push_stock(
        [update(quantity=3, idempotency_key="a"), update(quantity=5, idempotency_key="b")]
    )
    (variables,) = shopify.variables("SetAvailable")
    assert [q["quantity"] for q in variables["input"]["quantities"]] == [5]


async def test_a_stale_quantity_is_read_back_and_retried_once(connector, shopify) -> None:
    shopify.on("SetAvailable", "graphql_inventory_set_stale.json", "graphql_inventory_set_ok.json")
    shopify.on("InventoryLevels", "graphql_inventory_levels.json")
    await connector.push_stock([update()])

    assert shopify.operations() == ["SetAvailable", "InventoryLevels", "SetAvailable"]
    assert shopify.variables("InventoryLevels") == [
        {"ids": ["gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015"]}
    ]
    first, retry = shopify.variables("SetAvailable")
    assert first["input"]["quantities"][0]["changeFromQuantity"] == 10
    # Shopify held 4, not 10: the retry compares against what it holds now.
    assert retry["input"]["quantities"][0] == {
        "inventoryItemId": PINK_ITEM,
        "locationId": PARIS,
        "quantity": 7,
        "changeFromQuantity": 4,
    }
    # Changed parameters need a new key; reusing the first would be a key/parameter mismatch.
    assert retry["idempotencyKey"] != first["idempotencyKey"]


async def test_stale_twice_is_a_transient_error(connector, shopify) -> None:
    shopify.on(
        "SetAvailable", "graphql_inventory_set_stale.json", "graphql_inventory_set_stale.json"
    )
    shopify.on("InventoryLevels", "graphql_inventory_levels.json")
    with pytest.raises(TransientError, match="changed again"):
        await connector.push_stock([update()])
    assert shopify.operations() == ["SetAvailable", "InventoryLevels", "SetAvailable"]


async def test_other_user_errors_are_permanent_with_their_message(connector, shopify) -> None:
    shopify.on("SetAvailable", "graphql_inventory_set_invalid_location.json")
    with pytest.raises(PermanentError, match="could not be found") as caught:
        await connector.push_stock([update()])
    assert caught.value.code == "INVALID_LOCATION"
    assert shopify.operations() == ["SetAvailable"]


async def test_a_missing_item_is_found_by_sku_and_remembered(connector, shopify) -> None:
    shopify.on("VariantsBySku", "graphql_variants_by_sku.json")
    shopify.on("SetAvailable", "graphql_inventory_set_ok.json", "graphql_inventory_set_ok.json")
    await connector.push_stock([update(item_ref=None)])
    await connector.push_stock([update(item_ref=None, quantity=6)])

    assert shopify.variables("VariantsBySku") == [{"first": 250, "query": "sku:'IPOD2008PINK'"}]
    sent = [
        v["input"]["quantities"][0]["inventoryItemId"] for v in shopify.variables("SetAvailable")
    ]
    # The prefix match IPOD2008PINKX is not taken for IPOD2008PINK.
    assert sent == [PINK_ITEM, PINK_ITEM]


async def test_an_sku_shopify_does_not_know_is_permanent(connector, shopify) -> None:
    shopify.on("VariantsBySku", "graphql_variants_by_sku.json")
    with pytest.raises(PermanentError, match="NOPE"):
        await connector.push_stock([update(sku="NOPE", item_ref=None)])
    assert "SetAvailable" not in shopify.operations()


async def test_an_update_without_location_needs_a_single_mapped_location(
    connector, shopify
) -> None:
    # The test connection maps two Shopify locations, so the target is ambiguous.
    with pytest.raises(PermanentError, match="maps 2 locations"):
        await connector.push_stock([update(location_ref=None)])
    assert shopify.calls == []


async def test_quantities_below_zero_are_sent_as_zero(connector, shopify) -> None:
    shopify.on("SetAvailable", "graphql_inventory_set_ok.json")
    await connector.push_stock([update(quantity=-2)])
    (variables,) = shopify.variables("SetAvailable")
    assert variables["input"]["quantities"][0]["quantity"] == 0


async def test_a_key_whose_earlier_attempt_failed_is_reread_and_sent_anew(
    connector, shopify
) -> None:
    # A job retried after a stale attempt sends the same key: Shopify refuses to reuse it.
    previous_attempt_failed = {
        "data": {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {
                        "code": "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED",
                        "field": None,
                        "message": "A previous request with this idempotency key failed. "
                        "Retry with a new idempotency key.",
                    }
                ],
            }
        }
    }
    shopify.on("SetAvailable", previous_attempt_failed, "graphql_inventory_set_ok.json")
    shopify.on("InventoryLevels", "graphql_inventory_levels.json")
    await connector.push_stock([update()])
    first, retry = shopify.variables("SetAvailable")
    assert retry["idempotencyKey"] != first["idempotencyKey"]
    assert retry["input"]["quantities"][0]["changeFromQuantity"] == 4
