"""The canonical model: msgspec round trips, derived numbers and computed totals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from orderhub.core.events import (
    ConnectionRevoked,
    InboundChange,
    OrderCancelObserved,
    OrderObserved,
    RefundObserved,
    StockObserved,
    TrackingObserved,
)
from orderhub.core.model import (
    SYSTEM,
    Actor,
    ActorKind,
    Address,
    Customer,
    Discount,
    FinancialStatus,
    GeoPoint,
    HistoryEntry,
    Hold,
    HoldReason,
    Item,
    Location,
    LocationCapability,
    LocationKind,
    Order,
    OrderLine,
    OrderStatus,
    OrderTotals,
    Payment,
    Reservation,
    ReservationStatus,
    Shipment,
    ShippingLine,
    StockLevel,
    TaxLine,
    TrackingEvent,
    TrackingStatus,
)
from orderhub.core.money import Money, MoneyError

PLACED = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


def eur(value: str) -> Money:
    return Money.parse(value, "EUR")


def full_order() -> Order:
    """An order with every optional part filled, so a round trip exercises all of it."""
    return Order(
        connection="shop-eu",
        external_id="820982911946154508",
        number="#1001",
        currency="EUR",
        placed_at=PLACED,
        lines=[
            OrderLine(
                sku="TSHIRT-M",
                name="T-shirt M",
                quantity=2,
                unit_price=eur("19.99"),
                total_discount=eur("2.00"),
                taxes=[TaxLine(title="VAT", rate="0.2", amount=eur("6.00"))],
                external_id="466157049",
                bindings={"variant_id": "39072856", "inventory_item_id": "808950810"},
                quantity_allocated=1,
                quantity_shipped=1,
            ),
            OrderLine(sku=None, name="Gift wrap", quantity=1, unit_price=eur("3.50")),
        ],
        status=OrderStatus.ON_HOLD,
        financial_status=FinancialStatus.PAID,
        customer=Customer(email="bob@example.com", name="Bob Norman", external_id="115310627"),
        shipping_address=Address(
            name="Bob Norman",
            line1="Chestnut Street 92",
            city="Louisville",
            region="KY",
            postal_code="40202",
            country="US",
            point=GeoPoint(lat=38.25, lon=-85.76),
        ),
        shipping_lines=[ShippingLine(title="Standard", code="standard", price=eur("4.90"))],
        discounts=[Discount(code="SPRING", amount=eur("1.00"))],
        taxes=[TaxLine(title="VAT", rate="0.2", amount=eur("6.00"))],
        payments=[Payment(gateway="stripe", amount=eur("48.37"), reference="ch_1")],
        tags=["vip", "gift"],
        notes="Leave at the door",
        attributes={"gift_message": "Happy birthday"},
        holds=[
            Hold(
                id="hold_1",
                reason=HoldReason.ADDRESS,
                detail="postal code does not match the city",
                source="preprocess.address",
                placed_at=PLACED,
            )
        ],
        promised_date=date(2025, 3, 18),
        source_updated_at=PLACED + timedelta(minutes=5),
        version=3,
    )


def test_order_round_trips_through_json_and_msgpack() -> None:
    order = full_order()
    assert msgspec.json.decode(msgspec.json.encode(order), type=Order) == order
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(order), type=Order) == order


def test_order_json_uses_plain_values() -> None:
    data = msgspec.to_builtins(full_order())
    assert data["status"] == "on_hold"
    assert data["placed_at"] == "2025-03-14T09:26:53Z"
    assert data["lines"][0]["unit_price"] == {"amount": 1999, "currency": "EUR"}
    assert data["promised_date"] == "2025-03-18"


def test_order_decoding_validates_types() -> None:
    data = msgspec.to_builtins(full_order())
    data["lines"][0]["quantity"] = "2"
    with pytest.raises(msgspec.ValidationError, match=r"\$\.lines\[0\]\.quantity"):
        msgspec.json.decode(msgspec.json.encode(data), type=Order)
    data = msgspec.to_builtins(full_order())
    data["status"] = "lost"
    with pytest.raises(msgspec.ValidationError, match=r"\$\.status"):
        msgspec.convert(data, Order)


def test_structs_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Money(100, "EUR")  # type: ignore[misc]
    with pytest.raises(TypeError):
        OrderLine("SKU", "name", 1, eur("1"))  # type: ignore[misc]


def test_computed_totals() -> None:
    totals = full_order().computed_totals()
    assert totals == OrderTotals(
        subtotal=eur("43.48"),  # 2 x 19.99 + 3.50
        shipping=eur("4.90"),
        discounts=eur("3.00"),  # 2.00 on the line + 1.00 on the order
        tax=eur("6.00"),  # line taxes only; order-level tax lines summarise them
        total=eur("51.38"),  # 43.48 + 4.90 - 3.00 + 6.00
    )


def test_computed_totals_of_an_empty_order_are_zero_in_its_currency() -> None:
    order = Order(
        connection="manual", external_id="1", number="1", currency="JPY", placed_at=PLACED, lines=[]
    )
    zero = Money.zero("JPY")
    assert order.computed_totals() == OrderTotals(
        subtotal=zero, shipping=zero, discounts=zero, tax=zero, total=zero
    )


def test_computed_totals_refuse_a_line_in_another_currency() -> None:
    order = full_order()
    order.lines.append(OrderLine(sku="X", name="X", quantity=1, unit_price=Money.parse("1", "USD")))
    with pytest.raises(MoneyError, match="currency mismatch"):
        order.computed_totals()


def test_line_open_quantity_and_active_holds() -> None:
    line = OrderLine(
        sku="A", name="A", quantity=5, unit_price=eur("1"), quantity_cancelled=1, quantity_shipped=2
    )
    assert line.quantity_open == 2
    order = full_order()
    assert [hold.id for hold in order.active_holds] == ["hold_1"]
    order.holds[0].released_at = PLACED + timedelta(hours=1)
    assert order.holds[0].active is False
    assert order.active_holds == []


def test_mutable_defaults_are_not_shared() -> None:
    first = OrderLine(sku="A", name="A", quantity=1, unit_price=eur("1"))
    second = OrderLine(sku="B", name="B", quantity=1, unit_price=eur("1"))
    first.bindings["variant_id"] = "1"
    first.taxes.append(TaxLine(title="VAT", rate="0.2", amount=eur("0.20")))
    assert second.bindings == {}
    assert second.taxes == []
    one, two = Location(code="A", name="A"), Location(code="B", name="B")
    one.capabilities.append(LocationCapability.PICKUP)
    one.schedule.working_days.append(5)
    assert two.capabilities == [LocationCapability.SHIP]
    assert two.schedule.working_days == [0, 1, 2, 3, 4]


def test_stock_level_available() -> None:
    level = StockLevel(sku="A", location="PAR-WH", on_hand=10, reserved=3, safety_stock=2)
    assert level.available == 5
    assert StockLevel(sku="A", location="PAR-WH", on_hand=1, reserved=3).available == -2


def test_location_and_item_defaults_and_round_trip() -> None:
    location = Location(code="LYO-ST", name="Lyon store", kind=LocationKind.STORE)
    assert location.priority == 100
    assert location.schedule.cutoff == "14:00"
    assert msgspec.json.decode(msgspec.json.encode(location), type=Location) == location
    item = Item(sku="A", name="A", price=eur("9.99"), substitutes=["B"])
    assert msgspec.json.decode(msgspec.json.encode(item), type=Item) == item


def test_shipment_and_reservation_round_trip() -> None:
    event = TrackingEvent(
        tracking_number="1Z999",
        carrier="ups",
        status=TrackingStatus.IN_TRANSIT,
        raw_status="I",
        occurred_at=PLACED,
    )
    shipment = Shipment(
        id="shp_1", order_id="ord_1", fulfillment_group_id=None, carrier="ups", events=[event]
    )
    assert msgspec.json.decode(msgspec.json.encode(shipment), type=Shipment) == shipment
    reservation = Reservation(order_id="o", line_id="l", sku="A", location="W", quantity=2)
    assert reservation.status is ReservationStatus.ACTIVE
    decoded = msgspec.json.decode(msgspec.json.encode(reservation), type=Reservation)
    assert decoded == reservation


def test_actor_and_history_entry() -> None:
    assert str(SYSTEM) == "system:orderhub"
    actor = Actor(kind=ActorKind.USER, name="alice")
    entry = HistoryEntry(
        order_id="ord_1", at=PLACED, actor=actor, action="hold_placed", detail={"n": 1}
    )
    assert msgspec.json.decode(msgspec.json.encode(entry), type=HistoryEntry) == entry


@pytest.mark.parametrize(
    "change",
    [
        OrderObserved(order=full_order()),
        OrderCancelObserved(connection="shop-eu", external_id="1", reason="customer", at=PLACED),
        RefundObserved(
            connection="shop-eu",
            order_external_id="1",
            refund_id="r1",
            amount=eur("5.00"),
            line_quantities={"466157049": 1},
            restock=True,
        ),
        StockObserved(connection="shop-eu", location_ref="655441491", quantity=-2, item_ref="808"),
        TrackingObserved(
            event=TrackingEvent(
                tracking_number="1Z",
                carrier="ups",
                status=TrackingStatus.DELIVERED,
                raw_status="D",
                occurred_at=PLACED,
            )
        ),
        ConnectionRevoked(connection="shop-eu", reason="app/uninstalled"),
    ],
    ids=lambda change: type(change).__name__,
)
def test_inbound_changes_round_trip_as_a_tagged_union(change: InboundChange) -> None:
    encoded = msgspec.json.encode(change)
    assert msgspec.json.decode(encoded, type=InboundChange) == change
    assert msgspec.json.decode(encoded)["type"] == type(change).__struct_config__.tag


def test_inbound_changes_are_frozen() -> None:
    change = ConnectionRevoked(connection="c", reason="r")
    with pytest.raises(AttributeError):
        change.reason = "other"  # type: ignore[misc]
