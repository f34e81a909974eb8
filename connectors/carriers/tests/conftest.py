"""Shared test material: fixture files in the carriers' documented shapes, a parcel, addresses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orderhub.core.connection import Connection
from orderhub.core.model.common import Address
from orderhub.core.model.fulfillment import Parcel

FIXTURES = Path(__file__).parent / "fixtures"


class Fixtures:
    """Carrier payloads stored under tests/fixtures/<carrier>/."""

    def bytes(self, name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    def json(self, name: str) -> Any:
        return json.loads(self.bytes(name))


@pytest.fixture
def fx() -> Fixtures:
    return Fixtures()


def make_connection(connector_cls: type, **settings: Any) -> Connection:
    return Connection(
        id=f"{connector_cls.name}-test",
        connector=connector_cls.name,
        settings=connector_cls.Settings(**settings),
    )


@pytest.fixture
def connection_for() -> Any:
    """`connection_for(ConnectorClass, **settings)` -> a Connection with decoded settings."""
    return make_connection


@pytest.fixture
def parcel() -> Parcel:
    return Parcel(weight_grams=1870, length_mm=513, width_mm=277, height_mm=127)


@pytest.fixture
def warehouse_us() -> Address:
    return Address(
        name="EasyPost",
        line1="417 Montgomery Street",
        line2="5th Floor",
        city="San Francisco",
        region="CA",
        postal_code="94104",
        country="US",
        phone="4153334445",
        email="support@easypost.com",
    )


@pytest.fixture
def customer_us() -> Address:
    return Address(
        name="Dr. Steve Brule",
        line1="179 N Harbor Dr",
        city="Redondo Beach",
        region="CA",
        postal_code="90277",
        country="US",
        phone="8573875756",
        email="dr_steve_brule@gmail.com",
    )


@pytest.fixture
def warehouse_de() -> Address:
    return Address(
        company="My Online Shop GmbH",
        line1="Sträßchensweg 10",
        city="Bonn",
        postal_code="53113",
        country="DE",
        email="max@mustermann.de",
        phone="+49 123456789",
    )


@pytest.fixture
def customer_de() -> Address:
    return Address(
        name="Maria Musterfrau",
        line1="Kurt-Schumacher-Str. 20",
        city="Bonn",
        postal_code="53113",
        country="DE",
        email="maria@musterfrau.de",
        phone="+49 987654321",
    )


@pytest.fixture
def warehouse_fr() -> Address:
    return Address(
        company="Boutique Exemple",
        name="Service expéditions",
        line1="111 Boulevard Brune",
        city="Paris",
        postal_code="75014",
        country="FR",
        phone="+33140000000",
        email="expeditions@example.fr",
    )


@pytest.fixture
def customer_fr() -> Address:
    return Address(
        name="Jeanne Martin",
        line1="12 rue de la République",
        line2="Bâtiment B",
        city="Lyon",
        postal_code="69002",
        country="FR",
        phone="+33612345678",
        email="jeanne.martin@example.fr",
    )
