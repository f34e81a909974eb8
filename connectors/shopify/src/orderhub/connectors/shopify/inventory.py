"""Pushing sellable quantities with `inventorySetQuantities` (name "available").

API 2026-04 requires two things of this mutation: an `@idempotent` key, and a
`changeFromQuantity` on every quantity (the value we believe Shopify holds, or an explicit
null to skip the compare-and-swap). Keys are derived from the hub's own idempotency keys, so
a retried job sends the same key and Shopify answers with the first attempt's result.

When Shopify's quantity moved under us (CHANGE_FROM_QUANTITY_STALE) the current quantities
are read back and the batch is sent once more, with a new key because its parameters changed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import msgspec

from orderhub.connectors.shopify import queries
from orderhub.connectors.shopify.graphql import GraphQLClient, user_errors
from orderhub.connectors.shopify.ids import to_gid
from orderhub.core.connection import Connection
from orderhub.core.connectors import PermanentError, StockUpdate, TransientError

BATCH_LIMIT = 250
"""Shopify refuses any input array longer than 250 items."""
READ_CHUNK = 100
SKU_LOOKUP_CHUNK = 50
KEY_NAMESPACE = uuid.UUID("6f1d7c1e-6a3b-5f0e-9c57-0b5e4c8f2a10")
"""Namespace of the UUIDv5 idempotency keys this connector sends."""

_STALE = {"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"}
_REREAD = _STALE | {"IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"}
_INDEX = re.compile(r"^\d+$")


class StockTarget(msgspec.Struct, kw_only=True, frozen=True):
    """One quantity to set, resolved to Shopify ids."""

    sku: str
    inventory_item_id: str
    location_id: str
    quantity: int
    change_from: int | None
    key: str

    def as_input(self) -> dict[str, object]:
        return {
            "inventoryItemId": self.inventory_item_id,
            "locationId": self.location_id,
            "quantity": self.quantity,
            "changeFromQuantity": self.change_from,
        }


def idempotency_key(keys: Sequence[str]) -> str:
    """One stable key for a batch: the same updates always give the same key."""
    return str(uuid.uuid5(KEY_NAMESPACE, "|".join(sorted(keys))))


def _search_term(sku: str) -> str:
    escaped = sku.replace("\\", "\\\\").replace("'", "\\'")
    return f"sku:'{escaped}'"


def _stale_indexes(errors: list[dict[str, Any]]) -> set[int] | None:
    """Indexes of the quantities a stale error names; None when some error names none."""
    indexes: set[int] = set()
    for error in errors:
        field = [str(part) for part in error.get("field") or []]
        numbers = [int(part) for part in field if _INDEX.match(part)]
        if error.get("code") in _STALE and numbers:
            indexes.add(numbers[0])
        else:
            return None
    return indexes


class StockPusher:
    """Sets "available" quantities for one connection, in batches Shopify accepts."""

    def __init__(
        self, client: GraphQLClient, connection: Connection, item_cache: dict[str, str]
    ) -> None:
        self.client = client
        self.connection = connection
        self.item_cache = item_cache
        """SKU -> InventoryItem GID, learnt from lookups; lives as long as the connector."""

    async def push(self, updates: Sequence[StockUpdate]) -> None:
        targets = await self._resolve(updates)
        for start in range(0, len(targets), BATCH_LIMIT):
            await self._push_batch(targets[start : start + BATCH_LIMIT])

    # ------------------------------------------------------------------ resolution

    def _location(self, update: StockUpdate) -> str:
        ref = update.location_ref
        if ref is None:
            mapped = list(self.connection.locations)
            if len(mapped) != 1:
                raise PermanentError(
                    f"stock update for {update.sku} names no Shopify location and the "
                    f"connection maps {len(mapped)} locations"
                )
            ref = mapped[0]
        try:
            return to_gid("Location", ref)
        except ValueError as exc:
            raise PermanentError(str(exc)) from exc

    async def _resolve(self, updates: Sequence[StockUpdate]) -> list[StockTarget]:
        missing = sorted(
            {u.sku for u in updates if u.item_ref is None and u.sku not in self.item_cache}
        )
        if missing:
            await self._lookup_skus(missing)
        # One entry per (item, location): Shopify rejects duplicates, and the latest update wins.
        targets: dict[tuple[str, str], StockTarget] = {}
        for update in updates:
            try:
                item = (
                    to_gid("InventoryItem", update.item_ref)
                    if update.item_ref is not None
                    else self.item_cache[update.sku]
                )
            except ValueError as exc:
                raise PermanentError(str(exc)) from exc
            location = self._location(update)
            targets[(item, location)] = StockTarget(
                sku=update.sku,
                inventory_item_id=item,
                location_id=location,
                quantity=max(0, update.quantity),
                change_from=update.previous_quantity,
                key=update.idempotency_key,
            )
        return list(targets.values())

    async def _lookup_skus(self, skus: list[str]) -> None:
        found: dict[str, set[str]] = {}
        for start in range(0, len(skus), SKU_LOOKUP_CHUNK):
            chunk = skus[start : start + SKU_LOOKUP_CHUNK]
            data = await self.client.execute(
                "VariantsBySku",
                queries.VARIANTS_BY_SKU,
                {"first": 250, "query": " OR ".join(_search_term(sku) for sku in chunk)},
            )
            for node in (data.get("productVariants") or {}).get("nodes") or []:
                item = (node.get("inventoryItem") or {}).get("id")
                if node.get("sku") in chunk and item:
                    found.setdefault(node["sku"], set()).add(item)
        unknown = [sku for sku in skus if sku not in found]
        if unknown:
            raise PermanentError(f"no Shopify variant has SKU {', '.join(unknown)}")
        ambiguous = [sku for sku, items in found.items() if len(items) > 1]
        if ambiguous:
            raise PermanentError(
                f"SKU {', '.join(sorted(ambiguous))} is used by several Shopify variants"
            )
        for sku, items in found.items():
            self.item_cache[sku] = next(iter(items))

    # ------------------------------------------------------------------ the mutation

    async def _push_batch(self, batch: list[StockTarget]) -> None:
        key = idempotency_key([target.key for target in batch])
        errors = await self._send(batch, key)
        if not errors:
            return
        codes = {error.get("code") for error in errors}
        if not codes <= _REREAD:
            self._raise(errors)
        stale = _stale_indexes(errors)
        reread = batch if stale is None else [batch[i] for i in sorted(stale) if i < len(batch)]
        current = await self._read_available(reread or batch)
        retried = [
            msgspec.structs.replace(target, change_from=current[target_id])
            if (target_id := (target.inventory_item_id, target.location_id)) in current
            else target
            for target in batch
        ]
        retry_key = idempotency_key(
            [
                key,
                "reread",
                *(f"{t.inventory_item_id}@{t.location_id}={t.change_from}" for t in retried),
            ]
        )
        errors = await self._send(retried, retry_key)
        if not errors:
            return
        if {error.get("code") for error in errors} & _STALE:
            raise TransientError(
                "inventorySetQuantities: Shopify's quantities changed again during the retry"
            )
        self._raise(errors)

    async def _send(self, batch: list[StockTarget], key: str) -> list[dict[str, Any]]:
        data = await self.client.execute(
            "SetAvailable",
            queries.SET_AVAILABLE,
            {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "referenceDocumentUri": f"gid://orderhub/StockPush/{quote(key, safe='')}",
                    "quantities": [target.as_input() for target in batch],
                },
                "idempotencyKey": key,
            },
        )
        payload = data.get("inventorySetQuantities")
        if not isinstance(payload, dict):
            raise PermanentError("inventorySetQuantities: answer without payload", body=data)
        return list(payload.get("userErrors") or [])

    def _raise(self, errors: list[dict[str, Any]]) -> None:
        if any(error.get("code") == "IDEMPOTENCY_CONCURRENT_REQUEST" for error in errors):
            raise TransientError("inventorySetQuantities: the same request is still running")
        user_errors({"userErrors": errors}, "inventorySetQuantities")

    async def _read_available(self, targets: list[StockTarget]) -> dict[tuple[str, str], int]:
        """Shopify's current "available" per (item, location), read via InventoryLevel nodes."""
        current: dict[tuple[str, str], int] = {}
        level_ids = [
            f"gid://shopify/InventoryLevel/{t.location_id.rsplit('/', 1)[-1]}"
            f"?inventory_item_id={t.inventory_item_id.rsplit('/', 1)[-1]}"
            for t in targets
        ]
        for start in range(0, len(level_ids), READ_CHUNK):
            chunk = level_ids[start : start + READ_CHUNK]
            data = await self.client.execute(
                "InventoryLevels", queries.INVENTORY_LEVELS, {"ids": chunk}
            )
            nodes = data.get("nodes") or []
            for target, node in zip(targets[start : start + READ_CHUNK], nodes, strict=False):
                if not node:
                    raise PermanentError(
                        f"inventory item {target.inventory_item_id} ({target.sku}) is not "
                        f"stocked at {target.location_id}"
                    )
                quantities = {
                    q.get("name"): q.get("quantity") for q in node.get("quantities") or []
                }
                if quantities.get("available") is None:
                    raise PermanentError(f"no available quantity for {target.sku}", body=node)
                current[(target.inventory_item_id, target.location_id)] = int(
                    quantities["available"]
                )
        return current
