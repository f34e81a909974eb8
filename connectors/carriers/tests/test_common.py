"""Shared pieces: Retry-After parsing, units, rate cards, the one-parcel rule, plugin loading."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import msgspec
import pytest
import respx

from orderhub.connectors.carriers._common import LabelOutcome, centimetres, ounces, the_parcel
from orderhub.connectors.carriers._http import retry_after_seconds, send
from orderhub.connectors.carriers.ratecard import RateBand, quote
from orderhub.core.connectors import Label, PermanentError, RateRequest, TransientError
from orderhub.core.model.common import Address
from orderhub.core.model.fulfillment import Parcel
from orderhub.core.money import Money
from orderhub.core.plugins import PluginManager

NOW = datetime(2024, 3, 7, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0.5", 0.5),
        ("Thu, 07 Mar 2024 12:01:30 GMT", 90.0),
        ("Thu, 07 Mar 2024 11:59:00 GMT", 0.0),  # already past: retry now
        ("-3", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds


def test_units_round_the_right_way():
    assert ounces(1870) == 66.0
    assert ounces(1) == 0.1  # never zero: carriers refuse weightless parcels
    assert centimetres(513) == 52  # rounded up, never declared smaller
    assert centimetres(510) == 51


def test_one_label_per_parcel():
    assert the_parcel([Parcel(weight_grams=10)]).weight_grams == 10
    for parcels in ([], [Parcel(weight_grams=1), Parcel(weight_grams=2)]):
        with pytest.raises(PermanentError) as caught:
            the_parcel(parcels)
        assert caught.value.code == "one_parcel_per_label"


def test_a_refused_outcome_unwraps_to_the_carrier_error():
    label = Label(
        carrier="dhl", tracking_number="1", label_format="PDF", document=b"", provider_ref="1"
    )
    assert LabelOutcome(reference="a", label=label).unwrap() is label
    with pytest.raises(PermanentError) as caught:
        LabelOutcome(reference="b", error_code="400", error_message="bad").unwrap()
    assert (caught.value.code, str(caught.value)) == ("400", "bad")


def request_to(country: str, *weights: int) -> RateRequest:
    return RateRequest(
        reference="rq",
        origin=Address(country="DE"),
        destination=Address(country=country),
        parcels=[Parcel(weight_grams=w) for w in weights],
    )


BANDS = [
    RateBand(service="STD", price="4.00", max_weight_grams=1000, transit_days=2),
    RateBand(service="STD", price="6.00", max_weight_grams=5000, transit_days=3),
    RateBand(service="EU", price="12.00", max_weight_grams=5000, countries=["fr", "BE"]),
]


def test_rate_card_prices_each_parcel_in_its_band():
    (std,) = quote("dhl", BANDS, request_to("DE", 800, 3000))
    assert (std.service, std.price, std.transit_days) == (
        "STD",
        Money(amount=1000, currency="EUR"),
        3,
    )


def test_rate_card_filters_by_country_and_weight():
    assert [r.service for r in quote("dhl", BANDS, request_to("FR", 500))] == ["STD", "EU"]
    assert quote("dhl", BANDS, request_to("FR", 6000)) == []


def test_rate_band_prices_are_validated_like_money():
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"service": "X", "price": "4.999", "max_weight_grams": 10}, RateBand)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"service": "X", "price": "4.99", "max_weight_grams": 0}, RateBand)


def test_the_entry_point_registers_all_four_carriers():
    manager = PluginManager(allow=["carriers"])
    manager.load_entrypoints()
    manager.check_pending()
    assert {"easypost", "dhl", "fedex", "colissimo"} <= set(manager.connectors())


@pytest.mark.parametrize(
    ("failure", "purchase", "expected", "code"),
    [
        (httpx.ConnectError("refused"), True, TransientError, None),
        (httpx.ConnectTimeout("slow"), True, TransientError, None),
        (httpx.ReadTimeout("slow"), False, TransientError, None),
        (httpx.RemoteProtocolError("cut"), False, TransientError, None),
        (httpx.ReadTimeout("slow"), True, PermanentError, "purchase_outcome_unknown"),
        (httpx.RemoteProtocolError("cut"), True, PermanentError, "purchase_outcome_unknown"),
    ],
)
@respx.mock
async def test_a_lost_answer_to_a_purchase_is_not_retried(failure, purchase, expected, code):
    respx.post("https://carrier.example/labels").mock(side_effect=failure)
    async with httpx.AsyncClient() as http:
        with pytest.raises(expected) as caught:
            await send(http, "POST", "https://carrier.example/labels", purchase=purchase)
    assert getattr(caught.value, "code", None) == code
