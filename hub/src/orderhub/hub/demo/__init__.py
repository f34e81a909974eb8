"""`orderhub demo`: a month of a small merchant's life, played through the hub's own services.

- `data`: the places, catalogue, opening stock, purchase orders and people (all invented);
- `story`: the timeline — orders entering through their channel's intake, holds dealt with,
  fulfillment from release to the customer's door, deliveries filling backorders;
- `shopify`: what the configured Shopify store sends before the story (an order with an
  unknown SKU, a topic OrderHub does not read, the app's uninstallation).

`load_demo` loads all that into an empty database, then creates a console admin and an API
token. It uses what the configuration offers: the channels of the built-in connectors, the
carrier connections that rate and sell labels (`examples/demo.toml` has two offline ones,
so the demo needs no network), and the Shopify connections.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connection import Connection
from orderhub.core.model import Item, MovementKind
from orderhub.hub.allocation.receipts import add_incoming
from orderhub.hub.allocation.schemas import IncomingIn
from orderhub.hub.auth.tokens import Role, create_token
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.console.accounts import create_user
from orderhub.hub.console.queries import late_condition
from orderhub.hub.demo import shopify
from orderhub.hub.demo.data import (
    DELIVERIES,
    LOCATIONS,
    OPENING_STOCK,
    SAFETY_STOCK,
    SCARCE,
    STORE_RANGE,
    catalogue,
)
from orderhub.hub.demo.story import COUNTER_DAYS, OPERATOR, Story
from orderhub.hub.fulfillment.rateshop import carrier_connections
from orderhub.hub.locations.service import upsert_location
from orderhub.hub.runtime import Hub
from orderhub.hub.stock.service import set_on_hand
from orderhub.hub.store.tables import (
    Base,
    InboxRow,
    ItemRow,
    LocationRow,
    OrderHoldRow,
    OrderRow,
    OutboxRow,
)
from orderhub.hub.store.types import clock_at, utcnow
from orderhub.hub.sync.dispatch import dispatch_outbox
from orderhub.hub.sync.state import revocation

DEMO_TOKEN_NAME = "demo-admin"
CONSOLE_USER = "admin"
CHANNEL_CONNECTORS = ("manual", "spreadsheet")
COUNTER_CONNECTION = "shop-counter"
"""A manual-connector connection taken as the Lyon store's click & collect desk."""
CHANNEL_WEIGHTS = {"spreadsheet": 45, COUNTER_CONNECTION: 12}
"""Share of the orders per channel (any other channel: 35)."""


@dataclass
class DemoResult:
    skipped: bool = False
    existing: str = ""
    """When skipped: what the database already held."""
    channels: list[str] = field(default_factory=list)
    carriers: list[str] = field(default_factory=list)
    locations: int = 0
    items: int = 0
    orders: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)
    late: int = 0
    on_hold: dict[str, int] = field(default_factory=dict)
    """Active holds by reason."""
    dead_inbox: int = 0
    dead_outbox: int = 0
    refused: list[str] = field(default_factory=list)
    """Story steps a service refused (normal for a few: e.g. a cancel after shipping)."""
    seconds: float = 0.0
    token: str | None = None
    username: str | None = None
    password: str | None = None


async def existing_data(hub: Hub) -> str:
    """What the database holds that the demo would mix with ("" when it is empty)."""
    async with hub.read() as session:
        counts = {
            name: await session.scalar(sa.select(sa.func.count()).select_from(table))
            for name, table in (
                ("orders", OrderRow),
                ("items", ItemRow),
                ("locations", LocationRow),
            )
        }
    return ", ".join(f"{n} {name}" for name, n in counts.items() if n)


async def erase_everything(hub: Hub) -> None:
    """Delete every row of every table (the schema stays). For `orderhub demo --reset`."""
    async with hub.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(table.delete())


def demo_channels(hub: Hub) -> list[Connection]:
    return [
        conn
        for conn in sorted(hub.connections.values(), key=lambda c: c.id)
        if conn.enabled and conn.connector in CHANNEL_CONNECTORS
    ]


async def load_demo(
    hub: Hub,
    *,
    orders: int = 500,
    days: int = 30,
    seed: int = 42,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Load the demo into an empty database; into a non-empty one, load nothing."""
    existing = await existing_data(hub)
    if existing:
        return DemoResult(skipped=True, existing=existing)
    started = time.perf_counter()
    rng = random.Random(seed)
    now = utcnow()
    start = now - timedelta(days=days)
    items = catalogue()
    channels = demo_channels(hub)
    with clock_at(start - timedelta(days=2)):
        async with hub.transaction() as session:
            await _places_and_stock(session, items, rng, start=start, days=days)
    with _quiet_sync_log():
        await shopify.before_the_story(hub, start)
    story = Story(hub, rng, items, start=start, now=now, progress=progress)
    _schedule(story, channels, orders, days)
    for delivery in DELIVERIES:
        story.at(story.delivery_time(delivery, days), story.delivery, delivery)
    await story.run()
    dead = await _dispatch_to_revoked(hub)
    username, password, token = await _accounts(hub)
    result = await _summary(hub, now)
    result.channels = [conn.id for conn in channels]
    result.carriers = carrier_connections(hub)
    result.locations, result.items = len(LOCATIONS), len(items)
    result.refused = story.counts.refused
    result.dead_outbox = max(result.dead_outbox, dead)
    result.username, result.password, result.token = username, password, token
    result.seconds = time.perf_counter() - started
    return result


async def _places_and_stock(
    session: AsyncSession, items: list[Item], rng: random.Random, *, start: datetime, days: int
) -> None:
    """Locations, the catalogue, opening stock (scarce SKUs with a few units in all) and the
    purchase orders announced as incoming."""
    for location in LOCATIONS:
        await upsert_location(session, location)
    for item in items:
        await upsert_item(session, item)
    for item in items:
        scarce = SCARCE.get(item.sku)
        for code, (low, high) in OPENING_STOCK.items():
            if code == "LYO-ST" and not item.sku.startswith(STORE_RANGE):
                continue
            quantity = rng.randint(0, scarce) if scarce is not None else rng.randint(low, high)
            await set_on_hand(
                session,
                item.sku,
                code,
                quantity,
                kind=MovementKind.RECEIPT,
                reason="opening stock (demo)",
                reference="DEMO-OPENING",
                actor=str(OPERATOR),
                safety_stock=SAFETY_STOCK.get(code),
            )
    for delivery in DELIVERIES:
        expected = (start + timedelta(days=days * delivery.arrives)).date()
        for sku, units in delivery.units.items():
            await add_incoming(
                session,
                IncomingIn(
                    sku=sku,
                    location=delivery.location,
                    quantity=units,
                    expected_on=expected,
                    reference=delivery.reference,
                ),
            )


def _schedule(story: Story, channels: list[Connection], orders: int, days: int) -> None:
    """Every order's placing on the timeline, a few duplicates and two bursts among them."""
    if not channels:
        return
    rng = story.rng
    weights = {conn.id: CHANNEL_WEIGHTS.get(conn.id, 35) for conn in channels}
    by_id = {conn.id: conn for conn in channels}
    phone = next(
        (c for c in channels if c.connector == "manual" and c.id != COUNTER_CONNECTION), None
    )
    bursts = (
        {int(orders * 0.55), int(orders * 0.97)} if phone is not None and orders >= 40 else set()
    )
    count = 0
    while count < orders:
        age = timedelta(days=days) * (1 - (count + rng.random()) / orders)
        placed = story.now - age
        if count in bursts and phone is not None:
            for draft in story.burst(phone, placed)[: orders - count]:
                story.at(draft.placed_at, story.place, draft)
                count += 1
            continue
        conn = by_id[rng.choices(list(weights), weights=list(weights.values()))[0]]
        pickup = conn.id == COUNTER_CONNECTION
        if pickup and age > timedelta(days=COUNTER_DAYS):
            conn = phone or channels[0]
            pickup = False
        draft = story.draft(conn, placed, pickup=pickup)
        story.at(placed, story.place, draft)
        count += 1
        if conn.connector == "manual" and not pickup and count < orders and rng.random() < 0.012:
            again = story.copy_of(draft, placed + timedelta(minutes=rng.randint(3, 12)))
            story.at(again.placed_at, story.place, again)
            count += 1


async def _dispatch_to_revoked(hub: Hub) -> int:
    """Run the worker's dispatch job on what waits for a revoked connection: it calls
    nothing and dead-letters each row with the revocation's reason."""
    dead = 0
    async with hub.read() as session:
        revoked = [
            conn_id
            for conn_id in sorted(hub.connections)
            if await revocation(session, conn_id) is not None
        ]
        ids = (
            list(
                await session.scalars(
                    sa.select(OutboxRow.id)
                    .where(OutboxRow.connection_id.in_(revoked), OutboxRow.status == "pending")
                    .order_by(OutboxRow.id)
                )
            )
            if revoked
            else []
        )
    with _quiet_sync_log():
        for outbox_id in ids:
            if await dispatch_outbox({"hub": hub}, outbox_id) == "dead":
                dead += 1
    return dead


@contextmanager
def _quiet_sync_log() -> Iterator[None]:
    """The worker logs each dead letter as a warning: expected here, and noise in the
    command's output (the summary counts them)."""
    logger = logging.getLogger("orderhub.hub.sync")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


async def _accounts(hub: Hub) -> tuple[str, str, str]:
    """A console admin with a generated password, and an admin API token."""
    password = secrets.token_urlsafe(12)
    async with hub.transaction() as session:
        await create_user(session, CONSOLE_USER, password, Role.ADMIN)
        token = await create_token(session, DEMO_TOKEN_NAME, Role.ADMIN)
    return CONSOLE_USER, password, token


async def _summary(hub: Hub, now: datetime) -> DemoResult:
    result = DemoResult()
    async with hub.read() as session:
        statuses = await session.execute(
            sa.select(OrderRow.status, sa.func.count()).group_by(OrderRow.status)
        )
        result.status_counts = dict(sorted(statuses.all()))
        result.orders = sum(result.status_counts.values())
        result.late = (
            await session.scalar(
                sa.select(sa.func.count()).select_from(OrderRow).where(late_condition(now))
            )
            or 0
        )
        holds = await session.execute(
            sa.select(OrderHoldRow.reason, sa.func.count())
            .join(OrderRow, OrderRow.id == OrderHoldRow.order_id)
            .where(OrderHoldRow.released_at.is_(None), OrderRow.status == "on_hold")
            .group_by(OrderHoldRow.reason)
        )
        result.on_hold = dict(sorted(holds.all()))
        result.dead_inbox = (
            await session.scalar(sa.select(sa.func.count()).where(InboxRow.status == "dead")) or 0
        )
        result.dead_outbox = (
            await session.scalar(sa.select(sa.func.count()).where(OutboxRow.status == "dead")) or 0
        )
    return result
