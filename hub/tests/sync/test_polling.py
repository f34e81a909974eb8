"""Order polling and webhook registration in the hub, against a channel that plays back pages.

`pageshop` answers `pull_orders(cursor)` from a script keyed by the cursor it is given, so
each test says exactly which page follows which cursor, and what the provider refuses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from arq import Worker

from orderhub.core.connection import Connection
from orderhub.core.connectors import (
    Capability,
    ExternalRef,
    PermanentError,
    PullPage,
    TransientError,
)
from orderhub.core.events import OrderCancelObserved, OrderObserved
from orderhub.core.model import Item, Location, Money, Order, OrderLine
from orderhub.core.testing import FakeChannel, connector_plugin
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.locations.service import upsert_location
from orderhub.hub.store.tables import BindingRow, OrderHistoryRow, OrderRow
from orderhub.hub.sync import polling
from orderhub.hub.sync.state import record_revoked
from orderhub.hub.testing import auth

CONNECTION = "pages"


class PageShop(FakeChannel):
    """Answers pulls from `pages` and records webhook registrations."""

    name: ClassVar[str] = "pageshop"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.PULL_ORDERS, Capability.REGISTER_WEBHOOKS}
    )

    def __init__(self, connection: Connection, *, http: Any = None) -> None:
        super().__init__(connection, http=http)
        self.pages: dict[str | None, Any] = {}
        """Cursor -> the page (or error) to answer; a list is answered in turn."""
        self.asked: list[str | None] = []
        self.registrations: list[str] = []
        self.refuse_registration: Exception | None = None

    async def pull_orders(self, cursor: str | None) -> PullPage:
        self.asked.append(cursor)
        answer = self.pages[cursor]
        if isinstance(answer, list):
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def register_webhooks(self, callback_url: str) -> Sequence[ExternalRef]:
        if self.refuse_registration is not None:
            raise self.refuse_registration
        self.registrations.append(callback_url)
        return [ExternalRef(id="sub-1", url=callback_url)]


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [connector_plugin(PageShop)]


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {
        "plugins": {"allow": ["manual", "spreadsheet"]},
        "api": {"public_url": "https://oms.example.com/"},
        "connections": {CONNECTION: {"connector": "pageshop"}},
    }


@pytest.fixture
async def catalog(hub: Any) -> None:
    async with hub.transaction() as session:
        await upsert_item(session, Item(sku="MUG", name="Mug"))
        await upsert_location(session, Location(code="WH1", name="Main warehouse"))


def order(external_id: str, *, updated: str, sku: str | None = "MUG", item: str = "") -> Order:
    bindings = {"inventory_item_id": item} if item else {}
    return Order(
        connection=CONNECTION,
        external_id=external_id,
        number=f"#{external_id}",
        currency="EUR",
        placed_at=datetime(2026, 5, 1, tzinfo=UTC),
        source_updated_at=datetime.fromisoformat(updated),
        lines=[
            OrderLine(
                sku=sku,
                name="Mug",
                quantity=1,
                unit_price=Money.parse("9.00", "EUR"),
                external_id=f"li-{external_id}",
                bindings=bindings,
            )
        ],
    )


def page(*orders: Order, cursor: str, more: bool = False, cancel: str | None = None) -> PullPage:
    changes: list[Any] = [OrderObserved(order=o) for o in orders]
    if cancel:
        changes.append(OrderCancelObserved(connection=CONNECTION, external_id=cancel))
    return PullPage(changes=changes, cursor=cursor, has_more=more)


async def stored_cursor(hub: Any) -> str | None:
    async with hub.read() as session:
        row = await polling.read_cursor(session, CONNECTION)
    return row.cursor if row is not None else None


async def orders(hub: Any) -> dict[str, OrderRow]:
    async with hub.read() as session:
        found = await session.scalars(
            sa.select(OrderRow).where(OrderRow.connection_id == CONNECTION)
        )
        return {row.external_id: row for row in found}


async def test_pages_are_merged_and_the_cursor_stored_after_each(hub, catalog):
    shop = hub.connector(CONNECTION)
    shop.pages = {
        None: page(
            order("1", updated="2026-05-02T10:00:00+00:00", item="inv-7"), cursor="c1", more=True
        ),
        "c1": page(order("2", updated="2026-05-02T11:00:00+00:00"), cursor="c2", cancel="2"),
    }

    report = await polling.pull_orders(hub, CONNECTION)

    assert (report.pages, report.orders, report.changes, report.more) == (2, 2, 3, False)
    assert shop.asked == [None, "c1"]
    assert await stored_cursor(hub) == "c2"
    found = await orders(hub)
    assert set(found) == {"1", "2"} and found["2"].status == "cancelled"
    async with hub.read() as session:
        item = await session.scalar(
            sa.select(BindingRow).where(
                BindingRow.entity == "item", BindingRow.external_id == "inv-7"
            )
        )
    assert (item.connection_id, item.internal_id) == (CONNECTION, "MUG")


async def test_a_job_reads_a_bounded_number_of_pages_and_the_next_one_goes_on(hub, catalog):
    shop = hub.connector(CONNECTION)
    shop.pages = {
        None: page(order("1", updated="2026-05-02T10:00:00+00:00"), cursor="c1", more=True),
        "c1": page(order("2", updated="2026-05-02T11:00:00+00:00"), cursor="c2", more=True),
        "c2": page(cursor="c3"),
    }

    first = await polling.pull_orders(hub, CONNECTION, max_pages=1)
    second = await polling.pull_orders(hub, CONNECTION)

    assert (first.pages, first.more, first.cursor) == (1, True, "c1")
    assert (second.pages, second.more, second.cursor) == (2, False, "c3")
    assert shop.asked == [None, "c1", "c2"]


async def test_one_order_that_cannot_merge_does_not_stop_the_page(hub, catalog):
    shop = hub.connector(CONNECTION)
    broken = order("bad", updated="2026-05-02T10:00:00+00:00")
    broken.lines[0].quantity = 0  # refused by the order service: 422 invalid_quantity
    shop.pages = {
        None: page(order("1", updated="2026-05-02T10:00:00+00:00"), broken, cursor="c1"),
    }

    report = await polling.pull_orders(hub, CONNECTION)

    assert set(await orders(hub)) == {"1"}
    (note,) = report.notes
    assert note.startswith("order bad: not merged: invalid_quantity")
    assert await stored_cursor(hub) == "c1"


async def test_a_snapshot_the_hub_already_has_changes_nothing(hub, catalog):
    shop = hub.connector(CONNECTION)
    same = order("1", updated="2026-05-02T10:00:00+00:00")
    shop.pages = {None: page(same, cursor="c1"), "c1": page(same, cursor="c1")}

    await polling.pull_orders(hub, CONNECTION)
    async with hub.read() as session:
        before = await session.scalar(sa.select(sa.func.count()).select_from(OrderHistoryRow))
    report = await polling.pull_orders(hub, CONNECTION)
    async with hub.read() as session:
        after = await session.scalar(sa.select(sa.func.count()).select_from(OrderHistoryRow))

    assert after == before
    assert "ignored" in report.notes[0]


async def test_the_cursor_never_moves_back_when_two_pulls_overlap(hub, catalog):
    async with hub.transaction() as session:
        assert await polling.store_cursor(session, CONNECTION, None, "c1")
    async with hub.transaction() as session:
        assert await polling.store_cursor(session, CONNECTION, "c1", "c2")
    async with hub.transaction() as session:  # a slower pull that also started from c1
        assert not await polling.store_cursor(session, CONNECTION, "c1", "c2-late")
    async with hub.transaction() as session:  # and one that started before any cursor
        assert not await polling.store_cursor(session, CONNECTION, None, "c1-late")
    assert await stored_cursor(hub) == "c2"


async def test_a_provider_error_stops_the_pull_and_keeps_the_cursor(hub, catalog, client, tokens):
    shop = hub.connector(CONNECTION)
    shop.pages = {
        None: page(order("1", updated="2026-05-02T10:00:00+00:00"), cursor="c1", more=True),
        "c1": PermanentError("HTTP 401: invalid token", code="http_401"),
    }

    report = await polling.pull_orders(hub, CONNECTION)

    assert report.pages == 1 and "invalid token" in report.stopped
    assert await stored_cursor(hub) == "c1"
    health = (
        await client.get(f"/connections/{CONNECTION}", headers=auth(tokens["read-only"]))
    ).json()
    assert "invalid token" in health["health"]["last_error"]


async def test_a_throttled_pull_job_carries_on_after_the_wait(hub, catalog):
    from orderhub.hub.worker import worker_settings

    shop = hub.connector(CONNECTION)
    shop.pages = {
        None: [
            TransientError("THROTTLED", retry_after=0.3),
            page(order("1", updated="2026-05-02T10:00:00+00:00"), cursor="c1"),
        ]
    }

    assert await polling.queue_pull(hub, CONNECTION)
    started = asyncio.get_running_loop().time()
    worker = Worker(**worker_settings(hub), burst=True, poll_delay=0.01, handle_signals=False)
    try:
        await asyncio.wait_for(worker.async_run(), timeout=120)
    finally:
        await worker.close()

    assert shop.asked == [None, None]
    assert asyncio.get_running_loop().time() - started >= 0.3
    assert set(await orders(hub)) == {"1"}
    assert await stored_cursor(hub) == "c1"


async def test_sync_api_queues_a_pull_and_restart_forgets_the_cursor(client, hub, tokens, catalog):
    async with hub.transaction() as session:
        await polling.store_cursor(session, CONNECTION, None, "c9")

    queued = await client.post(f"/connections/{CONNECTION}/sync", headers=auth(tokens["operator"]))
    again = await client.post(f"/connections/{CONNECTION}/sync", headers=auth(tokens["operator"]))
    restarted = await client.post(
        f"/connections/{CONNECTION}/sync?restart=true", headers=auth(tokens["operator"])
    )
    reader = await client.post(f"/connections/{CONNECTION}/sync", headers=auth(tokens["read-only"]))
    manual = await client.post("/connections/manual/sync", headers=auth(tokens["operator"]))
    unknown = await client.post("/connections/nope/sync", headers=auth(tokens["operator"]))

    assert queued.status_code == 202 and queued.json()["queued"] is True
    assert queued.json()["cursor"] == "c9"
    assert again.json()["queued"] is False  # one pull of a connection at a time
    assert restarted.json()["queued"] is True and restarted.json()["cursor"] is None
    assert await stored_cursor(hub) is None
    assert reader.status_code == 403
    assert manual.status_code == 409 and manual.json()["error"]["code"] == "pull_not_supported"
    assert unknown.status_code == 404


async def test_a_revoked_connection_is_not_polled(client, hub, tokens, catalog):
    async with hub.transaction() as session:
        await record_revoked(session, CONNECTION, "access withdrawn")

    refused = await client.post(f"/connections/{CONNECTION}/sync", headers=auth(tokens["operator"]))
    queued = await polling.poll_connections({"hub": hub})

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "connection_revoked"
    assert "access withdrawn" in refused.json()["error"]["message"]
    assert queued == {}
    with pytest.raises(Exception) as raised:
        await polling.pull_orders(hub, CONNECTION)
    assert getattr(raised.value, "code", None) == "connection_revoked"


async def test_the_cron_queues_one_pull_per_pullable_connection(hub, catalog):
    assert polling.pullable(hub) == [CONNECTION]
    assert await polling.poll_connections({"hub": hub}) == {CONNECTION: True}
    assert await polling.poll_connections({"hub": hub}) == {CONNECTION: False}  # still queued


# --------------------------------------------------------------------- webhook registration


async def test_webhooks_are_registered_at_the_public_url(client, hub, tokens):
    shop = hub.connector(CONNECTION)

    default = await client.post(
        f"/connections/{CONNECTION}/webhooks", headers=auth(tokens["admin"])
    )
    chosen = await client.post(
        f"/connections/{CONNECTION}/webhooks?url=https://hooks.example.com/in",
        headers=auth(tokens["admin"]),
    )

    assert default.status_code == 200
    assert default.json() == {
        "connection": CONNECTION,
        "url": f"https://oms.example.com/webhooks/{CONNECTION}",
        "subscriptions": [{"id": "sub-1", "url": f"https://oms.example.com/webhooks/{CONNECTION}"}],
        "revocation_cleared": False,
    }
    assert shop.registrations == [
        f"https://oms.example.com/webhooks/{CONNECTION}",
        "https://hooks.example.com/in",
    ]
    assert chosen.status_code == 200


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            PermanentError("webhookSubscriptionCreate rejected: uri: bad", code="INVALID"),
            502,
            "provider_error",
        ),
        (TransientError("HTTP 429", retry_after=2.0), 503, "provider_unavailable"),
    ],
)
async def test_a_provider_refusing_registration_is_a_clear_error(
    client, hub, tokens, error, status, code
):
    hub.connector(CONNECTION).refuse_registration = error

    response = await client.post(
        f"/connections/{CONNECTION}/webhooks", headers=auth(tokens["admin"])
    )

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert str(error) in response.json()["error"]["message"]


async def test_registration_needs_a_url_and_a_connector_that_registers(client, hub, tokens):
    hub.settings.api.public_url = None
    without_url = await client.post(
        f"/connections/{CONNECTION}/webhooks", headers=auth(tokens["admin"])
    )
    not_http = await client.post(
        f"/connections/{CONNECTION}/webhooks?url=ftp://x", headers=auth(tokens["admin"])
    )
    manual = await client.post(
        "/connections/manual/webhooks?url=https://x.example.com", headers=auth(tokens["admin"])
    )

    assert without_url.status_code == 422
    assert without_url.json()["error"]["code"] == "public_url_required"
    assert not_http.status_code == 422 and not_http.json()["error"]["code"] == "invalid_url"
    assert manual.status_code == 409
    assert manual.json()["error"]["code"] == "registration_not_supported"
    assert hub.connector(CONNECTION).registrations == []
