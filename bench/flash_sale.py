"""Flash sale: many orders at a few hot SKUs, through the HTTP API, on PostgreSQL.

Creates a fresh PostgreSQL database, seeds 10 hot SKUs with limited stock in 3 locations and
3 channels (connections of the manual connector, each with its own routing), starts
`--servers` API processes (`orderhub serve --no-worker`) and one `orderhub worker`, then
fires `--orders` orders of 1–5 lines at `--concurrency` at once, round-robin over the
servers. Every order is pre-processed, routed and reserved in its request.

Prints orders/s, p50/p99 latency, the outcome of the orders, oversold units (reservations
beyond on hand minus safety stock, summed over every SKU and location), reserved units that
do not match the reservation ledger, and lost orders (requests not answered 201, or answered
201 without an order stored). Run by hand, not in the test suite:

    uv run python bench/flash_sale.py --orders 20000 --concurrency 64 --servers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from orderhub.core.model import GeoPoint, Item, Location, LocationKind, Money
from orderhub.hub.allocation.audit import audit_stock
from orderhub.hub.assembly import open_hub
from orderhub.hub.auth.tokens import Role, create_token
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.config import parse_settings
from orderhub.hub.locations.service import upsert_location
from orderhub.hub.runtime import Hub
from orderhub.hub.stock import service as stock
from orderhub.hub.store.migrate import upgrade
from orderhub.hub.store.tables import OrderRow

PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
ORDERHUB = Path(sys.executable).with_name("orderhub")
SKUS = [f"HOT-{n:02d}" for n in range(1, 11)]
LOCATIONS = {
    "WH-PAR": (LocationKind.WAREHOUSE, GeoPoint(lat=48.8566, lon=2.3522), 1500),
    "WH-LYO": (LocationKind.WAREHOUSE, GeoPoint(lat=45.7640, lon=4.8357), 1000),
    "ST-MRS": (LocationKind.STORE, GeoPoint(lat=43.2965, lon=5.3698), 500),
}
"""Location -> kind, place, units of each hot SKU: 3,000 per SKU, 30,000 in all."""
CHANNELS: dict[str, dict[str, Any]] = {
    "web": {
        "connector": "manual",
        "feeds_from": ["WH-PAR", "WH-LYO", "ST-MRS"],
        "routing": {"split_min_value": {"amount": 5000, "currency": "EUR"}},
    },
    "app": {
        "connector": "manual",
        "feeds_from": ["WH-PAR", "WH-LYO"],
        "routing": {"allow_split": False},
    },
    "marketplace": {
        "connector": "manual",
        "feeds_from": ["WH-PAR"],
        "routing": {"backorder": "never"},
    },
}
CITIES = [
    ("Paris", "75011", 48.8590, 2.3800),
    ("Lille", "59000", 50.6292, 3.0573),
    ("Nantes", "44000", 47.2184, -1.5536),
    ("Nice", "06000", 43.7102, 7.2620),
    ("Lyon", "69003", 45.7600, 4.8500),
]


async def recreate_database(name: str) -> str:
    engine = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


async def pg_version() -> str:
    engine = create_async_engine(PG_ADMIN)
    async with engine.connect() as conn:
        version = await conn.scalar(sa.text("SHOW server_version"))
        commit = await conn.scalar(sa.text("SHOW synchronous_commit"))
    await engine.dispose()
    return f"PostgreSQL {version} (synchronous_commit={commit})"


def write_config(path: Path, database_url: str, redis_url: str) -> None:
    lines = [
        f'database_url = "{database_url}"',
        f'redis_url = "{redis_url}"',
        "[worker]",
        f'queue_name = "flash-sale-{os.getpid()}"',
    ]
    for conn_id, conf in CHANNELS.items():
        lines += [
            f"[connections.{conn_id}]",
            f'connector = "{conf["connector"]}"',
            "feeds_from = [" + ", ".join(f'"{code}"' for code in conf["feeds_from"]) + "]",
            f"[connections.{conn_id}.routing]",
        ]
        for key, value in conf["routing"].items():
            if isinstance(value, bool):
                lines.append(f"{key} = {str(value).lower()}")
            elif isinstance(value, dict):
                inner = ", ".join(
                    f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}" for k, v in value.items()
                )
                lines.append(f"{key} = {{ {inner} }}")
            else:
                lines.append(f'{key} = "{value}"')
    path.write_text("\n".join(lines) + "\n")


async def seed(hub: Hub) -> str:
    async with hub.transaction() as session:
        for code, (kind, point, _) in LOCATIONS.items():
            await upsert_location(session, Location(code=code, name=code, kind=kind, point=point))
        for sku in SKUS:
            await upsert_item(session, Item(sku=sku, name=sku, price=Money.parse("19.90", "EUR")))
            for code, (_, _, units) in LOCATIONS.items():
                await stock.set_on_hand(session, sku, code, units, reason="flash sale stock")
        return await create_token(session, "flash-sale", Role.OPERATOR)


def order_body(rng: random.Random, n: int) -> dict[str, Any]:
    city, postal, lat, lon = rng.choice(CITIES)
    return {
        "connection": rng.choice(list(CHANNELS)),
        "reference": f"FS-{n:06d}",
        "lines": [
            {"sku": sku, "quantity": rng.randint(1, 3)}
            for sku in rng.sample(SKUS, rng.randint(1, 5))
        ],
        "financial_status": "paid",
        "customer": {"email": f"shopper{n}@example.com", "name": f"Shopper {n}"},
        "shipping_address": {
            "name": f"Shopper {n}",
            "line1": f"{rng.randint(1, 200)} rue de la République",
            "city": city,
            "postal_code": postal,
            "country": "FR",
            "point": {"lat": lat, "lon": lon},
        },
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(ORDERHUB), *args],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit(f"the server on port {port} exited")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not start")


class Client:
    """A lean HTTP/1.1 keep-alive client: the load generator shares the two cores with the
    servers and the database, so it should cost them as little as possible."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = (
            f"POST /orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        close = False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"connection" and value.strip().lower() == b"close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            self.writer.close()
        return status, payload


async def fire(
    ports: list[int], token: str, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[float, list[float], Counter[int], Counter[str], list[str]]:
    latencies: list[float] = []
    codes: Counter[int] = Counter()
    statuses: Counter[str] = Counter()
    accepted: list[str] = []
    encoded = [msgspec.json.encode(body) for body in bodies]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(len(bodies)):
        queue.put_nowait(n)

    async def sender(index: int) -> None:
        client = Client(ports[index % len(ports)], token)
        while not queue.empty():
            n = queue.get_nowait()
            began = time.perf_counter()
            try:
                code, payload = await client.post(encoded[n])
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                codes[0] += 1
                client.writer = None
                print(f"order {n} failed: {exc!r}", file=sys.stderr)
                continue
            latencies.append(time.perf_counter() - began)
            codes[code] += 1
            if code == 201:
                order = msgspec.json.decode(payload)
                statuses[order["status"]] += 1
                accepted.append(order["id"])
            elif codes[code] <= 5:
                print(code, payload[:300], file=sys.stderr)
        if client.writer is not None:
            client.writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(sender(index) for index in range(concurrency)))
    return time.perf_counter() - began, latencies, codes, statuses, accepted


async def audit(hub: Hub, accepted: list[str]) -> dict[str, Any]:
    async with hub.read() as session:
        stock_audit = await audit_stock(session)
        stored = set(await session.scalars(sa.select(OrderRow.id)))
    return {
        "oversold": stock_audit.oversold,
        "reserved": stock_audit.reserved,
        "ledger_mismatch": stock_audit.ledger_mismatch,
        "missing": len(set(accepted) - stored),
        "stored": len(stored),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def main(args: argparse.Namespace) -> None:
    url = await recreate_database(args.database)
    if args.async_commit:
        engine = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(
                sa.text(f'ALTER DATABASE "{args.database}" SET synchronous_commit = off')
            )
        await engine.dispose()
    upgrade(url)
    settings = parse_settings({"database_url": url, "redis_url": args.redis_url})
    hub = open_hub(settings)
    token = await seed(hub)
    work = Path(tempfile.mkdtemp(prefix="flash-sale-"))
    config = work / "orderhub.toml"
    write_config(config, url, args.redis_url)
    env = {**os.environ, "ORDERHUB_CONFIG": str(config)}
    ports = [free_port() for _ in range(args.servers)]
    processes = [
        start(["serve", "--no-worker", "--port", str(port)], env, work / f"api-{port}.log")
        for port in ports
    ]
    processes.append(start(["worker"], env, work / "worker.log"))
    try:
        for port, process in zip(ports, processes, strict=False):
            await wait_healthy(port, process)
        rng = random.Random(args.seed)
        bodies = [order_body(rng, n) for n in range(args.orders)]
        elapsed, latencies, codes, statuses, accepted = await fire(
            ports, token, bodies, args.concurrency
        )
    finally:
        stop(processes)
    result = await audit(hub, accepted)
    await hub.aclose()

    units = sum(line["quantity"] for body in bodies for line in body["lines"])
    lost = (args.orders - codes[201]) + result["missing"]
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, {platform.processor() or '?'}")
    print(
        f"database: {await pg_version()}{' + synchronous_commit=off for the bench DB' if args.async_commit else ''}"
    )
    print(
        f"setup: {args.servers} API processes + 1 worker, concurrency {args.concurrency}, "
        f"{len(SKUS)} SKUs x {len(LOCATIONS)} locations, "
        f"{sum(u for *_, u in LOCATIONS.values()) * len(SKUS)} units in stock, {units} ordered"
    )
    print(f"orders: {args.orders} in {elapsed:.1f} s = {args.orders / elapsed:.0f} orders/s")
    print(
        f"latency: p50 {percentile(latencies, 50) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(f"responses: {dict(codes)}; statuses: {dict(sorted(statuses.items()))}")
    print(
        f"reserved units: {result['reserved']}; oversold units: {result['oversold']}; "
        f"reserved vs reservation ledger mismatch: {result['ledger_mismatch']}; "
        f"lost orders: {lost}; orders stored: {result['stored']}"
    )
    print(f"server logs: {work}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--database", default="orderhub_flash_sale")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--async-commit",
        action="store_true",
        help="synchronous_commit=off for the bench database (commits not waiting for fsync)",
    )
    # A SIGTERM (from timeout or kill) unwinds like an error, so the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    asyncio.run(main(parser.parse_args()))
