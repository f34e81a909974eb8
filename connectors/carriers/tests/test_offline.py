"""The offline carrier: quotes from its price list and draws its labels without any HTTP."""

from __future__ import annotations

import msgspec
import pytest
import respx

from orderhub.connectors.carriers.offline import OfflineConnector, OfflineSettings
from orderhub.connectors.carriers.ratecard import RateBand
from orderhub.core.connection import SettingsError, decode_settings
from orderhub.core.connectors import LabelRequest, PermanentError, RateRequest
from orderhub.core.model.common import Address
from orderhub.core.model.fulfillment import Parcel
from orderhub.core.money import Money
from orderhub.core.testing import ConnectorConformance

from .conftest import make_connection

BANDS = [
    RateBand(service="standard", price="4.90", max_weight_grams=2000, countries=["FR"]),
    RateBand(service="standard", price="6.90", max_weight_grams=10000, countries=["FR"]),
    RateBand(service="express", price="9.50", max_weight_grams=5000, transit_days=1),
]
ORIGIN = Address(
    name="Entrepôt (Gennevilliers)",
    line1="Route du Môle 1",
    city="Gennevilliers",
    postal_code="92230",
    country="FR",
)
DEST = Address(
    name="Léa Dubois", line1="12 rue (Victor) Hugo", city="Lyon", postal_code="69003", country="FR"
)


def connector(**overrides: object) -> OfflineConnector:
    settings = {"carrier": "Coursier Lyon", "rates": BANDS, "tracking_prefix": "CL", **overrides}
    return OfflineConnector(make_connection(OfflineConnector, **settings))


class TestOfflineConformance(ConnectorConformance):
    connector_class = OfflineConnector
    entry_point = "carriers"

    def settings(self, secret: str) -> OfflineSettings:
        return OfflineSettings(carrier=f"Courier {secret[:8]}", rates=BANDS)


async def test_rates_come_from_the_price_list_cheapest_fitting_band_first():
    request = RateRequest(
        reference="shm_1", origin=ORIGIN, destination=DEST, parcels=[Parcel(weight_grams=2500)]
    )

    rates = await connector().get_rates(request)

    assert [(r.carrier, r.service, r.price, r.transit_days) for r in rates] == [
        ("Coursier Lyon", "standard", Money.parse("6.90", "EUR"), None),
        ("Coursier Lyon", "express", Money.parse("9.50", "EUR"), 1),
    ]
    abroad = msgspec.structs.replace(
        request, destination=msgspec.structs.replace(DEST, country="DE")
    )
    assert [r.service for r in await connector().get_rates(abroad)] == ["express"]


@respx.mock(assert_all_called=False)
async def test_a_label_is_drawn_locally_with_a_number_made_from_its_reference(respx_mock):
    rate = (
        await connector().get_rates(
            RateRequest(
                reference="r", origin=ORIGIN, destination=DEST, parcels=[Parcel(weight_grams=800)]
            )
        )
    )[0]
    request = LabelRequest(
        reference="lbl_01",
        rate=rate,
        origin=ORIGIN,
        destination=DEST,
        parcels=[Parcel(weight_grams=800)],
    )
    conn = connector(tracking_url="https://courier.example/t/{number}")

    label = await conn.buy_label(request)
    again = await conn.buy_label(request)
    other = await conn.buy_label(msgspec.structs.replace(request, reference="lbl_02"))

    assert respx_mock.calls.call_count == 0
    assert label.tracking_number == again.tracking_number != other.tracking_number
    assert label.tracking_number.startswith("CL") and len(label.tracking_number) == 12
    assert label.provider_ref == label.tracking_number
    assert label.tracking_url == f"https://courier.example/t/{label.tracking_number}"
    assert label.cost == Money.parse("4.90", "EUR") and label.carrier == "Coursier Lyon"
    pdf = label.document
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert label.tracking_number.encode() in pdf
    assert "Léa Dubois".encode("cp1252") in pdf and b"12 rue \\(Victor\\) Hugo" in pdf
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref:].startswith(b"xref")


async def test_what_it_cannot_print_is_refused_permanently():
    rate = (
        await connector().get_rates(
            RateRequest(
                reference="r", origin=ORIGIN, destination=DEST, parcels=[Parcel(weight_grams=800)]
            )
        )
    )[0]
    base = LabelRequest(
        reference="lbl_1",
        rate=rate,
        origin=ORIGIN,
        destination=DEST,
        parcels=[Parcel(weight_grams=800)],
    )

    with pytest.raises(PermanentError) as zpl:
        await connector().buy_label(msgspec.structs.replace(base, label_format="ZPL"))
    with pytest.raises(PermanentError) as two:
        await connector().buy_label(
            msgspec.structs.replace(base, parcels=[Parcel(weight_grams=1), Parcel(weight_grams=2)])
        )

    assert zpl.value.code == "unsupported_label_format"
    assert two.value.code == "one_parcel_per_label"


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"carrier": "X", "rates": []}, "at least one rate band"),
        (
            {
                "carrier": "X",
                "rates": [{"service": "s", "price": "1.00", "max_weight_grams": 1}],
                "tracking_url": "https://x.example/t",
            },
            "{number}",
        ),
        (
            {
                "carrier": "X",
                "rates": [{"service": "s", "price": "1.00", "max_weight_grams": 1}],
                "tracking_prefix": "toolong1",
            },
            "tracking_prefix",
        ),
    ],
)
def test_settings_that_cannot_work_are_refused(settings, says):
    with pytest.raises(SettingsError) as refused:
        decode_settings(OfflineSettings, settings, "connections.courier.settings")
    assert says in str(refused.value)
