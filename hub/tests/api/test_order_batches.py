"""`POST /orders` group commit on SQLite and PostgreSQL: requests that arrive together share
one transaction, yet each gets its own answer, and one bad order never sinks the others."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from orderhub.core.model import Actor, ActorKind, Customer, Order
from orderhub.hub.errors import Conflict, InvalidInput
from orderhub.hub.orders import group_commit
from orderhub.hub.orders.manual import ManualRequest
from orderhub.hub.orders.schemas import ManualOrderIn
from orderhub.hub.stock import service as stock
from orderhub.hub.store.tables import OrderHistoryRow, OrderRow, ReservationRow, StockLevelRow
from orderhub.hub.testing import auth

OPERATOR = Actor(kind=ActorKind.USER, name="desk")


ADDRESS = {
    "name": "Jeanne Martin",
    "line1": "1 rue de Rivoli",
    "city": "Paris",
    "postal_code": "75001",
    "country": "FR",
}


def body(*lines: tuple[str, int], **extra: Any) -> ManualOrderIn:
    """A paid order with a deliverable address: nothing for the checks to hold."""
    raw = {
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "financial_status": "paid",
        "shipping_address": ADDRESS,
        **extra,
    }
    return msgspec.convert(raw, ManualOrderIn)


@pytest.fixture
async def order_intake(app: Any) -> Any:
    """The app's group commit for `POST /orders`."""
    yield app.state.order_intake
    await app.state.order_intake.aclose()


async def submit_together(
    hub: Any, order_intake: Any, bodies: list[ManualOrderIn]
) -> list[Order | Exception]:
    """Submit every body before the intake gets to run: they queue up as one batch."""
    connection = hub.connection("manual")
    return await asyncio.gather(
        *(order_intake.submit(ManualRequest(data, connection, OPERATOR)) for data in bodies),
        return_exceptions=True,
    )


@pytest.fixture
async def stocked(hub: Any, catalog: Any) -> None:
    async with hub.transaction() as session:
        await stock.set_on_hand(session, "MUG", "WH1", 20, reason="test")
        await stock.set_on_hand(session, "TSHIRT-M", "WH1", 3, reason="test")


async def reserved(hub: Any) -> dict[str, int]:
    async with hub.read() as session:
        levels = {
            row.item_id: row.reserved for row in await session.scalars(sa.select(StockLevelRow))
        }
        ledger: dict[int, int] = {}
        for row in await session.scalars(
            sa.select(ReservationRow).where(ReservationRow.status == "active")
        ):
            ledger[row.item_id] = ledger.get(row.item_id, 0) + row.quantity
    assert {k: v for k, v in levels.items() if v} == ledger
    return ledger


async def test_orders_submitted_together_are_written_in_one_transaction(order_intake, hub, stocked):
    results = await submit_together(hub, order_intake, [body(("MUG", 1)) for _ in range(12)])
    assert order_intake.batches == 1
    assert all(isinstance(order, Order) for order in results)
    assert [order.number for order in results] == [f"M-{1001 + n}" for n in range(12)]
    assert {order.status.value for order in results} == {"allocated"}
    assert sum((await reserved(hub)).values()) == 12


async def test_the_batch_shares_stock_in_arrival_order_and_never_oversells(
    order_intake, hub, stocked
):
    # Three T-shirts in stock, four orders of one: the last one waits.
    results = await submit_together(hub, order_intake, [body(("TSHIRT-M", 1)) for _ in range(4)])
    assert order_intake.batches == 1
    assert [order.status.value for order in results] == [
        "allocated",
        "allocated",
        "allocated",
        "backordered",
    ]
    assert sum((await reserved(hub)).values()) == 3


async def test_bad_orders_in_a_batch_get_their_error_and_the_others_go_on(
    order_intake, hub, stocked
):
    results = await submit_together(
        hub,
        order_intake,
        [
            body(("MUG", 1), reference="A-1"),
            body(("MUG", 0)),
            body(("NOPE", 1)),
            body(("MUG", 1), reference="A-1"),
            body(("MUG", 2)),
        ],
    )
    assert order_intake.batches == 1
    first, zero, unknown, again, last = results
    assert isinstance(first, Order) and first.number == "A-1"
    assert isinstance(zero, InvalidInput) and zero.code == "invalid_quantity"
    assert isinstance(unknown, InvalidInput) and unknown.code == "unknown_sku"
    assert isinstance(again, Conflict) and again.code == "duplicate_order"
    # The refused orders took no number: the only numbered order is M-1001.
    assert isinstance(last, Order) and last.number == "M-1001"
    async with hub.read() as session:
        assert sorted(await session.scalars(sa.select(OrderRow.number))) == ["A-1", "M-1001"]
        created = await session.scalars(
            sa.select(OrderHistoryRow.order_id).where(OrderHistoryRow.action == "created")
        )
        assert len(list(created)) == 2
    assert sum((await reserved(hub)).values()) == 3


async def test_the_same_customer_twice_in_one_batch_is_a_probable_duplicate(
    order_intake, hub, stocked
):
    customer = msgspec.to_builtins(Customer(email="twice@example.com", name="Twice"))
    first, second = await submit_together(
        hub,
        order_intake,
        [body(("MUG", 1), customer=customer), body(("MUG", 1), customer=customer)],
    )
    assert order_intake.batches == 1
    assert first.status.value == "allocated"
    assert second.status.value == "on_hold"
    assert [hold.source for hold in second.holds] == ["preprocess.duplicate"]


async def test_a_failing_batch_is_written_again_one_order_at_a_time(
    order_intake, hub, stocked, monkeypatch
):
    """A batch whose transaction fails is not the fault of every order in it: each is tried
    alone, and only the one that fails alone gets the error."""
    real = group_commit.create_manual_orders

    async def failing_with_boom(hub: Any, session: Any, requests: Any) -> Any:
        if any(request.data.reference == "BOOM" for request in requests):
            raise RuntimeError("the database refused BOOM")
        return await real(hub, session, requests)

    monkeypatch.setattr(group_commit, "create_manual_orders", failing_with_boom)
    results = await submit_together(
        hub,
        order_intake,
        [body(("MUG", 1), reference="OK-1"), body(("MUG", 1), reference="BOOM"), body(("MUG", 1))],
    )
    # One failed batch of three, then three transactions of one.
    assert order_intake.batches == 4
    ok, boom, numbered = results
    assert isinstance(ok, Order) and ok.number == "OK-1"
    assert isinstance(boom, RuntimeError)
    assert isinstance(numbered, Order) and numbered.number == "M-1001"
    async with hub.read() as session:
        assert sorted(await session.scalars(sa.select(OrderRow.number))) == ["M-1001", "OK-1"]
    assert sum((await reserved(hub)).values()) == 2


async def test_concurrent_http_requests_all_answered_with_their_own_order(
    order_intake, client, tokens, hub, stocked
):
    headers = auth(tokens["operator"])
    responses = await asyncio.gather(
        *(
            client.post(
                "/orders",
                json={
                    "lines": [{"sku": "MUG", "quantity": 1}],
                    "reference": f"H-{n}",
                    "financial_status": "paid",
                    "shipping_address": ADDRESS,
                },
                headers=headers,
            )
            for n in range(8)
        )
    )
    assert [r.status_code for r in responses] == [201] * 8
    assert sorted(r.json()["number"] for r in responses) == sorted(f"H-{n}" for n in range(8))
    assert sum((await reserved(hub)).values()) == 8
    assert order_intake.batches <= 8
