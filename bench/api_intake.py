"""Order creation through the API and webhook intake, on PostgreSQL, over real HTTP.

Starts N `orderhub serve --no-worker` processes on a fresh PostgreSQL database, then measures:
  1. POST /orders (the manual channel: validation, pre-processing, routing, reservations);
  2. POST /webhooks/{connection}: signed Shopify orders/create deliveries (verify + inbox + ack).
Prints requests/s and latency percentiles for each. Run by hand:

    uv run python bench/api_intake.py --orders 3000 --webhooks 5000 --concurrency 32 --servers 2
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "connectors/shopify/tests/payloads/orders_create.json"
SECRET = "bench-client-secret"
PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def recreate_database(name: str) -> str:
    engine = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def write_config(path: Path, database_url: str) -> None:
    path.write_text(
        f"""
database_url = "{database_url}"
redis_url = "redis://127.0.0.1:6379/13"

[connections.bench-shop]
connector = "shopify"
settings = {{ shop_domain = "bench-shop.myshopify.com", access_token = "shpat_bench", client_secret = "{SECRET}" }}
"""
    )


def orderhub(config: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orderhub.hub.cli", "--config", str(config), *args],
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def fire(
    requests: list[tuple[str, str, dict, bytes]], concurrency: int
) -> tuple[float, list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            method, url, headers, body = queue.get_nowait()
            started = time.perf_counter()
            response = await client.request(method, url, headers=headers, content=body)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, statuses


def report(
    name: str, count: int, elapsed: float, latencies: list[float], statuses: dict[int, int]
) -> None:
    print(
        f"{name}: {count} requests in {elapsed:.1f} s = {count / elapsed:.0f}/s; "
        f"latency p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms; "
        f"statuses {dict(sorted(statuses.items()))}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--webhooks", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--database", default="orderhub_bench")
    args = parser.parse_args()

    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    database_url = await recreate_database(args.database)
    workdir = Path(tempfile.mkdtemp(prefix="orderhub-bench-"))
    config = workdir / "orderhub.toml"
    write_config(config, database_url)
    orderhub(config, "migrate")
    token = orderhub(config, "token", "create", "--name", "bench", "--role", "admin").stdout.strip()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    ports = [8700 + i for i in range(args.servers)]
    # Popen returns at once: the servers run beside this event loop, which never waits on them.
    servers = [
        subprocess.Popen(  # noqa: ASYNC220
            [
                sys.executable,
                "-m",
                "orderhub.hub.cli",
                "--config",
                str(config),
                "serve",
                "--no-worker",
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            for port in ports:
                for _ in range(100):
                    try:
                        if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)
            base = f"http://127.0.0.1:{ports[0]}"
            await client.put(
                f"{base}/locations/WH1",
                headers=auth,
                json={"name": "Warehouse", "kind": "warehouse"},
            )
            for n in range(20):
                sku = f"SKU-{n:02d}"
                await client.put(
                    f"{base}/items/{sku}",
                    headers=auth,
                    json={"name": f"Item {n}", "price": "9.90", "currency": "EUR"},
                )
                await client.put(
                    f"{base}/stock/{sku}/WH1",
                    headers=auth,
                    json={"on_hand": 1_000_000, "reason": "bench"},
                )

        orders = [
            (
                "POST",
                f"http://127.0.0.1:{ports[i % len(ports)]}/orders",
                auth,
                json.dumps(
                    {
                        "reference": f"bench-{i}",
                        "currency": "EUR",
                        "customer": {"email": f"c{i % 500}@example.com"},
                        "shipping_address": {
                            "name": "A B",
                            "line1": "1 rue X",
                            "city": "Paris",
                            "postal_code": "75001",
                            "country": "FR",
                        },
                        "lines": [
                            {"sku": f"SKU-{(i + k) % 20:02d}", "quantity": 1 + k}
                            for k in range(1 + i % 3)
                        ],
                    }
                ).encode(),
            )
            for i in range(args.orders)
        ]
        elapsed, latencies, statuses = await fire(orders, args.concurrency)
        report("POST /orders", len(orders), elapsed, latencies, statuses)

        sample = json.loads(SAMPLE.read_text())
        deliveries = []
        for i in range(args.webhooks):
            sample["id"] = 900000000 + i
            body = json.dumps(sample).encode()
            digest = base64.b64encode(
                hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
            ).decode()
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Hmac-Sha256": digest,
                "X-Shopify-Shop-Domain": "bench-shop.myshopify.com",
                "X-Shopify-Event-Id": f"evt-{i}",
                "X-Shopify-Webhook-Id": f"wh-{i}",
                "X-Shopify-Api-Version": "2026-04",
            }
            deliveries.append(
                (
                    "POST",
                    f"http://127.0.0.1:{ports[i % len(ports)]}/webhooks/bench-shop",
                    headers,
                    body,
                )
            )
        elapsed, latencies, statuses = await fire(deliveries, args.concurrency)
        report("POST /webhooks (acks)", len(deliveries), elapsed, latencies, statuses)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
