"""Fulfillment groups from reservations and their release by rule, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from orderhub.core.model import FinancialStatus, OrderStatus
from orderhub.hub.fulfillment.jobs import RELEASE, release_once
from orderhub.hub.fulfillment.release import release_due
from orderhub.hub.store.tables import FulfillmentRow, OrderRow
from orderhub.hub.testing import auth

from .conftest import (
    SHOP,
    allocated_order,
    drain,
    groups_of,
    history,
    order_row,
    outbox,
    stock,
)


async def test_an_allocated_order_is_planned_per_location_and_released_at_once(hub, places):
    await stock(hub, WH1={"TEE": 3}, WH2={"MUG": 3})
    order = await allocated_order(hub, [("TEE", 3), ("MUG", 1)])
    assert order.status is OrderStatus.ALLOCATED

    released = await release_once(hub)

    groups = await groups_of(hub, order.id)
    assert sorted(released) == sorted(g.id for g in groups)
    assert {
        (g.location, line.sku, line.quantity, g.status, g.release_rule)
        for g in groups
        for line in g.lines
    } == {
        ("WH1", "TEE", 3, "released", "immediate"),
        ("WH2", "MUG", 1, "released", "immediate"),
    }
    assert (await order_row(hub, order.id)).status == OrderStatus.RELEASED.value
    assert [h.action for h in await history(hub, order.id)].count("fulfillment_released") == 2
    assert await release_once(hub) == []  # nothing new: nothing planned twice


async def test_orders_on_hold_are_not_released(hub, places):
    await stock(hub, WH1={"TEE": 5})
    order = await allocated_order(hub, [("TEE", 1)], address=None)  # the address check holds it

    assert (await order_row(hub, order.id)).status == OrderStatus.ON_HOLD.value
    assert await release_once(hub) == []
    assert await groups_of(hub, order.id) == []


async def test_a_3pl_group_is_sent_to_its_wms_through_the_outbox(hub, places):
    await stock(hub, **{"3PL": {"MUG": 4}})
    order = await allocated_order(hub, [("MUG", 2)])

    [group_id] = await release_once(hub)
    [row] = await outbox(hub, "send_fulfillment_order")
    await drain(hub)

    assert row.connection_id == "wms" and row.idempotency_key == f"fulfillment:{group_id}"
    [sent] = hub.connector("wms").orders
    assert sent["reference"] == group_id
    assert sent["location"] == "3PL" and sent["location_ref"] == "loc-77"
    assert sent["order_number"] == "#1001" and sent["service_level"] == "standard"
    assert sent["ship_to"]["postal_code"] == "90277"
    assert [(line["sku"], line["quantity"]) for line in sent["lines"]] == [("MUG", 2)]
    [done] = await outbox(hub, "send_fulfillment_order")
    assert done.status == "done"
    assert (await groups_of(hub, order.id))[0].status == "released"


class TestRules:
    """Shop orders: WH2 releases in a 09:30 wave, elsewhere once paid."""

    @pytest.fixture
    def fulfillment_config(self):
        return {
            "release": {
                "mode": "immediate",
                "rules": [
                    {"connection": SHOP, "location": "WH2", "mode": "waves", "waves": ["09:30"]},
                    {"connection": SHOP, "mode": "when_paid"},
                ],
            }
        }

    async def test_when_paid_waits_for_payment(self, hub, places):
        await stock(hub, WH1={"TEE": 5})
        order = await allocated_order(
            hub, [("TEE", 1)], financial_status=FinancialStatus.AUTHORIZED
        )

        assert await release_once(hub) == []
        [group] = await groups_of(hub, order.id)
        assert group.status == "planned"
        assert (await order_row(hub, order.id)).status == OrderStatus.ALLOCATED.value

        async with hub.transaction() as session:
            row = await session.get(OrderRow, order.id)
            row.financial_status = FinancialStatus.PAID.value
        assert await release_once(hub) == [group.id]
        assert (await groups_of(hub, order.id))[0].release_rule == "when_paid"

    async def test_a_wave_releases_at_its_time_in_the_locations_zone(self, hub, places):
        await stock(hub, WH2={"TEE": 5})
        order = await allocated_order(hub, [("TEE", 1)])
        await release_once(hub)
        [group] = await groups_of(hub, order.id)
        assert group.status == "planned" and group.location == "WH2"
        planned = group.planned_at
        # Pretend it was planned at 08:00 UTC (the location's zone is UTC by default).
        early = planned.replace(hour=8, minute=0, second=0, microsecond=0)
        async with hub.transaction() as session:
            await session.execute(
                sa.update(FulfillmentRow)
                .where(FulfillmentRow.id == group.id)
                .values(planned_at=early)
            )

        async with hub.transaction() as session:
            before = await release_due(
                session, hub, order.id, actor=RELEASE, now=early + timedelta(minutes=89)
            )
        async with hub.transaction() as session:
            at_wave = await release_due(
                session, hub, order.id, actor=RELEASE, now=early + timedelta(minutes=90)
            )

        assert before == [] and at_wave == [group.id]
        assert (await groups_of(hub, order.id))[0].release_rule == "waves"

    async def test_a_cancelled_planned_reservation_leaves_no_group(self, hub, places):
        from orderhub.hub.orders.service import cancel_order

        await stock(hub, WH1={"TEE": 5})
        order = await allocated_order(
            hub, [("TEE", 1)], financial_status=FinancialStatus.AUTHORIZED
        )
        # the default rule here is when_paid: the group stays planned
        await release_once(hub)
        assert [g.status for g in await groups_of(hub, order.id)] == ["planned"]
        async with hub.transaction() as session:
            await cancel_order(
                session, order.id, actor=RELEASE, reason="customer changed their mind"
            )
        async with hub.transaction() as session:
            row = await session.get(OrderRow, order.id)
            from orderhub.hub.fulfillment.release import plan_groups

            await plan_groups(session, row)

        assert await groups_of(hub, order.id) == []

    async def test_an_operator_can_release_a_planned_group_now(self, hub, places, client, tokens):
        await stock(hub, WH2={"TEE": 5})
        order = await allocated_order(hub, [("TEE", 1)])
        await release_once(hub)
        [group] = await groups_of(hub, order.id)

        refused = await client.post(
            f"/fulfillments/{group.id}/release", headers=auth(tokens["warehouse"])
        )
        answer = await client.post(
            f"/fulfillments/{group.id}/release", headers=auth(tokens["operator"])
        )
        again = await client.post(
            f"/fulfillments/{group.id}/release", headers=auth(tokens["operator"])
        )

        assert refused.status_code == 403
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "released"
        assert answer.json()["release_rule"] == "operator"
        assert again.status_code == 409 and again.json()["error"]["code"] == "not_planned"

    async def test_an_operator_releases_a_whole_order_waiting_for_payment(
        self, hub, places, client, tokens
    ):
        """`POST /orders/{id}/release` hands every planned group over, whatever the rule waits
        for; an order that is not allocated is refused and changes nothing."""
        await stock(hub, WH1={"TEE": 5})
        waiting = await allocated_order(
            hub, [("TEE", 1)], financial_status=FinancialStatus.AUTHORIZED
        )
        held = await allocated_order(hub, [("TEE", 1)], external_id="1002", address=None)
        assert await release_once(hub) == []

        answer = await client.post(
            f"/orders/{waiting.id}/release", headers=auth(tokens["operator"])
        )
        refused = await client.post(f"/orders/{held.id}/release", headers=auth(tokens["operator"]))

        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == OrderStatus.RELEASED.value
        [group] = await groups_of(hub, waiting.id)
        assert (group.status, group.release_rule) == ("released", "operator")
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "order_not_releasable"
        assert await groups_of(hub, held.id) == []
        assert (await order_row(hub, held.id)).status == OrderStatus.ON_HOLD.value
