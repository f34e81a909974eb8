"""What the demo is made of: places, a catalogue, opening stock, deliveries and people.

Everything here is invented; e-mail addresses use the reserved example.* domains. Nothing in
this module touches the database: `story` feeds it to the hub's services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from orderhub.core.model import (
    Address,
    GeoPoint,
    Item,
    Location,
    LocationCapability,
    LocationKind,
    Money,
    PickSchedule,
)

# ------------------------------------------------------------------------------ places

LOCATIONS = [
    Location(
        code="PAR-WH",
        name="Paris North warehouse (Gennevilliers)",
        kind=LocationKind.WAREHOUSE,
        address=Address(
            name="OrderHub Demo – entrepôt",
            line1="Port de Gennevilliers, route du Môle 1",
            city="Gennevilliers",
            postal_code="92230",
            country="FR",
        ),
        point=GeoPoint(lat=48.9386, lon=2.2945),
        capabilities=[LocationCapability.SHIP, LocationCapability.RETURNS],
        priority=10,
        schedule=PickSchedule(cutoff="15:00", timezone="Europe/Paris", daily_capacity=400),
    ),
    Location(
        code="LYO-ST",
        name="Lyon store (Presqu'île)",
        kind=LocationKind.STORE,
        address=Address(
            name="OrderHub Demo – boutique",
            line1="Rue de la République 40",
            city="Lyon",
            postal_code="69002",
            country="FR",
        ),
        point=GeoPoint(lat=45.7627, lon=4.8357),
        capabilities=[
            LocationCapability.SHIP,
            LocationCapability.PICKUP,
            LocationCapability.RETURNS,
        ],
        priority=50,
        ships_to=["FR"],
        schedule=PickSchedule(
            cutoff="12:00",
            working_days=[0, 1, 2, 3, 4, 5],
            timezone="Europe/Paris",
            daily_capacity=40,
        ),
    ),
    Location(
        code="BER-WH",
        name="Berlin warehouse (Schönefeld)",
        kind=LocationKind.WAREHOUSE,
        address=Address(
            name="OrderHub Demo – Lager",
            line1="Mittelstraße 7",
            city="Schönefeld",
            postal_code="12529",
            country="DE",
        ),
        point=GeoPoint(lat=52.3906, lon=13.5189),
        capabilities=[LocationCapability.SHIP],
        priority=30,
        schedule=PickSchedule(cutoff="16:00", timezone="Europe/Berlin", daily_capacity=300),
    ),
]

OPENING_STOCK = {"PAR-WH": (8, 50), "LYO-ST": (3, 12), "BER-WH": (2, 35)}
"""Location -> range of units each SKU starts the story with (a seeded draw)."""
STORE_RANGE = ("PST-", "MUG-", "CDL-", "TOT-", "CAP-")
"""SKU prefixes the Lyon store carries (the boutique's range); the warehouses carry all."""
SAFETY_STOCK = {"LYO-ST": 1}
"""Units a location keeps back from every channel (the shop's display pieces)."""
POPULAR = ("TEE-ORG-", "MUG-", "TOT-", "STK-PACK")
"""SKU prefixes customers order three times as often as the rest."""


@dataclass(frozen=True)
class Delivery:
    """A purchase order on its way: announced at the start, received `arrives` into the
    story (a negative `arrives` counts back from the end: still on its way now)."""

    reference: str
    location: str
    units: dict[str, int]
    arrives: float
    """Fraction of the story's days after its start when it arrives (> 1: after today)."""


DELIVERIES = [
    Delivery(
        reference="PO-2041",
        location="PAR-WH",
        units={"PST-LISBOA": 24, "PST-PARIS": 30, "HOO-CLS-BLK-M": 20, "HOO-CLS-BLK-L": 20},
        arrives=0.45,
    ),
    Delivery(
        reference="PO-2044",
        location="BER-WH",
        units={"TEE-ORG-BLK-M": 30, "TEE-ORG-WHT-M": 30, "MUG-SUN": 24, "TOT-NAT": 24},
        arrives=0.7,
    ),
    Delivery(
        reference="PO-2057",
        location="PAR-WH",
        units={"PST-LISBOA": 20, "CDL-FIG": 18, "UMB-YLW": 15},
        arrives=1.2,
    ),
]
SCARCE = {"PST-LISBOA": 2, "CDL-FIG": 3, "UMB-YLW": 2}
"""SKUs that start with only a few units in all, so orders wait for the deliveries."""

DELIVERY_HOUR = timedelta(hours=9, minutes=40)
"""Deliveries are booked in at this local time of their day (Europe/Paris)."""

# ------------------------------------------------------------------------------ people

CITIES: dict[str, list[tuple[str, str, float, float]]] = {
    "FR": [
        ("Paris", "75011", 48.8580, 2.3800),
        ("Paris", "75015", 48.8412, 2.3003),
        ("Lyon", "69003", 45.7597, 4.8520),
        ("Lyon", "69007", 45.7450, 4.8420),
        ("Marseille", "13006", 43.2890, 5.3810),
        ("Toulouse", "31000", 43.6045, 1.4440),
        ("Bordeaux", "33000", 44.8378, -0.5792),
        ("Lille", "59000", 50.6292, 3.0573),
        ("Nantes", "44000", 47.2184, -1.5536),
        ("Strasbourg", "67000", 48.5734, 7.7521),
        ("Montpellier", "34000", 43.6108, 3.8767),
        ("Rennes", "35000", 48.1173, -1.6778),
    ],
    "DE": [
        ("Berlin", "10115", 52.5320, 13.3849),
        ("Berlin", "10437", 52.5417, 13.4147),
        ("Hamburg", "20095", 53.5511, 9.9937),
        ("München", "80331", 48.1374, 11.5755),
        ("Köln", "50667", 50.9375, 6.9603),
        ("Frankfurt am Main", "60311", 50.1109, 8.6821),
        ("Leipzig", "04109", 51.3397, 12.3731),
    ],
    "BE": [
        ("Bruxelles", "1000", 50.8503, 4.3517),
        ("Liège", "4000", 50.6326, 5.5797),
        ("Gent", "9000", 51.0543, 3.7174),
    ],
    "NL": [
        ("Amsterdam", "1012 AB", 52.3728, 4.8936),
        ("Utrecht", "3511 AA", 52.0907, 5.1214),
        ("Rotterdam", "3011 AD", 51.9225, 4.4792),
    ],
    "CH": [("Zürich", "8001", 47.3769, 8.5417), ("Genève", "1204", 46.2044, 6.1432)],
}
"""City, postal code and coordinates. Switzerland is there for orders the address check
refuses: the demo merchant does not ship outside the EU."""
STREETS = {
    "FR": [
        "{n} rue de la République",
        "{n} avenue Jean Jaurès",
        "{n} rue Victor Hugo",
        "{n} boulevard Voltaire",
    ],
    "DE": ["Hauptstraße {n}", "Bahnhofstraße {n}", "Gartenstraße {n}", "Schillerstraße {n}"],
    "BE": ["Rue Neuve {n}", "Avenue Louise {n}"],
    "NL": ["Damrak {n}", "Oudegracht {n}"],
    "CH": ["Bahnhofstrasse {n}", "Rue du Rhône {n}"],
}
FIRST_NAMES = {
    "FR": [
        "Camille",
        "Léa",
        "Manon",
        "Chloé",
        "Inès",
        "Lucas",
        "Hugo",
        "Louis",
        "Nathan",
        "Jules",
        "Théo",
        "Emma",
    ],
    "DE": ["Lukas", "Leon", "Finn", "Jonas", "Mia", "Hannah", "Lena", "Anna", "Felix", "Marie"],
    "BE": ["Arthur", "Louise", "Noah", "Olivia", "Victor"],
    "NL": ["Daan", "Sem", "Julia", "Tess", "Lotte"],
    "CH": ["Luca", "Noemi", "Elias"],
}
LAST_NAMES = {
    "FR": [
        "Martin",
        "Bernard",
        "Dubois",
        "Thomas",
        "Robert",
        "Richard",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Laurent",
        "Lefèvre",
    ],
    "DE": [
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Hoffmann",
        "Schulz",
    ],
    "BE": ["Peeters", "Janssens", "Maes", "Dubois", "Lambert"],
    "NL": ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker"],
    "CH": ["Meier", "Keller", "Favre"],
}
COUNTRY_WEIGHTS = {"FR": 60, "DE": 25, "BE": 8, "NL": 7}

# ------------------------------------------------------------------------------ catalogue


def _ean13(body: str) -> str:
    """An EAN-13 from 12 digits: the check digit weights odd positions 1 and even ones 3."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def catalogue() -> list[Item]:
    """About fifty items with EUR prices, weights, barcodes, tags and a few substitutes."""
    items: list[Item] = []

    def add(sku: str, name: str, price: str, grams: int, tags: list[str], **extra: object) -> None:
        barcode = _ean13(f"376{len(items) + 1:09d}")
        items.append(
            Item(
                sku=sku,
                name=name,
                barcode=barcode,
                price=Money.parse(price, "EUR"),
                weight_grams=grams,
                tags=tags,
                **extra,  # type: ignore[arg-type]
            )
        )

    colours = {"WHT": "white", "BLK": "black", "NVY": "navy"}
    for code, colour in colours.items():
        for size in ("S", "M", "L", "XL"):
            others = [f"TEE-ORG-{c}-{size}" for c in colours if c != code]
            add(
                f"TEE-ORG-{code}-{size}",
                f"Organic cotton tee, {colour}, {size}",
                "24.90",
                180,
                ["apparel", "tee"],
                substitutes=others,
            )
    for code, colour in {"GRY": "heather grey", "BLK": "black"}.items():
        for size in ("S", "M", "L", "XL"):
            add(
                f"HOO-CLS-{code}-{size}",
                f"Classic hoodie, {colour}, {size}",
                "59.00",
                550,
                ["apparel", "hoodie"],
            )
    for code, colour in {"KHK": "khaki", "BLK": "black", "RED": "brick red"}.items():
        add(
            f"CAP-{code}",
            f"Washed cotton cap, {colour}",
            "19.90",
            90,
            ["accessories"],
            sku_group="clearance",
        )
    for pattern in ("STR", "DOT"):
        for size in ("36-40", "41-45"):
            label = "striped" if pattern == "STR" else "polka dot"
            add(
                f"SOK-{pattern}-{size}", f"Socks, {label}, {size}", "9.90", 60, ["apparel", "socks"]
            )
    for design in ("SUN", "WAVE", "LEAF", "CITY"):
        add(
            f"MUG-{design}", f"Stoneware mug, {design.lower()} print", "14.50", 350, ["home", "mug"]
        )
    for size, price in (("A5", "12.00"), ("A4", "15.00")):
        for ruling in ("DOT", "LIN"):
            add(
                f"NTB-{size}-{ruling}",
                f"Notebook {size}, {'dotted' if ruling == 'DOT' else 'lined'}",
                price,
                220 if size == "A5" else 380,
                ["stationery"],
            )
    for code, colour in {"NAT": "natural", "BLK": "black", "OLV": "olive"}.items():
        add(f"TOT-{code}", f"Canvas tote bag, {colour}", "16.90", 150, ["accessories", "bag"])
    for city in ("PARIS", "LYON", "BERLIN", "LISBOA"):
        add(
            f"PST-{city}",
            f"Poster {city.title()} (50×70 cm), limited edition",
            "29.00",
            200,
            ["home", "poster", "limited"],
        )
    add("BTL-500", "Insulated bottle 500 ml", "24.00", 320, ["outdoor"])
    add("BTL-750", "Insulated bottle 750 ml", "27.00", 410, ["outdoor"])
    for scent in ("FIG", "CEDAR", "CITRUS"):
        add(f"CDL-{scent}", f"Soy candle, {scent.lower()}", "22.50", 300, ["home", "candle"])
    add("UMB-BLK", "Compact umbrella, black", "25.00", 330, ["accessories"])
    add("UMB-YLW", "Compact umbrella, yellow", "25.00", 330, ["accessories"])
    add("STK-PACK", "Sticker pack (12)", "6.00", 30, ["stationery"])
    return items
