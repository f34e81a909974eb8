"""`/connections` and `/plugins` through HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import msgspec
import pytest

from orderhub.core.connectors import Capability
from orderhub.core.testing import FakeChannel, connector_plugin
from orderhub.hub.store.tables import ConnectionStateRow, InboxRow, OutboxRow
from orderhub.hub.testing import auth

SECRET = "shpss_do-not-show-me"


class ShopSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    shop: str
    api_secret: str


class ShopChannel(FakeChannel):
    name: ClassVar[str] = "test-shop"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.PUSH_STOCK, Capability.PULL_ORDERS}
    )
    Settings: ClassVar[type[msgspec.Struct]] = ShopSettings


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [connector_plugin(ShopChannel)]


@pytest.fixture
def hub_config() -> dict[str, Any]:
    settings = {"shop": "eu.example.com", "api_secret": SECRET}
    return {
        "plugins": {"deny": ["spreadsheet"]},
        "connections": {
            "shop-eu": {"connector": "test-shop", "title": "EU store", "settings": settings},
            "shop-us": {"connector": "test-shop", "enabled": False, "settings": settings},
        },
    }


WHEN = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


async def seed_health(hub: Any) -> None:
    async with hub.transaction() as session:
        session.add(
            ConnectionStateRow(
                connection_id="shop-eu",
                last_success_at=WHEN,
                last_failure_at=WHEN.replace(hour=13),
                last_error="429 Too Many Requests",
            )
        )
        session.add(
            ConnectionStateRow(
                connection_id="shop-us", revoked_at=WHEN, revoked_reason="app/uninstalled"
            )
        )
        statuses = ["pending", "pending", "failed", "dead", "done", "processing"]
        for index, status in enumerate(statuses):
            session.add(
                InboxRow(
                    connection_id="shop-eu",
                    event_id=f"evt-{index}",
                    topic="orders/create",
                    body=b"{}",
                    status=status,
                )
            )
        for index, status in enumerate(["pending", "dead", "dead", "done"]):
            session.add(
                OutboxRow(
                    connection_id="shop-eu",
                    operation="push_stock",
                    idempotency_key=f"k-{index}",
                    status=status,
                )
            )
        session.add(OutboxRow(connection_id="shop-us", operation="push_stock", idempotency_key="k"))


async def test_connections_show_capabilities_and_health(client, tokens, hub):
    await seed_health(hub)
    response = await client.get("/connections", headers=auth(tokens["read-only"]))
    assert response.status_code == 200
    assert SECRET not in response.text
    items = {item["id"]: item for item in response.json()["items"]}
    assert list(items) == ["manual", "shop-eu", "shop-us"]  # spreadsheet is denied
    assert items["shop-eu"] == {
        "id": "shop-eu",
        "connector": "test-shop",
        "kind": "channel",
        "title": "EU store",
        "enabled": True,
        "capabilities": ["pull_orders", "push_stock"],
        "health": {
            "revoked": False,
            "revoked_at": None,
            "revoked_reason": None,
            "last_success_at": "2026-05-04T12:00:00Z",
            "last_failure_at": "2026-05-04T13:00:00Z",
            "last_error": "429 Too Many Requests",
            "inbox": {"pending": 2, "failed": 1, "dead": 1},
            "outbox": {"pending": 1, "failed": 0, "dead": 2},
        },
    }
    us = items["shop-us"]
    assert us["enabled"] is False
    assert us["health"]["revoked"] is True
    assert us["health"]["revoked_reason"] == "app/uninstalled"
    assert us["health"]["outbox"] == {"pending": 1, "failed": 0, "dead": 0}
    manual = items["manual"]
    assert (manual["kind"], manual["capabilities"], manual["health"]["revoked"]) == (
        "channel",
        [],
        False,
    )

    one = await client.get("/connections/shop-eu", headers=auth(tokens["warehouse"]))
    assert one.status_code == 200
    assert one.json() == items["shop-eu"]


async def test_unknown_connection_is_404(client, tokens):
    for name in ("nope", "spreadsheet"):
        response = await client.get(f"/connections/{name}", headers=auth(tokens["admin"]))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_connection"


async def test_plugins_list_names_versions_hooks_and_connectors(client, tokens):
    response = await client.get("/plugins", headers=auth(tokens["read-only"]))
    assert response.status_code == 200
    plugins = {item["name"]: item for item in response.json()["items"]}
    manual = plugins["manual"]
    assert manual["distribution"] == "orderhub"
    assert manual["version"]
    assert manual["enabled"] is True
    assert manual["hooks"] == ["orderhub_register_connectors"]
    assert manual["connectors"] == ["manual"]
    # Blocked by the deny list: listed, not loaded.
    spreadsheet = plugins["spreadsheet"]
    assert (spreadsheet["enabled"], spreadsheet["hooks"], spreadsheet["connectors"]) == (
        False,
        [],
        [],
    )
    test_plugin = plugins["test-plugin-0"]
    assert test_plugin["distribution"] is None
    assert test_plugin["connectors"] == ["test-shop"]


async def test_reading_needs_a_token(client):
    for path in ("/connections", "/connections/manual", "/plugins"):
        response = await client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
