"""`/orders` through HTTP on SQLite and PostgreSQL: intake, listing, history, cancellation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa

from orderhub.core.connectors import Capability
from orderhub.core.model import SYSTEM, Money, Order, OrderLine, OrderStatus
from orderhub.core.testing import FakeChannel, connector_plugin
from orderhub.hub.orders import service
from orderhub.hub.store.tables import CounterRow, OrderHistoryRow, OrderRow, OutboxRow
from orderhub.hub.testing import auth

from .conftest import count_rows


class CancellingChannel(FakeChannel):
    """A channel that takes cancellations back, so cancelling one of its orders writes outbox."""

    name: ClassVar[str] = "test-cancelling"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.PUSH_CANCELLATION})

    async def push_cancellation(self, notice: Any) -> None:
        raise AssertionError("the API writes the outbox; it never calls the channel itself")


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [connector_plugin(CancellingChannel)]


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"connections": {"shop": {"connector": "test-cancelling", "title": "Test shop"}}}


def line(sku: str = "MUG", quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, **extra}


async def channel_order(
    hub: Any, connection: str, external_id: str, *, status: OrderStatus | None = None
) -> str:
    """An order as a channel would have sent it, stored through the service."""
    order = Order(
        connection=connection,
        external_id=external_id,
        number=f"#{external_id}",
        currency="EUR",
        placed_at=datetime.now(UTC),
        lines=[OrderLine(sku="MUG", name="Mug", quantity=1, unit_price=Money.parse("8.50", "EUR"))],
    )
    async with hub.transaction() as session:
        stored = await service.create_order(session, order, actor=SYSTEM, reject_unknown_skus=False)
        if status is not None:
            row = await service.get_order_row(session, stored.id)
            for step in (OrderStatus.ALLOCATED, OrderStatus.RELEASED, status):
                await service.change_status(session, row, step, SYSTEM)
    return stored.id


async def orders_unchanged(hub: Any) -> tuple[int, int, int]:
    return (
        await count_rows(hub, OrderRow),
        await count_rows(hub, OrderHistoryRow),
        await count_rows(hub, CounterRow),
    )


# ------------------------------------------------------------------------------ intake


async def test_created_order_is_listed_readable_and_in_history(client, tokens, catalog):
    body = {
        "lines": [line("MUG", 2), line("TSHIRT-M", 1, unit_price="15.00", name="Promo shirt")],
        "customer": {"email": "Ada@Example.com", "name": "Ada"},
        "shipping_address": {"name": "Ada", "line1": "1 rue X", "city": "Paris", "country": "FR"},
        "shipping": {"title": "Express", "code": "express", "price": "4.90"},
        "tags": ["phone"],
    }
    response = await client.post("/orders", json=body, headers=auth(tokens["operator"]))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["connection"] == "manual"
    assert order["number"] == "M-1001"
    assert order["external_id"].startswith("man_")
    # Intake checks it at once: payment pending, no postal code -> held, nothing reserved.
    assert order["status"] == "on_hold"
    assert sorted(hold["reason"] for hold in order["holds"]) == ["address", "payment"]
    assert [(ln["sku"], ln["name"], ln["unit_price"]["amount"]) for ln in order["lines"]] == [
        ("MUG", "Mug", 850),
        ("TSHIRT-M", "Promo shirt", 1500),
    ]
    assert order["totals"]["total"] == {"amount": 2 * 850 + 1500 + 490, "currency": "EUR"}

    read = auth(tokens["read-only"])
    listed = (await client.get("/orders", headers=read)).json()
    assert [item["id"] for item in listed["items"]] == [order["id"]]
    assert listed["items"][0]["customer_email"] == "ada@example.com"
    assert listed["next_cursor"] is None

    fetched = await client.get(f"/orders/{order['id']}", headers=read)
    assert fetched.status_code == 200
    assert fetched.json() == order

    history = (await client.get(f"/orders/{order['id']}/history", headers=read)).json()["items"]
    assert [(h["action"], h["actor"]) for h in history][0] == (
        "created",
        {"kind": "user", "name": "test-operator"},
    )
    assert {h["action"] for h in history[1:]} == {"status_changed", "hold_placed"}


async def test_numbers_come_from_the_sequence_or_the_reference(client, tokens, catalog, hub):
    headers = auth(tokens["operator"])

    async def create(**extra: Any) -> Any:
        return await client.post("/orders", json={"lines": [line()], **extra}, headers=headers)

    first = (await create()).json()
    refused = await create(lines=[line(quantity=0)])
    assert refused.status_code == 422
    second = (await create()).json()
    by_reference = (await create(reference="PHONE-77")).json()
    # The refused order's transaction was rolled back with its number: no gap.
    assert [first["number"], second["number"]] == ["M-1001", "M-1002"]
    assert (by_reference["number"], by_reference["external_id"]) == ("PHONE-77", "PHONE-77")


async def test_item_price_problems_are_422(client, tokens, catalog, hub):
    headers = auth(tokens["admin"])
    cases = [
        ({"lines": [line("SAMPLE")]}, "missing_price"),
        ({"lines": [line("MUG")], "currency": "USD"}, "currency_mismatch"),
        ({"lines": [line("MUG", unit_price="1.999")]}, "invalid_amount"),
        ({"lines": []}, "no_lines"),
    ]
    for body, code in cases:
        response = await client.post("/orders", json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == code
    # A price given on the line makes the unpriced sample sellable.
    ok = await client.post(
        "/orders", json={"lines": [line("SAMPLE", unit_price="0")]}, headers=headers
    )
    assert ok.status_code == 201
    assert await count_rows(hub, OrderRow) == 1


async def test_unknown_sku_is_422_and_stores_nothing(client, tokens, catalog, hub):
    response = await client.post(
        "/orders",
        json={"lines": [line("MUG"), line("GHOST"), line("NOPE")]},
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unknown_sku"
    assert error["details"]["skus"] == ["GHOST", "NOPE"]
    assert await orders_unchanged(hub) == (0, 0, 0)


async def test_same_reference_twice_is_409(client, tokens, catalog, hub):
    headers = auth(tokens["operator"])
    body = {"reference": "MAIL-1", "lines": [line()]}
    assert (await client.post("/orders", json=body, headers=headers)).status_code == 201
    before = await orders_unchanged(hub)
    again = await client.post("/orders", json=body, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_order"
    assert await orders_unchanged(hub) == before
    assert (before[0], before[2]) == (1, 0)


@pytest.mark.parametrize("quantity", [0, -3])
async def test_zero_or_negative_quantity_is_422(client, tokens, catalog, hub, quantity):
    response = await client.post(
        "/orders", json={"lines": [line("MUG", quantity)]}, headers=auth(tokens["operator"])
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_quantity"
    assert response.json()["error"]["details"]["line"] == 0
    assert await orders_unchanged(hub) == (0, 0, 0)


async def test_invalid_json_is_400(client, tokens, catalog, hub):
    response = await client.post(
        "/orders",
        content=b'{"lines": [',
        headers={**auth(tokens["operator"]), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert await orders_unchanged(hub) == (0, 0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [line()], "colour": "red"}, "colour"),
        ({"lines": [line(gift=True)]}, "lines[0].gift"),
        ({"lines": [line()], "customer": {"email": "a@b.c", "nick": "x"}}, "customer.nick"),
        ({"lines": [line(quantity="two")]}, "lines[0].quantity"),
        ({"lines": [line(quantity="2")]}, "lines[0].quantity"),  # no lenient coercion
        ({"lines": [line()], "tags": "vip"}, "tags"),
        ({"lines": [{"quantity": 1}]}, "lines[0].sku"),
        ({"lines": [line()], "currency": "euro"}, "currency"),
        ({"lines": [line()], "placed_at": "2026-01-05T10:00:00"}, "placed_at"),
        ({"lines": [line(unit_price=9.5)]}, "lines[0].unit_price"),
        ({"lines": "MUG"}, "lines"),
    ],
)
async def test_unknown_field_or_wrong_type_is_400_naming_it(
    client, tokens, catalog, hub, body, field
):
    response = await client.post("/orders", json=body, headers=auth(tokens["operator"]))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert [f["field"] for f in error["details"]["fields"]] == [field]
    assert field in error["message"]
    assert await orders_unchanged(hub) == (0, 0, 0)


async def test_placed_at_with_offset_is_kept(client, tokens, catalog):
    response = await client.post(
        "/orders",
        json={"lines": [line()], "placed_at": "2026-01-05T10:00:00+02:00"},
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == 201
    assert response.json()["placed_at"] == "2026-01-05T08:00:00Z"


# ------------------------------------------------------------------------------ reading


async def test_cursor_walks_120_orders_without_gaps_or_repeats(client, tokens, catalog):
    headers = auth(tokens["operator"])
    created = []
    for _ in range(120):
        response = await client.post("/orders", json={"lines": [line()]}, headers=headers)
        assert response.status_code == 201
        created.append(response.json()["id"])

    seen: list[str] = []
    pages = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 50}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/orders", params=params, headers=headers)).json()
        pages.append(len(page["items"]))
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [50, 50, 20]
    assert len(seen) == len(set(seen)) == 120
    assert set(seen) == set(created)
    assert seen == sorted(seen, reverse=True)  # newest first


async def test_filters(client, tokens, catalog, hub):
    headers = auth(tokens["operator"])
    day = datetime(2026, 3, 1, tzinfo=UTC)

    async def create(placed: datetime, email: str, reference: str) -> str:
        body = {
            "lines": [line()],
            "placed_at": placed.isoformat(),
            "customer": {"email": email},
            "reference": reference,
        }
        response = await client.post("/orders", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    early = await create(day, "ada@example.com", "R-1")
    middle = await create(day + timedelta(days=1), "bob@example.com", "R-2")
    late = await create(day + timedelta(days=2), "ada@example.com", "R-3")
    cancelled = await client.post(
        f"/orders/{middle}/cancel", json={"reason": "customer called"}, headers=headers
    )
    assert cancelled.status_code == 200
    shop = await channel_order(hub, "shop", "5001")
    shipped = await channel_order(hub, "shop", "5002", status=OrderStatus.SHIPPED)

    async def ids(**params: Any) -> set[str]:
        response = await client.get("/orders", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids() == {early, middle, late, shop, shipped}
    assert await ids(status="cancelled") == {middle}
    assert await ids(status=["cancelled", "shipped"]) == {middle, shipped}
    assert await ids(connection="shop") == {shop, shipped}
    assert await ids(connection="manual", status="on_hold") == {early, late}
    assert await ids(placed_from=(day + timedelta(days=1)).isoformat(), connection="manual") == {
        middle,
        late,
    }
    assert await ids(placed_to=(day + timedelta(days=1)).isoformat()) == {early}
    # A time without offset is UTC.
    assert await ids(placed_to="2026-03-02T00:00:00") == {early}
    assert await ids(customer="ADA@example.com") == {early, late}
    assert await ids(q="bob@") == {middle}
    assert await ids(q="R-3") == {late}
    assert await ids(q="5002") == {shipped}  # number "#5002", with or without the '#'


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"status": "lost"}, "status"),
        ({"placed_from": "yesterday"}, "placed_from"),
    ],
)
async def test_bad_list_parameters_are_400(client, tokens, params, field):
    response = await client.get("/orders", params=params, headers=auth(tokens["read-only"]))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert [f["field"] for f in error["details"]["fields"]] == [field]


async def test_foreign_cursor_is_422(client, tokens):
    response = await client.get(
        "/orders", params={"cursor": "bm90LWFuLW9yZGVy"}, headers=auth(tokens["read-only"])
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_unknown_order_is_404(client, tokens):
    headers = auth(tokens["read-only"])
    for path in ("/orders/ord_nope", "/orders/ord_nope/history"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_order"
    response = await client.post(
        "/orders/ord_nope/cancel", json={"reason": "x"}, headers=auth(tokens["operator"])
    )
    assert response.status_code == 404


# ------------------------------------------------------------------------------ cancel


async def test_cancel_manual_order(client, tokens, catalog, hub):
    headers = auth(tokens["operator"])
    order = (await client.post("/orders", json={"lines": [line()]}, headers=headers)).json()
    response = await client.post(
        f"/orders/{order['id']}/cancel", json={"reason": "customer called"}, headers=headers
    )
    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "customer called"
    assert cancelled["lines"][0]["quantity_cancelled"] == 1

    history = (await client.get(f"/orders/{order['id']}/history", headers=headers)).json()
    changed = [h for h in history["items"] if h["action"] == "status_changed"]
    # Intake held it first (payment pending, no address); the cancellation comes last.
    assert changed[-1] == {
        "order_id": order["id"],
        "at": changed[-1]["at"],
        "actor": {"kind": "user", "name": "test-operator"},
        "action": "status_changed",
        "detail": {"from": "on_hold", "to": "cancelled"},
        "reason": "customer called",
        "version": cancelled["version"],
    }
    # The manual channel has nobody to tell.
    assert await count_rows(hub, OutboxRow) == 0

    again = await client.post(
        f"/orders/{order['id']}/cancel", json={"reason": "twice"}, headers=headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"
    after = (await client.get(f"/orders/{order['id']}", headers=headers)).json()
    assert after["cancel_reason"] == "customer called"
    assert after["version"] == cancelled["version"]


async def test_cancel_tells_a_channel_that_takes_cancellations_through_the_outbox(
    client, tokens, catalog, hub
):
    order_id = await channel_order(hub, "shop", "7001")
    response = await client.post(
        f"/orders/{order_id}/cancel",
        json={"reason": "out of stock"},
        headers=auth(tokens["admin"]),
    )
    assert response.status_code == 200, response.text
    async with hub.read() as session:
        rows = (await session.scalars(sa.select(OutboxRow))).all()
    assert [(r.connection_id, r.operation, r.idempotency_key, r.status) for r in rows] == [
        ("shop", "push_cancellation", f"cancel:{order_id}", "pending")
    ]
    assert rows[0].payload == {
        "order_external_id": "7001",
        "reason": "out of stock",
        "restock": True,
        "notify_customer": False,
    }


async def test_cancel_after_shipping_is_409_and_changes_nothing(client, tokens, catalog, hub):
    order_id = await channel_order(hub, "shop", "8001", status=OrderStatus.SHIPPED)
    headers = auth(tokens["operator"])
    before = (await client.get(f"/orders/{order_id}/history", headers=headers)).json()
    response = await client.post(
        f"/orders/{order_id}/cancel", json={"reason": "too late"}, headers=headers
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["details"] == {"current": "shipped", "target": "cancelled"}
    order = (await client.get(f"/orders/{order_id}", headers=headers)).json()
    assert order["status"] == "shipped"
    assert order["cancel_reason"] is None
    assert (await client.get(f"/orders/{order_id}/history", headers=headers)).json() == before
    assert await count_rows(hub, OutboxRow) == 0


async def test_cancel_needs_a_reason(client, tokens, catalog, hub):
    order_id = await channel_order(hub, "shop", "9001")
    headers = auth(tokens["operator"])
    for body, field in (({}, "reason"), ({"reason": ""}, "reason")):
        response = await client.post(f"/orders/{order_id}/cancel", json=body, headers=headers)
        assert response.status_code == 400
        assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == [field]
    order = (await client.get(f"/orders/{order_id}", headers=headers)).json()
    assert order["status"] == "pending"


# ------------------------------------------------------------------------------ roles


@pytest.mark.parametrize("role", ["read-only", "warehouse"])
async def test_order_writes_need_admin_or_operator(client, tokens, catalog, hub, role):
    headers = auth(tokens[role])
    response = await client.post("/orders", json={"lines": [line()]}, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    order_id = await channel_order(hub, "shop", "6001")
    response = await client.post(
        f"/orders/{order_id}/cancel", json={"reason": "x"}, headers=headers
    )
    assert response.status_code == 403
    assert (await client.get(f"/orders/{order_id}", headers=headers)).json()["status"] == "pending"
    assert await count_rows(hub, OrderRow) == 1


# ------------------------------------------------------------------------- concurrency


async def test_concurrent_orders_get_distinct_numbers(client, tokens, catalog):
    headers = auth(tokens["operator"])
    responses = await asyncio.gather(
        *(client.post("/orders", json={"lines": [line()]}, headers=headers) for _ in range(20))
    )
    assert [r.status_code for r in responses] == [201] * 20
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"M-{n}" for n in range(1001, 1021)]


async def test_concurrent_same_reference_gives_one_order_and_409s(client, tokens, catalog, hub):
    headers = auth(tokens["operator"])
    body = {"reference": "RACE-1", "lines": [line()]}
    responses = await asyncio.gather(
        *(client.post("/orders", json=body, headers=headers) for _ in range(6))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409, 409]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "duplicate_order"
    }
    assert await count_rows(hub, OrderRow) == 1
