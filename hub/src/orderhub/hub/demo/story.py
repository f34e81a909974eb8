"""The demo's month, played through the hub's own services in the order things happen.

Every step is an event on one timeline (a heap ordered by time) and runs inside
`clock_at(its time)`, so what the services write — history, holds, reservations, ledger,
routing traces, delivery promises, labels, tracking — is dated when it happened in the story.
Nothing is written around the services:

- orders enter through the real intake: the manual channels through `create_manual_order`
  (what `POST /orders` calls), marketplace orders through `accept_order` as the spreadsheet
  import does. The channel's checks, routing and promise decide what becomes of them;
- held orders are dealt with as an operator would: a fraud review cleared, a mistyped
  postal code corrected by an edit (checks and routing run again), an unpaid or duplicate
  order cancelled — or left waiting when the hold is recent;
- allocated orders are released by the location's release rule, picked (now and then
  short, which re-routes), packed, and shipped with a label from the configured carriers;
- the carriers' scans arrive as tracking events; deliveries of purchase orders fill
  backorders oldest first.

Some orders stall on purpose, so the dashboard has work: a pick list the store did not get
to, a packed parcel never handed over, a parcel lost in transit, a delivery exception.
Steps due after now do not happen: those orders are where they would be today.
"""

from __future__ import annotations

import heapq
import random
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connection import Connection
from orderhub.core.model import (
    Actor,
    ActorKind,
    Address,
    Customer,
    FinancialStatus,
    GeoPoint,
    HoldReason,
    Item,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    ShippingLine,
    TrackingEvent,
    TrackingStatus,
)
from orderhub.hub.allocation.edits import edit_order
from orderhub.hub.allocation.holds import clear_hold
from orderhub.hub.allocation.intake import accept_order
from orderhub.hub.allocation.receipts import receive
from orderhub.hub.allocation.schemas import OrderEditIn, ReceiptIn
from orderhub.hub.demo.data import (
    CITIES,
    COUNTRY_WEIGHTS,
    DELIVERY_HOUR,
    FIRST_NAMES,
    LAST_NAMES,
    LOCATIONS,
    POPULAR,
    STORE_RANGE,
    STREETS,
    Delivery,
)
from orderhub.hub.errors import HubError
from orderhub.hub.fulfillment.packing import pack
from orderhub.hub.fulfillment.picking import confirm_picks
from orderhub.hub.fulfillment.release import RELEASABLE, release_due
from orderhub.hub.fulfillment.schemas import PackIn, ParcelIn, PickIn, PicksIn
from orderhub.hub.fulfillment.shipping import ship
from orderhub.hub.fulfillment.tracking import record_events
from orderhub.hub.fulfillment.waves import next_wave
from orderhub.hub.orders.cancellation import cancel_and_notify
from orderhub.hub.orders.manual import create_manual_order
from orderhub.hub.orders.schemas import ManualOrderIn
from orderhub.hub.runtime import Hub
from orderhub.hub.schemas import AddressIn
from orderhub.hub.store.tables import (
    FulfillmentLineRow,
    FulfillmentRow,
    LocationRow,
    OrderHoldRow,
    OrderRow,
    ShipmentRow,
)
from orderhub.hub.store.types import clock_at

OPERATOR = Actor(kind=ActorKind.USER, name="demo-operator")
"""The back-office person: imports marketplace files, takes phone orders, reviews holds."""
CLERK = Actor(kind=ActorKind.USER, name="lyon-counter")
"""The Lyon store's staff, who take click & collect orders."""
WAREHOUSE = Actor(kind=ActorKind.USER, name="demo-warehouse")
"""Whoever picks, packs and ships at the locations."""
TRACKING_SOURCE = "demo"
"""`tracking_events.source` of the scans the story invents for its offline carriers."""

MARKETPLACE_FIRST_NUMBER = 40201
FREE_SHIPPING_FROM = 6000
SHIPPING_PRICES = {"standard": 490, "express": 990}
PACKAGING_GRAMS = 250
COUNTER_DAYS = 2.5
"""Click & collect orders are only the last few days': the hub has no "handed over" step
yet (see docs/fulfillment.md), so older ones would all still wait at the counter."""

CANCEL_REASONS = [
    "customer changed their mind",
    "customer ordered the wrong size",
    "customer found it cheaper elsewhere",
]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Draft:
    """One order of the story, decided up front with the seeded generator."""

    connection: Connection
    placed_at: datetime
    lines: list[tuple[str, int]]
    customer: Customer
    address: Address | None
    financial: FinancialStatus
    shipping_code: str = "standard"
    pickup: bool = False
    fixed_address: Address | None = None
    """The right address, when the one ordered has a mistake a person corrects later."""
    cancel_after: timedelta | None = None
    stall: str | None = None
    """Where the order stops on purpose: pick, ship, lost, exception."""
    short_pick: bool = False
    order_id: str | None = None
    number: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Parcel:
    """What the scans of one shipped parcel need to know about it."""

    connection_id: str
    tracking_number: str
    carrier: str
    transit_days: int


@dataclass
class Counts:
    placed: int = 0
    shipped: int = 0
    short_picks: int = 0
    deliveries: int = 0
    backorders_filled: int = 0
    refused: list[str] = field(default_factory=list)
    """Steps a service refused (its code and message), kept for the summary."""


class Story:
    """The timeline and the steps; `run` plays it up to `now`."""

    def __init__(
        self,
        hub: Hub,
        rng: random.Random,
        items: list[Item],
        *,
        start: datetime,
        now: datetime,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.hub = hub
        self.rng = rng
        self.items = {item.sku: item for item in items}
        self.start = start
        self.now = now
        self.progress = progress
        self.counts = Counts()
        self.drafts: dict[str, Draft] = {}
        self._queue: list[tuple[datetime, int, Callable[..., Awaitable[None]], tuple]] = []
        self._seq = 0
        self._zones = {loc.code: ZoneInfo(loc.schedule.timezone) for loc in LOCATIONS}
        self._weights = {sku: 3.0 if sku.startswith(POPULAR) else 1.0 for sku in self.items}

    # ------------------------------------------------------------------ timeline

    def at(self, when: datetime, step: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Schedule a step; one due after now never happens (the story ends today)."""
        if when <= self.now:
            self._seq += 1
            heapq.heappush(self._queue, (when, self._seq, step, args))

    async def run(self) -> None:
        while self._queue:
            when, _, step, args = heapq.heappop(self._queue)
            with clock_at(when):
                await step(when, *args)

    async def _attempt(
        self, what: str, action: Callable[[], Awaitable[Any]], session: AsyncSession | None = None
    ) -> Any:
        """Run a service call; a refusal (a 4xx the API would answer) is noted, not fatal.
        In a transaction it runs in a savepoint, so a refusal leaves nothing half done."""
        try:
            if session is None:
                return await action()
            async with session.begin_nested():
                return await action()
        except HubError as exc:
            self.counts.refused.append(f"{what}: {exc.code}: {exc.message}")
            return None

    def working_time(self, when: datetime, location: str, *, saturday: bool = False) -> datetime:
        """The same moment if the location works then (08:00-18:00, Mon-Fri, or Sat too),
        else 08:00 plus a little on its next working day."""
        zone = self._zones[location]
        local = when.astimezone(zone)
        last_day = 5 if saturday else 4
        if local.weekday() <= last_day and time(8) <= local.time() < time(18):
            return when
        day = local.date() + timedelta(days=0 if local.time() < time(8) else 1)
        while day.weekday() > last_day:
            day += timedelta(days=1)
        start = datetime.combine(day, time(8), tzinfo=zone)
        return start + timedelta(minutes=self.rng.randint(5, 90))

    # ------------------------------------------------------------------ drafting orders

    def _address(self, country: str, name: str) -> Address:
        city, postal_code, lat, lon = self.rng.choice(CITIES[country])
        return Address(
            name=name,
            line1=self.rng.choice(STREETS[country]).format(n=self.rng.randint(1, 140)),
            city=city,
            postal_code=postal_code,
            country=country,
            point=GeoPoint(lat=lat, lon=lon),
        )

    def _person(self, country: str) -> tuple[Customer, Address]:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES[country]), rng.choice(LAST_NAMES[country])
        domain = rng.choice(["example.com", "example.org", "example.net"])
        email = f"{_ascii(first)}.{_ascii(last).replace(' ', '')}{rng.randint(1, 99)}@{domain}"
        name = f"{first} {last}"
        return Customer(email=email, name=name), self._address(country, name)

    def _basket(self, *, store: bool = False) -> list[tuple[str, int]]:
        """One to three SKUs, popular ones more often; the store's range only for a pickup."""
        weights = {
            sku: w for sku, w in self._weights.items() if not store or sku.startswith(STORE_RANGE)
        }
        count = _pick(self.rng, {1: 55, 2: 32, 3: 13})
        chosen: list[str] = []
        while len(chosen) < count:
            sku = self.rng.choices(list(weights), weights=list(weights.values()))[0]
            if sku not in chosen:
                chosen.append(sku)
        return [(sku, _pick(self.rng, {1: 78, 2: 18, 3: 4})) for sku in chosen]

    def draft(self, connection: Connection, placed_at: datetime, *, pickup: bool) -> Draft:
        """A customer, a basket and what will become of the order (see the module doc)."""
        rng = self.rng
        country = "FR" if pickup else _pick(rng, COUNTRY_WEIGHTS)
        customer, address = self._person(country)
        marketplace = connection.connector == "spreadsheet"
        financial = FinancialStatus.PAID if marketplace else FinancialStatus.AUTHORIZED
        if pickup:
            financial = FinancialStatus.PENDING  # paid at the counter
        draft = Draft(
            connection=connection,
            placed_at=placed_at,
            lines=self._basket(store=pickup),
            customer=customer,
            address=None if pickup else address,
            financial=financial,
            pickup=pickup,
            shipping_code="express" if not pickup and rng.random() < 0.15 else "standard",
        )
        if pickup:
            return draft
        roll = rng.random()
        if roll < 0.015:  # a big order: over the fraud review threshold
            sku = rng.choice([s for s in self.items if s.startswith("HOO-")])
            draft.lines = [(sku, rng.randint(7, 12))]
        elif roll < 0.045:  # a mistyped postal code, corrected later by an operator
            draft.fixed_address = address
            draft.address = msgspec.structs.replace(
                address, postal_code=(address.postal_code or "")[:-1]
            )
        elif roll < 0.05:  # a country the merchant does not ship to
            draft.address = self._address("CH", address.name or "")
        elif roll < 0.10:  # not paid as the channel requires
            draft.financial = (
                rng.choice([FinancialStatus.AUTHORIZED, FinancialStatus.PENDING])
                if marketplace
                else FinancialStatus.PENDING
            )
        elif roll < 0.14:
            draft.cancel_after = timedelta(minutes=rng.randint(20, 300))
        fate = rng.random()
        if fate < 0.03:
            draft.stall = "pick"
        elif fate < 0.045:
            draft.stall = "ship"
        elif fate < 0.06:
            draft.stall = "lost"
        elif fate < 0.07:
            draft.stall = "exception"
        draft.short_pick = rng.random() < 0.03
        return draft

    def copy_of(self, draft: Draft, placed_at: datetime) -> Draft:
        """The same order keyed in a second time (the duplicate check's case)."""
        return Draft(
            connection=draft.connection,
            placed_at=placed_at,
            lines=list(draft.lines),
            customer=draft.customer,
            address=draft.address,
            financial=draft.financial,
            shipping_code=draft.shipping_code,
        )

    def burst(self, connection: Connection, placed_at: datetime) -> list[Draft]:
        """One customer ordering four times within the hour (the fraud velocity rule)."""
        first = self.draft(connection, placed_at, pickup=False)
        first.stall = first.cancel_after = first.fixed_address = None
        first.financial = FinancialStatus.AUTHORIZED
        drafts = [first]
        for n in range(1, 4):
            more = self.copy_of(
                first, placed_at + timedelta(minutes=12 * n + self.rng.randint(1, 9))
            )
            more.lines = self._basket()
            drafts.append(more)
        return drafts

    # ------------------------------------------------------------------ placing

    def _shipping_price(self, draft: Draft) -> int:
        subtotal = sum(self.items[sku].price.amount * qty for sku, qty in draft.lines)
        if draft.shipping_code == "standard" and subtotal >= FREE_SHIPPING_FROM:
            return 0
        return SHIPPING_PRICES[draft.shipping_code]

    def _manual_input(self, draft: Draft) -> ManualOrderIn:
        """The body `POST /orders` would get for this order."""
        body: dict[str, Any] = {
            "connection": draft.connection.id,
            "placed_at": draft.placed_at.isoformat(),
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in draft.lines],
            "customer": msgspec.to_builtins(draft.customer),
            "financial_status": draft.financial.value,
            "tags": ["click-collect"] if draft.pickup else ["phone"],
        }
        if draft.pickup:
            body["pickup_location"] = "LYO-ST"
        else:
            assert draft.address is not None
            body["shipping_address"] = msgspec.to_builtins(draft.address)
            title = "Express" if draft.shipping_code == "express" else "Standard"
            price = self._shipping_price(draft)
            body["shipping"] = {
                "title": title,
                "code": draft.shipping_code,
                "price": f"{price // 100}.{price % 100:02d}",
            }
        return msgspec.convert(body, ManualOrderIn)

    def _marketplace_order(self, draft: Draft, number: str) -> Order:
        """The order the marketplace file's rows make (`spreadsheet.parsing.to_order`)."""
        price = self._shipping_price(draft)
        return Order(
            connection=draft.connection.id,
            external_id=number,
            number=number,
            currency="EUR",
            placed_at=draft.placed_at,
            lines=[
                OrderLine(
                    sku=sku,
                    name=self.items[sku].name,
                    quantity=qty,
                    unit_price=self.items[sku].price,
                )
                for sku, qty in draft.lines
            ],
            financial_status=draft.financial,
            customer=draft.customer,
            shipping_address=draft.address,
            shipping_lines=[
                ShippingLine(
                    title="Express" if draft.shipping_code == "express" else "Shipping",
                    code=draft.shipping_code,
                    price=Money(amount=price, currency="EUR"),
                )
            ],
            tags=["marketplace"],
        )

    async def place(self, when: datetime, draft: Draft) -> None:
        """The order enters through its channel's intake: checks, routing, promise."""
        async with self.hub.transaction() as session:
            if draft.connection.connector == "spreadsheet":
                number = f"MKT-{MARKETPLACE_FIRST_NUMBER + self.counts.placed}"
                order = await accept_order(
                    self.hub,
                    session,
                    self._marketplace_order(draft, number),
                    actor=OPERATOR,
                    reject_unknown_skus=True,
                )
            else:
                order = await create_manual_order(
                    self.hub,
                    session,
                    self._manual_input(draft),
                    connection=draft.connection,
                    actor=CLERK if draft.pickup else OPERATOR,
                )
        assert order.id is not None
        draft.order_id, draft.number = order.id, order.number
        self.drafts[order.id] = draft
        self.counts.placed += 1
        if self.progress is not None:
            self.progress(1)
        if order.status is OrderStatus.ON_HOLD:
            self.at(when + self._hold_delay(order), self.resolve, draft)
        elif draft.cancel_after is not None:
            self.at(when + draft.cancel_after, self.cancel, draft, self.rng.choice(CANCEL_REASONS))
        elif order.status in RELEASABLE:
            self.at(when + timedelta(minutes=self.rng.randint(2, 15)), self.release, draft)

    def _hold_delay(self, order: Order) -> timedelta:
        """How long a hold of this kind waits for a person (the recent ones still wait)."""
        reasons = {hold.reason for hold in order.active_holds}
        hours = self.rng.uniform
        if HoldReason.PAYMENT in reasons:
            paid_only = order.connection != "manual"
            return timedelta(hours=hours(20, 40) if paid_only else hours(96, 130))
        if HoldReason.DUPLICATE in reasons:
            return timedelta(hours=hours(0.5, 3))
        if HoldReason.AVAILABILITY in reasons:
            return timedelta(hours=hours(24, 60))
        return timedelta(hours=hours(2, 22))

    # ------------------------------------------------------------------ holds

    async def resolve(self, when: datetime, draft: Draft) -> None:
        """What an operator does about the order's holds (see the module doc)."""
        assert draft.order_id is not None
        order_id = draft.order_id
        async with self.hub.transaction() as session:
            row = await session.get(OrderRow, order_id)
            assert row is not None
            holds = list(
                await session.scalars(
                    sa.select(OrderHoldRow).where(
                        OrderHoldRow.order_id == order_id, OrderHoldRow.released_at.is_(None)
                    )
                )
            )
            reasons = {HoldReason(hold.reason) for hold in holds}
            why = _cancel_reason(reasons, draft)
            if why is not None:
                await self._attempt(
                    f"cancel {row.number}",
                    lambda: cancel_and_notify(
                        self.hub, session, order_id, actor=OPERATOR, reason=why
                    ),
                    session,
                )
            elif HoldReason.ADDRESS in reasons and draft.fixed_address is not None:
                edit = OrderEditIn(
                    version=row.version,
                    shipping_address=msgspec.convert(
                        msgspec.to_builtins(draft.fixed_address), type=AddressIn
                    ),
                    reason="customer confirmed the postal code by e-mail",
                )
                await self._attempt(
                    f"edit {row.number}",
                    lambda: edit_order(self.hub, session, order_id, edit, actor=OPERATOR),
                    session,
                )
            else:
                for hold in holds:
                    await self._attempt(
                        f"release hold of {row.number}",
                        lambda hold=hold: clear_hold(
                            self.hub,
                            session,
                            order_id,
                            hold.id,
                            actor=OPERATOR,
                            note=_clearing_note(HoldReason(hold.reason)),
                        ),
                        session,
                    )
            status = OrderStatus(row.status)
        if status in RELEASABLE:
            self.at(when + timedelta(minutes=self.rng.randint(3, 20)), self.release, draft)

    async def cancel(self, when: datetime, draft: Draft, reason: str) -> None:
        assert draft.order_id is not None
        order_id = draft.order_id
        async with self.hub.transaction() as session:
            await self._attempt(
                f"cancel {draft.number}",
                lambda: cancel_and_notify(
                    self.hub, session, order_id, actor=OPERATOR, reason=reason
                ),
                session,
            )

    # ------------------------------------------------------------------ fulfillment

    @staticmethod
    async def _groups(session: AsyncSession, order_id: str) -> list[tuple[FulfillmentRow, str]]:
        rows = await session.execute(
            sa.select(FulfillmentRow, LocationRow.code)
            .join(LocationRow, LocationRow.id == FulfillmentRow.location_id)
            .where(FulfillmentRow.order_id == order_id)
            .order_by(FulfillmentRow.id)
        )
        return [(group, code) for group, code in rows.all()]

    async def release(self, when: datetime, draft: Draft) -> None:
        """The location's release rule decides; a wave rule has the order wait for its wave."""
        assert draft.order_id is not None
        order_id = draft.order_id
        async with self.hub.transaction() as session:
            row = await session.get(OrderRow, order_id)
            assert row is not None
            if OrderStatus(row.status) not in RELEASABLE:
                return
            await release_due(session, self.hub, order_id, actor=WAREHOUSE)
            groups = await self._groups(session, order_id)
        waiting = [code for group, code in groups if group.status == "planned"]
        released = [code for group, code in groups if group.status == "released"]
        if released:
            code = released[0]
            saturday = code == "LYO-ST"
            lag = timedelta(minutes=self.rng.randint(40, 300 if saturday else 150))
            self.at(self.working_time(when + lag, code, saturday=saturday), self.pick, draft)
        for code in waiting[:1]:
            rule = self.hub.settings.fulfillment.release.rule_for(draft.connection.id, code)
            if rule.mode == "waves":
                zone = ZoneInfo(rule.timezone) if rule.timezone else self._zones[code]
                wave = next_wave(when, rule.waves, zone)
                self.at(wave + timedelta(minutes=1), self.release, draft)

    async def pick(self, when: datetime, draft: Draft) -> None:
        """Every released group's pick list confirmed; now and then a unit is not there."""
        assert draft.order_id is not None
        order_id = draft.order_id
        if draft.stall == "pick":
            return
        async with self.hub.transaction() as session:
            for group, _ in await self._groups(session, order_id):
                if group.status != "released":
                    continue
                lines = list(
                    await session.scalars(
                        sa.select(FulfillmentLineRow)
                        .where(FulfillmentLineRow.fulfillment_id == group.id)
                        .order_by(FulfillmentLineRow.id)
                    )
                )
                found = {line.line_id: line.quantity for line in lines}
                if draft.short_pick and lines:
                    draft.short_pick = False
                    found[lines[0].line_id] -= 1
                    self.counts.short_picks += 1
                picks = PicksIn(lines=[PickIn(line_id=k, found=v) for k, v in found.items()])
                await self._attempt(
                    f"picks of {draft.number}",
                    lambda group_id=group.id, picks=picks: confirm_picks(
                        session, self.hub, group_id, picks, actor=WAREHOUSE
                    ),
                    session,
                )
            after = {group.status for group, _ in await self._groups(session, order_id)}
        if "picking" in after:
            self.at(when + timedelta(minutes=self.rng.randint(8, 40)), self.pack, draft)
        if "released" in after:  # a short pick re-routed to another location
            self.at(when + timedelta(hours=self.rng.uniform(1, 4)), self.pick, draft)

    async def pack(self, when: datetime, draft: Draft) -> None:
        """One parcel per group: the items' weight plus the box."""
        assert draft.order_id is not None
        order_id = draft.order_id
        packed: list[str] = []
        async with self.hub.transaction() as session:
            for group, code in await self._groups(session, order_id):
                if group.status != "picking":
                    continue
                lines = await session.scalars(
                    sa.select(FulfillmentLineRow).where(
                        FulfillmentLineRow.fulfillment_id == group.id
                    )
                )
                grams = PACKAGING_GRAMS + sum(
                    (self.items[line.sku].weight_grams or 0) * (line.quantity_picked or 0)
                    for line in lines
                )
                parcel = PackIn(parcels=[ParcelIn(weight_grams=grams)])
                await self._attempt(
                    f"packing {draft.number}",
                    lambda group_id=group.id, parcel=parcel: pack(
                        session, group_id, parcel, actor=WAREHOUSE
                    ),
                    session,
                )
                packed.append(code)
        if draft.pickup or draft.stall == "ship" or not packed:
            return  # click & collect waits at the counter; a stalled parcel is never handed over
        zone = self._zones[packed[0]]
        local = when.astimezone(zone)
        collection = datetime.combine(local.date(), time(16, 30), tzinfo=zone)
        if local >= collection - timedelta(minutes=20) or local.weekday() > 4:
            later = self.working_time(collection + timedelta(hours=16), packed[0])
            collection = datetime.combine(later.astimezone(zone).date(), time(16, 30), tzinfo=zone)
        self.at(collection + timedelta(minutes=self.rng.randint(0, 25)), self.ship, draft)

    async def ship(self, when: datetime, draft: Draft) -> None:
        """Rates from the carrier connections, a label per parcel, then shipped."""
        assert draft.order_id is not None
        async with self.hub.read() as session:
            groups = [
                g for g, _ in await self._groups(session, draft.order_id) if g.status == "packed"
            ]
        for group in groups:
            await self._attempt(
                f"shipping {draft.number}",
                lambda group=group: ship(self.hub, group.id, actor=WAREHOUSE),
            )
        async with self.hub.read() as session:
            shipments = list(
                await session.scalars(
                    sa.select(ShipmentRow).where(
                        ShipmentRow.fulfillment_id.in_([g.id for g in groups]),
                        ShipmentRow.status == "shipped",
                    )
                )
            )
        for shipment in shipments:
            assert shipment.connection_id is not None and shipment.tracking_number is not None
            parcel = Parcel(
                connection_id=shipment.connection_id,
                tracking_number=shipment.tracking_number,
                carrier=shipment.carrier or shipment.connection_id,
                transit_days=int((shipment.rate or {}).get("transit_days") or 2),
            )
            self.counts.shipped += 1
            self._schedule_scans(when, draft, parcel)

    def _schedule_scans(self, when: datetime, draft: Draft, parcel: Parcel) -> None:
        """The carrier's scans: collected that evening, then out for delivery and delivered
        after the service's transit days — or lost after collection, or an exception."""
        rng = self.rng
        city = draft.address.city if draft.address else None

        def scan(status: TrackingStatus, raw: str, text: str, at: datetime) -> TrackingEvent:
            place = None if status is TrackingStatus.IN_TRANSIT else city
            return TrackingEvent(
                tracking_number=parcel.tracking_number,
                carrier=parcel.carrier,
                status=status,
                raw_status=raw,
                occurred_at=at,
                description=text,
                location=place,
            )

        collected = when + timedelta(hours=rng.uniform(2.5, 6))
        first = scan(TrackingStatus.IN_TRANSIT, "collected", "Parcel collected", collected)
        arrival = collected
        days = parcel.transit_days
        while days:
            arrival += timedelta(days=1)
            if arrival.weekday() < 5:
                days -= 1
        arrival = datetime.combine(
            arrival.date(), time(rng.randint(9, 16), rng.randint(0, 59)), tzinfo=arrival.tzinfo
        )
        if draft.stall == "exception":
            last = [
                scan(
                    TrackingStatus.EXCEPTION,
                    "address_unknown",
                    "Recipient unknown at the address: parcel held at the depot",
                    arrival,
                )
            ]
        elif draft.stall != "lost":
            out = arrival - timedelta(hours=rng.uniform(2, 4))
            last = [
                scan(TrackingStatus.OUT_FOR_DELIVERY, "out_for_delivery", "Out for delivery", out),
                scan(TrackingStatus.DELIVERED, "delivered", "Delivered to the recipient", arrival),
            ]
        else:
            last = []
        if last and arrival <= self.now:
            self.at(arrival, self.scan, parcel, [first, *last])  # one visit of the timeline
        else:
            self.at(collected, self.scan, parcel, [first])

    async def scan(self, when: datetime, parcel: Parcel, events: list[TrackingEvent]) -> None:
        """The carrier's scans, recorded as its tracking events."""
        async with self.hub.transaction() as session:
            await record_events(session, parcel.connection_id, events, source=TRACKING_SOURCE)
        if any(event.status is TrackingStatus.DELIVERED for event in events):
            self.counts.deliveries += 1

    # ------------------------------------------------------------------ stock

    async def delivery(self, when: datetime, delivery: Delivery) -> None:
        """A purchase order booked in: on hand up, backorders filled oldest order first."""
        filled: set[str] = set()
        async with self.hub.transaction() as session:
            for sku, units in delivery.units.items():
                receipt = await receive(
                    self.hub,
                    session,
                    sku,
                    delivery.location,
                    ReceiptIn(quantity=units, reference=delivery.reference),
                    actor=WAREHOUSE,
                )
                filled |= {fill.order_id for fill in receipt.filled}
        self.counts.backorders_filled += len(filled)
        for order_id in sorted(filled):
            draft = self.drafts.get(order_id)
            if draft is not None:
                self.at(when + timedelta(minutes=self.rng.randint(5, 30)), self.release, draft)

    def delivery_time(self, delivery: Delivery, days: int) -> datetime:
        zone = self._zones[delivery.location]
        day = (self.start + timedelta(days=days * delivery.arrives)).astimezone(zone).date()
        while day.weekday() > 4:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=zone) + DELIVERY_HOUR


def _cancel_reason(reasons: set[HoldReason], draft: Draft) -> str | None:
    """Holds no one can clear: the order is cancelled, with the reason the customer hears."""
    if HoldReason.DUPLICATE in reasons:
        return "duplicate: the customer's order was keyed in twice"
    if HoldReason.PAYMENT in reasons:
        if draft.connection.connector == "spreadsheet":
            return "the marketplace cancelled the unpaid order"
        return "no bank transfer received within five days"
    if HoldReason.ADDRESS in reasons and draft.fixed_address is None:
        return "we do not deliver to that country; the customer was refunded"
    if HoldReason.AVAILABILITY in reasons:
        return "out of stock with nothing on order; cancelled with the customer's agreement"
    if HoldReason.UNKNOWN_SKU in reasons:
        return "an item we do not sell"
    return None


def _clearing_note(reason: HoldReason) -> str:
    if reason is HoldReason.FRAUD:
        return "checked with the customer by phone: a genuine order"
    return "reviewed: fine to go"
