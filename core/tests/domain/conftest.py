"""Builders for the pure domain tests: orders and places with real coordinates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from orderhub.core.model import Address, Customer, GeoPoint, Money, Order, OrderLine

PARIS = GeoPoint(lat=48.8566, lon=2.3522)
LYON = GeoPoint(lat=45.7640, lon=4.8357)
MARSEILLE = GeoPoint(lat=43.2965, lon=5.3698)
LILLE = GeoPoint(lat=50.6292, lon=3.0573)
BERLIN = GeoPoint(lat=52.5200, lon=13.4050)
LONDON = GeoPoint(lat=51.5074, lon=-0.1278)
MADRID = GeoPoint(lat=40.4168, lon=-3.7038)


def address(**fields: Any) -> Address:
    base: dict[str, Any] = {
        "name": "Camille Martin",
        "line1": "12 rue de Rivoli",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
        "point": PARIS,
    }
    base.update(fields)
    return Address(**base)


def line(sku: str | None, quantity: int, *, price: str = "10.00", **fields: Any) -> OrderLine:
    return OrderLine(
        id=fields.pop("id", f"lin_{sku}"),
        sku=sku,
        name=fields.pop("name", f"Item {sku}"),
        quantity=quantity,
        unit_price=fields.pop("unit_price", Money.parse(price, "EUR")),
        **fields,
    )


def order(*lines: OrderLine, **fields: Any) -> Order:
    base: dict[str, Any] = {
        "id": "ord_1",
        "connection": "shop",
        "external_id": "1001",
        "number": "#1001",
        "currency": "EUR",
        "placed_at": datetime(2024, 5, 10, 9, 0, tzinfo=UTC),
        "lines": list(lines) or [line("SKU-A", 1)],
        "customer": Customer(email="camille@example.com"),
        "shipping_address": address(),
    }
    base.update(fields)
    return Order(**base)


@pytest.fixture
def make_order() -> Callable[..., Order]:
    return order


@pytest.fixture
def make_line() -> Callable[..., OrderLine]:
    return line


@pytest.fixture
def make_address() -> Callable[..., Address]:
    return address


@pytest.fixture
def places() -> dict[str, GeoPoint]:
    return {
        "paris": PARIS,
        "lyon": LYON,
        "marseille": MARSEILLE,
        "lille": LILLE,
        "berlin": BERLIN,
        "london": LONDON,
        "madrid": MADRID,
    }
