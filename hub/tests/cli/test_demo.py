"""`orderhub demo`: a month of work done through the hub's own services, loaded once.

The tests load the demo with `examples/demo.toml` (its channels, policies, offline carriers and
Shopify store) and check what the demo promises a person clicking through it: every order
came in through the intake (history, a routing trace or a hold from a real check), some are
late, some delivered, stock runs out in places, the Shopify store's dead letters wait for a
replay, and a console admin can sign in with the printed password.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from orderhub.hub.console.queries import late_condition
from orderhub.hub.demo import load_demo
from orderhub.hub.store.tables import Base, OrderRow
from orderhub.hub.store.types import clock_at, utcnow

from .conftest import Cli, write_config

DEMO_TOML = Path(__file__).resolve().parents[3] / "examples" / "demo.toml"


def demo_config() -> dict[str, Any]:
    """examples/demo.toml without its database, Redis and listening address."""
    raw = tomllib.loads(DEMO_TOML.read_text())
    for key in ("database_url", "redis_url", "api"):
        raw.pop(key)
    return raw


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return demo_config()


@pytest.fixture
def demo_cli(tmp_path: Path) -> Cli:
    """The CLI against a fresh SQLite file with the demo's configuration."""
    body = DEMO_TOML.read_text().split("[api]", 1)[1]
    config = write_config(tmp_path / "demo.toml", tmp_path / "hub.db", extra="")
    text = config.read_text().replace('[connections.shop-counter]\nconnector = "manual"\n', "")
    text = text.replace('title = "Lyon store counter"\nsettings = { number_prefix = "LYO-" }\n', "")
    config.write_text(text + "\n[api]" + body)
    runner = Cli(config)
    assert runner("migrate").exit_code == 0
    return runner


def sqlite_engine(tmp_path: Path) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{tmp_path / 'hub.db'}")


def table_counts(conn: Any) -> dict[str, int]:
    return {
        table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in Base.metadata.sorted_tables
    }


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def check_consistency(conn: Any) -> None:
    """What the hub's own rules promise about any data, demo or not."""
    orders = conn.execute(sa.text("SELECT id, status FROM orders")).all()
    last_change: dict[str, str] = {}
    for order_id, detail in conn.execute(
        sa.text(
            "SELECT order_id, detail FROM order_history WHERE action = 'status_changed' "
            "ORDER BY order_id, id"
        )
    ).all():
        last_change[order_id] = _json(detail)["to"]
    for order_id, status in orders:
        assert last_change.get(order_id, "pending") == status, order_id
    first_actions = (
        conn.execute(
            sa.text(
                "SELECT h.action FROM order_history h WHERE h.id IN "
                "(SELECT min(id) FROM order_history GROUP BY order_id)"
            )
        )
        .scalars()
        .all()
    )
    assert len(first_actions) == len(orders)
    assert set(first_actions) == {"created"}
    mismatched = conn.execute(
        sa.text(
            "SELECT l.item_id, l.location_id FROM stock_levels l LEFT JOIN ("
            " SELECT item_id, location_id, sum(quantity) AS q FROM reservations"
            " WHERE status = 'active' GROUP BY item_id, location_id) r"
            " ON r.item_id = l.item_id AND r.location_id = l.location_id"
            " WHERE l.reserved != coalesce(r.q, 0) OR l.on_hand < l.reserved OR l.on_hand < 0"
        )
    ).all()
    assert mismatched == []
    shipped_units = conn.execute(
        sa.text("SELECT coalesce(sum(quantity_shipped), 0) FROM order_lines")
    ).scalar_one()
    ledger_units = conn.execute(
        sa.text("SELECT coalesce(-sum(delta), 0) FROM stock_movements WHERE kind = 'shipment'")
    ).scalar_one()
    assert shipped_units == ledger_units > 0


def check_the_story(conn: Any, now: datetime) -> dict[str, Any]:
    """What a person clicking through the demo is promised; returns figures for the caller."""
    orders = conn.execute(
        sa.text("SELECT id, number, status, routing_trace, promised_date FROM orders")
    ).all()
    held = set(conn.execute(sa.text("SELECT DISTINCT order_id FROM order_holds")).scalars())
    # Every order went through the intake: routed (a trace) or stopped by a check (a hold).
    for order_id, number, _, trace, _ in orders:
        assert _json(trace) or order_id in held, number
    statuses = {status for _, _, status, _, _ in orders}
    assert {"on_hold", "released", "shipped", "delivered", "cancelled"} <= statuses
    # Holds come from the real checks and routing, each with its reason in words.
    holds = conn.execute(sa.text("SELECT reason, source, detail FROM order_holds")).all()
    assert all(detail for _, _, detail in holds)
    sources = {source for _, source, _ in holds}
    assert sources <= {
        "intake",  # an unknown SKU from a channel
        "routing",  # no stock the channel may wait for
        "preprocess.payment",
        "preprocess.address",
        "preprocess.duplicate",
        "preprocess.fraud",
    }
    reasons = {reason for reason, _, _ in holds}
    assert {"payment", "address", "fraud", "unknown_sku"} <= reasons
    details = " ".join(detail for _, _, detail in holds)
    assert "this channel needs it paid before fulfillment" in details
    assert "is not a valid" in details and "postal code" in details
    assert re.search(r"\d orders from \S+ within 60 min \(limit 3\)", details)
    # Promises are real dates, and some of them were missed.
    promised = [p for _, _, status, _, p in orders if status in ("released", "delivered")]
    assert sum(p is not None for p in promised) >= 0.9 * len(promised)
    late = conn.execute(
        sa.select(sa.func.count()).select_from(OrderRow).where(late_condition(now))
    ).scalar_one()
    assert late >= 1
    # Shipped parcels carry a bought label and a tracking number; deliveries were scanned.
    unlabelled = conn.execute(
        sa.text(
            "SELECT count(*) FROM shipments s WHERE s.status = 'shipped' AND (s.tracking_number "
            "IS NULL OR NOT EXISTS (SELECT 1 FROM labels l WHERE l.shipment_id = s.id "
            "AND l.status = 'purchased'))"
        )
    ).scalar_one()
    assert unlabelled == 0
    delivered_scans = conn.execute(
        sa.text("SELECT count(*) FROM tracking_events WHERE status = 'delivered'")
    ).scalar_one()
    assert delivered_scans >= 1
    # Stock ran out in places, and is low in others.
    available = "l.on_hand - l.reserved - l.safety_stock"
    outs = conn.execute(
        sa.text(f"SELECT count(*) FROM stock_levels l WHERE {available} <= 0")
    ).scalar_one()
    low = conn.execute(
        sa.text(f"SELECT count(*) FROM stock_levels l WHERE {available} BETWEEN 1 AND 5")
    ).scalar_one()
    assert outs >= 1 and low >= 1
    # The Shopify store: revoked, its unread topic dead in the inbox, its pushes dead letters.
    revoked = conn.execute(
        sa.text("SELECT revoked_reason FROM connection_state WHERE connection_id = 'shop'")
    ).scalar_one()
    assert "app uninstalled" in revoked
    dead_inbox = conn.execute(
        sa.text("SELECT topic, last_error FROM inbox WHERE status = 'dead'")
    ).all()
    assert [topic for topic, _ in dead_inbox] == ["orders/edited"]
    dead_outbox = conn.execute(
        sa.text("SELECT connection_id, last_error FROM outbox WHERE status = 'dead'")
    ).all()
    assert dead_outbox and all(
        conn_id == "shop" and "revoked" in error for conn_id, error in dead_outbox
    )
    pending_elsewhere = conn.execute(
        sa.text("SELECT count(*) FROM outbox WHERE status = 'pending'")
    ).scalar_one()
    assert pending_elsewhere == 0  # nothing left for the worker to send anywhere
    return {"orders": len(orders), "late": late}


def test_clock_at_dates_what_the_services_write_and_ends_with_its_block():
    moment = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    with clock_at(moment):
        assert utcnow() == moment
    assert utcnow() - datetime.now(UTC) < timedelta(seconds=5)
    with pytest.raises(ValueError), clock_at(datetime(2026, 3, 4, 9, 30)):
        pass


async def test_the_demo_is_a_month_of_real_work_on_both_databases(hub):
    result = await load_demo(hub, orders=150, days=30, seed=3)

    assert not result.skipped
    assert result.orders == 151  # the story's orders and the Shopify store's one
    assert result.carriers == ["demo-express", "demo-post"]
    assert result.late >= 1 and result.dead_inbox == 1 and result.dead_outbox >= 1
    assert result.refused == []
    async with hub.read() as session:
        conn = await session.connection()
        await conn.run_sync(check_consistency)
        figures = await conn.run_sync(check_the_story, utcnow())
    assert figures == {"orders": 151, "late": result.late}
    second = await load_demo(hub, orders=150, days=30, seed=3)
    assert second.skipped and "orders" in second.existing


def test_demo_prints_how_to_sign_in_and_loads_only_once(demo_cli: Cli, tmp_path: Path):
    result = demo_cli("demo", "--orders", "120")

    assert result.exit_code == 0, result.output
    out = result.stdout
    console = re.search(
        r"console\s+(http://127\.0\.0\.1:8000/console)\s+user (\S+)\s+password (\S+)", out
    )
    assert console is not None, out
    _, username, password = console.groups()
    token = re.search(
        r"(http://127\.0\.0\.1:8000/schema/swagger)\s+Authorize with the token (ohk_\S+)", out
    )
    assert token is not None, out
    assert re.search(r"late: [1-9]\d*;", out)
    assert "dead letters to replay: 1 inbox" in out
    engine = sqlite_engine(tmp_path)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT password_hash, role FROM console_users WHERE username = :u"),
            {"u": username},
        ).one()
        assert stored.role == "admin"
        assert PasswordHasher().verify(stored.password_hash, password)
        assert conn.execute(sa.text("SELECT count(*) FROM orders")).scalar_one() == 121
        check_consistency(conn)
        before = table_counts(conn)
    engine.dispose()

    again = demo_cli("demo")

    assert again.exit_code == 0, again.output
    assert "Nothing was added" in again.stdout
    engine = sqlite_engine(tmp_path)
    with engine.connect() as conn:
        assert table_counts(conn) == before
    engine.dispose()


def test_demo_reset_erases_and_reloads(demo_cli: Cli, tmp_path: Path):
    assert demo_cli("demo", "--orders", "20", "--seed", "7").exit_code == 0
    refused = demo_cli("demo", "--orders", "20", "--reset", input="n\n")
    assert refused.exit_code == 1  # aborted at the prompt, nothing erased
    engine = sqlite_engine(tmp_path)
    with engine.connect() as conn:
        first = table_counts(conn)
    engine.dispose()

    result = demo_cli("demo", "--orders", "30", "--reset", "--yes")

    assert result.exit_code == 0, result.output
    engine = sqlite_engine(tmp_path)
    with engine.connect() as conn:
        counts = table_counts(conn)
        check_consistency(conn)
    engine.dispose()
    assert first["orders"] == 21 and counts["orders"] == 31
    assert counts["api_tokens"] == 1 and counts["console_users"] == 1
    assert counts["items"] == first["items"]
