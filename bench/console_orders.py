"""How long the console's orders list takes on the server with 10,000 demo orders.

    uv run python bench/console_orders.py                    # SQLite in a temp dir
    uv run python bench/console_orders.py --database-url postgresql+asyncpg://...  # empty DB
    uv run python bench/console_orders.py --keep /tmp/bench.db   # reuse the loaded file

Loads the demo data (`orderhub.hub.demo`, the same orders `orderhub demo` makes) unless the
database already holds orders, signs in as a console user, then requests each filter of the
list several times through the app in process (no network, no browser): the time measured is
the server's, from the request entering the app to the last byte of the page. Prints the
median, 95th percentile and maximum per filter, and the number of rows on the page.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import statistics
import tempfile
import time
import tomllib
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

from orderhub.hub.app import create_app
from orderhub.hub.assembly import open_hub
from orderhub.hub.config import parse_settings
from orderhub.hub.console.accounts import create_user, find_user
from orderhub.hub.demo import load_demo
from orderhub.hub.runtime import Hub
from orderhub.hub.store.migrate import upgrade
from orderhub.hub.store.tables import OrderHistoryRow, OrderRow

USER, PASSWORD = "bench-operator", "bench-password-1"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


async def ensure_data(hub: Hub, orders: int) -> int:
    async with hub.read() as session:
        existing = await session.scalar(sa.select(sa.func.count()).select_from(OrderRow)) or 0
    if not existing:
        started = time.perf_counter()
        step = max(1, orders // 20)
        done = 0

        def progress(n: int) -> None:
            nonlocal done
            done += n
            if done % step == 0:
                print(f"  loading demo orders: {done}/{orders}", flush=True)

        await load_demo(hub, orders=orders, days=60, seed=7, progress=progress)
        print(f"loaded {orders} demo orders in {time.perf_counter() - started:.0f} s")
    async with hub.transaction() as session:
        if await find_user(session, USER) is None:
            await create_user(session, USER, PASSWORD, "operator")
        return await session.scalar(sa.select(sa.func.count()).select_from(OrderRow)) or 0


async def samples(hub: Hub) -> dict[str, str]:
    """Real values to search and filter by, taken from the data."""
    async with hub.read() as session:
        row = await session.scalar(
            sa.select(OrderRow).where(OrderRow.customer_email.is_not(None)).order_by(OrderRow.id)
        )
        tracking = await session.scalar(
            sa.select(OrderHistoryRow.detail["tracking_number"].as_string()).where(
                OrderHistoryRow.action == "shipped",
                OrderHistoryRow.detail["tracking_number"].as_string().is_not(None),
            )
        )
        week = await session.scalar(sa.select(sa.func.max(OrderRow.placed_at)))
    assert row is not None and week is not None
    return {
        "email": row.customer_email or "",
        "number": row.number,
        "tracking": tracking or "",
        "to": week.date().isoformat(),
        "from": (week.date().fromordinal(week.date().toordinal() - 7)).isoformat(),
    }


async def run(database_url: str, orders: int, repeat: int) -> None:
    # The demo's own connections and policies, so the loaded month ships, holds and goes late.
    raw = tomllib.loads((Path(__file__).parents[1] / "examples" / "demo.toml").read_text())
    raw["database_url"] = database_url
    raw["redis_url"] = os.environ.get("ORDERHUB_BENCH_REDIS", "redis://127.0.0.1:6379/10")
    raw.setdefault("worker", {})["queue_name"] = f"orderhub-bench-{uuid.uuid4().hex[:8]}"
    settings = parse_settings(raw)
    await asyncio.to_thread(upgrade, database_url)
    hub = open_hub(settings)
    total = await ensure_data(hub, orders)
    values = await samples(hub)
    app = create_app(hub=hub)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
        form = await client.get("/console/login")
        token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        signed = await client.post(
            "/console/login", data={"username": USER, "password": PASSWORD, "_csrf": token}
        )
        assert signed.status_code == 303, signed.text
        first = await client.get("/console/orders")
        cursor = re.search(r"cursor=([A-Za-z0-9_-]+)", first.text)
        cases = {
            "first page": "/console/orders",
            "next page (cursor)": f"/console/orders?cursor={cursor.group(1) if cursor else ''}",
            "status=delivered": "/console/orders?status=delivered",
            "status=on_hold": "/console/orders?status=on_hold",
            "channel=spreadsheet": "/console/orders?channel=spreadsheet",
            "location=PAR-WH": "/console/orders?location=PAR-WH",
            "late only": "/console/orders?late=1",
            "placed in one week": f"/console/orders?placed_from={values['from']}&placed_to={values['to']}",
            "customer e-mail": f"/console/orders?customer={values['email']}",
            "search: order number": f"/console/orders?q={values['number']}",
            "search: e-mail": f"/console/orders?q={values['email']}",
            "search: tracking number": f"/console/orders?q={values['tracking']}",
            "htmx results only": "/console/orders?status=shipped",
            "dashboard": "/console/",
        }
        print(
            f"\n{total} orders in {sa.make_url(database_url).get_backend_name()}; "
            f"{repeat} requests per case, server time in ms\n"
        )
        print(f"{'case':28} {'median':>8} {'p95':>8} {'max':>8} {'rows':>6}")
        worst = 0.0
        for name, path in cases.items():
            headers = {"HX-Request": "true", "HX-Target": "results"} if "htmx" in name else {}
            await client.get(path, headers=headers)  # warm the statement cache
            times = []
            rows = 0
            for _ in range(repeat):
                started = time.perf_counter()
                answer = await client.get(path, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
                rows = answer.text.count('<input type="checkbox" name="order"')
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            if name != "dashboard":
                worst = max(worst, p95)
            print(f"{name:28} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f} {rows:6}")
        print(f"\nslowest orders-list p95: {worst:.1f} ms (target: under 200 ms)")
    await hub.aclose()


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", default=None, help="SQLite file to create or reuse.")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if args.database_url:
        url = args.database_url
    else:
        path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(run(url, args.orders, args.repeat))


if __name__ == "__main__":
    main()
