"""`/items`: the catalog, keyed by SKU."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from orderhub.core.model import Item, Money
from orderhub.core.money import MoneyError
from orderhub.hub.auth.middleware import requires
from orderhub.hub.auth.tokens import Role
from orderhub.hub.bodies import StrictBody
from orderhub.hub.catalog import service
from orderhub.hub.catalog.schemas import ItemIn, ItemPage
from orderhub.hub.deps import Cursor, HubDep, Limit, error_responses
from orderhub.hub.errors import InvalidInput

SkuPath = Annotated[str, PathParameter(min_length=1, max_length=128, description="The SKU.")]

WRITE_CATALOG = requires(Role.OPERATOR)
"""The catalog is kept by operators (and admins); warehouse and read-only tokens read it."""


def _item(sku: str, data: ItemIn) -> Item:
    if (data.price is None) != (data.currency is None):
        raise InvalidInput("give price and currency together", code="invalid_price")
    price = None
    if data.price is not None and data.currency is not None:
        try:
            price = Money.parse(data.price, data.currency)
        except MoneyError as exc:
            raise InvalidInput(str(exc), code="invalid_amount", field="price") from exc
    return Item(
        sku=sku,
        name=data.name,
        barcode=data.barcode,
        price=price,
        weight_grams=data.weight_grams,
        tags=list(data.tags),
        substitutes=list(data.substitutes),
        sku_group=data.sku_group,
        active=data.active,
    )


class ItemController(Controller):
    path = "/items"
    tags = ["catalog"]

    @put(
        "/{sku:str}",
        guards=[WRITE_CATALOG],
        dto=StrictBody[ItemIn],
        return_dto=None,
        summary="Create or replace an item",
        description="201 when the SKU is new, 200 when an existing item was replaced.",
        responses=error_responses(400, 403, 413, 422),
    )
    async def put_item(self, hub: HubDep, sku: SkuPath, data: JSONBody[ItemIn]) -> Response[Item]:
        item = _item(sku, data)
        async with hub.transaction() as session:
            row, created = await service.upsert_item(session, item)
            stored = service.item_from_row(row)
        return Response(stored, status_code=201 if created else 200)

    @get("/", summary="List items by SKU", responses=error_responses(400))
    async def list_items(
        self,
        hub: HubDep,
        search: Annotated[
            str | None, QueryParameter(description="Part of the SKU or name, any case.")
        ] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> ItemPage:
        async with hub.read() as session:
            items = await service.list_items(session, after=cursor, limit=limit + 1, search=search)
        more = len(items) > limit
        items = items[:limit]
        return ItemPage(items=items, next_cursor=items[-1].sku if more else None)

    @get("/{sku:str}", summary="One item", responses=error_responses(400, 404))
    async def get_item(self, hub: HubDep, sku: FromPath[str]) -> Item:
        async with hub.read() as session:
            return service.item_from_row(await service.get_item_row(session, sku))
