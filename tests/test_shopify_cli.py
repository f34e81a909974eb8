"""`orderhub sync` and `orderhub webhooks register` against a Shopify store (respx, in-process).

The commands read a real config file, open a migrated SQLite hub and call Shopify's GraphQL
Admin API, answered in its documented shapes from the connector package's payloads.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import sqlalchemy as sa
from click.testing import CliRunner

from orderhub.hub.cli import main
from orderhub.hub.store.migrate import upgrade
from orderhub.hub.testing import REDIS_URL

PAYLOADS = Path(__file__).resolve().parents[1] / "connectors" / "shopify" / "tests" / "payloads"
SHOP = "acme-eu.myshopify.com"
GRAPHQL = f"https://{SHOP}/admin/api/2026-04/graphql.json"
_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_bytes())


@pytest.fixture
def config(tmp_path: Path) -> Any:
    """A migrated SQLite hub with one store; the test Redis database is emptied after."""
    from redis import Redis

    database = tmp_path / "hub.db"
    upgrade(f"sqlite+aiosqlite:///{database}")
    path = tmp_path / "orderhub.toml"
    path.write_text(
        f"""
database_url = "sqlite+aiosqlite:///{database}"
redis_url = "{REDIS_URL}"

[api]
public_url = "https://oms.example.com"

[worker]
queue_name = "orderhub-cli-test-{uuid.uuid4().hex[:8]}"

[plugins]
allow = ["manual", "spreadsheet", "shopify"]

[connections.shopify-eu]
connector = "shopify"
settings = {{ shop_domain = "{SHOP}", access_token = "shpat_x", client_secret = "s" }}
locations = {{ "24826418" = "PAR" }}
"""
    )
    yield path
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    redis.close()


class Store:
    """Answers queued per GraphQL operation; the variables of every call kept."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.answers: dict[str, list[Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        router.post(GRAPHQL).mock(side_effect=self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        operation = _OPERATION.match(body["query"]).group(1)
        self.calls.append((operation, body.get("variables") or {}))
        answer = self.answers[operation].pop(0)
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=payload(answer) if isinstance(answer, str) else answer)


def run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)


def test_sync_pulls_every_page_and_a_second_run_resumes(config: Path, tmp_path: Path):
    with respx.mock(assert_all_called=False) as router:
        store = Store(router)
        store.answers = {
            "OrdersPage": ["graphql_orders_page_1.json", "graphql_orders_page_2.json"],
            "OrderLineItems": ["graphql_order_line_items.json"],
        }
        first = run(config, "sync", "shopify-eu")
        store.answers["OrdersPage"] = [httpx.Response(503)]
        second = run(config, "sync", "shopify-eu")

    assert first.exit_code == 0, first.output
    assert "shopify-eu: 2 page(s), 3 order snapshot(s), 4 change(s) merged" in first.output
    assert second.exit_code == 1
    assert "stopped: TransientError" in second.output
    pages = [variables for name, variables in store.calls if name == "OrdersPage"]
    assert (
        pages[-1]["query"] == "updated_at:>='2026-05-06T08:31:07Z'" and pages[-1]["after"] is None
    )
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with engine.connect() as conn:
        numbers = conn.execute(sa.text("SELECT number FROM orders ORDER BY number")).scalars().all()
        cursor = conn.execute(sa.text("SELECT cursor FROM sync_cursors")).scalar()
    engine.dispose()
    assert numbers == ["#1042", "#1044", "#1045"]
    assert json.loads(cursor)["since"] == "2026-05-06T08:31:07Z"


def test_webhooks_register_subscribes_the_public_url(config: Path):
    with respx.mock(assert_all_called=False) as router:
        store = Store(router)
        store.answers = {
            "WebhookSubscriptions": ["graphql_webhook_subscriptions.json"],
            "CreateWebhook": ["graphql_webhook_create.json"] * 6,
        }
        result = run(config, "webhooks", "register", "shopify-eu")
        unknown = run(config, "webhooks", "register", "nope")

    assert result.exit_code == 0, result.output
    assert (
        "7 subscription(s) deliver to https://oms.example.com/webhooks/shopify-eu" in result.output
    )
    uris = {v["webhookSubscription"]["uri"] for name, v in store.calls if name == "CreateWebhook"}
    assert uris == {"https://oms.example.com/webhooks/shopify-eu"}
    assert unknown.exit_code == 1 and "no connection 'nope'" in unknown.output


def test_the_two_store_configuration_in_the_docs_loads(monkeypatch: pytest.MonkeyPatch):
    import tomllib

    from orderhub.hub.config import parse_settings
    from orderhub.hub.runtime import load_plugins, resolve_connections

    text = (Path(__file__).resolve().parents[1] / "docs" / "shopify.md").read_text()
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    for name in ("SHOPIFY_EU_TOKEN", "SHOPIFY_EU_SECRET", "SHOPIFY_US_TOKEN", "SHOPIFY_US_SECRET"):
        monkeypatch.setenv(name, f"value-of-{name}")
    raw = tomllib.loads(example)
    raw["plugins"] = {"allow": ["manual", "spreadsheet", "shopify"]}
    settings = parse_settings(raw)

    connections = resolve_connections(settings, load_plugins(settings))

    eu, us = connections["shopify-eu"], connections["shopify-us"]
    assert eu.settings.shop_domain == "acme-eu.myshopify.com"
    assert eu.settings.access_token == "value-of-SHOPIFY_EU_TOKEN"
    assert us.settings.notify_customer is False
    assert eu.locations == {"24826418": "PAR-WH", "24826419": "LYS-STORE"}
    assert settings.worker.pull_interval_seconds == 300
