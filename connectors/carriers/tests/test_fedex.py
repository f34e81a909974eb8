"""FedEx REST against respx: OAuth token caching and refresh, Rate, Ship, Cancel, Track."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from orderhub.connectors.carriers.fedex import FedexConnector
from orderhub.connectors.carriers.fedex.auth import TokenCache
from orderhub.connectors.carriers.fedex.status import STATUS_MAP, canonical_status
from orderhub.core.connectors import (
    Label,
    LabelRequest,
    PermanentError,
    Rate,
    RateRequest,
    TransientError,
)
from orderhub.core.model.fulfillment import TrackingStatus
from orderhub.core.money import Money

BASE = "https://apis.fedex.com"
TOKEN_URL = f"{BASE}/oauth/token"
FIRST = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZSI6WyJDWFMtVFAiXX0.first"
SECOND = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZSI6WyJDWFMtVFAiXX0.second"
SETTINGS = dict(
    client_id="l7xx1cb26690fadd4b2789e0888a96b80ee2",
    client_secret="s3cr3t",
    account_number="740561073",
)


@pytest.fixture
def connector(connection_for):
    return FedexConnector(connection_for(FedexConnector, **SETTINGS))


@pytest.fixture
def rate_request(warehouse_us, customer_us, parcel):
    return RateRequest(
        reference="rq_1",
        origin=warehouse_us,
        destination=customer_us,
        parcels=[parcel],
        ship_date=date(2024, 2, 15),
    )


def label_request(origin, destination, parcel, fmt="PDF"):
    return LabelRequest(
        reference="lbl_01JD7Q4Y6B9QF3R2",
        rate=Rate(carrier="fedex", service="FEDEX_GROUND", price=Money.parse("41.03", "USD")),
        origin=origin,
        destination=destination,
        parcels=[parcel],
        label_format=fmt,
    )


def bearer(call) -> str:
    return call.request.headers["authorization"].removeprefix("Bearer ")


# ------------------------------------------------------------------------------- OAuth


@respx.mock
async def test_the_token_is_fetched_once_and_reused(connector, rate_request, fx):
    token = respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    quotes = respx.post(f"{BASE}/rate/v1/rates/quotes").respond(
        200, json=fx.json("fedex/rate_quotes.json")
    )

    await connector.get_rates(rate_request)
    await connector.get_rates(rate_request)

    assert token.call_count == 1
    form = parse_qs(token.calls.last.request.content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["l7xx1cb26690fadd4b2789e0888a96b80ee2"],
        "client_secret": ["s3cr3t"],
    }
    assert token.calls.last.request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert [bearer(call) for call in quotes.calls] == [FIRST, FIRST]


@respx.mock
async def test_a_token_is_renewed_shortly_before_it_expires(fx):
    now = [1000.0]
    respx.post(TOKEN_URL).mock(
        side_effect=[
            httpx.Response(200, json=fx.json("fedex/oauth_token.json")),
            httpx.Response(200, json=fx.json("fedex/oauth_token_2.json")),
        ]
    )
    async with httpx.AsyncClient() as http:
        tokens = TokenCache(http, TOKEN_URL, "id", "secret", clock=lambda: now[0])

        assert await tokens.get() == FIRST
        now[0] += 3599 - 61  # still inside the margin of 60 s before expires_in
        assert await tokens.get() == FIRST
        now[0] += 2
        assert await tokens.get() == SECOND


@respx.mock
async def test_a_401_drops_the_token_and_retries_once(connector, rate_request, fx):
    token = respx.post(TOKEN_URL).mock(
        side_effect=[
            httpx.Response(200, json=fx.json("fedex/oauth_token.json")),
            httpx.Response(200, json=fx.json("fedex/oauth_token_2.json")),
        ]
    )
    quotes = respx.post(f"{BASE}/rate/v1/rates/quotes").mock(
        side_effect=[
            httpx.Response(401, json=fx.json("fedex/error_401.json")),
            httpx.Response(200, json=fx.json("fedex/rate_quotes.json")),
        ]
    )

    rates = await connector.get_rates(rate_request)

    assert len(rates) == 2
    assert token.call_count == 2
    assert [bearer(call) for call in quotes.calls] == [FIRST, SECOND]


@respx.mock
async def test_a_second_401_is_permanent_and_not_retried_again(connector, rate_request, fx):
    token = respx.post(TOKEN_URL).mock(
        side_effect=[
            httpx.Response(200, json=fx.json("fedex/oauth_token.json")),
            httpx.Response(200, json=fx.json("fedex/oauth_token_2.json")),
        ]
    )
    quotes = respx.post(f"{BASE}/rate/v1/rates/quotes").respond(
        401, json=fx.json("fedex/error_401.json")
    )

    with pytest.raises(PermanentError) as caught:
        await connector.get_rates(rate_request)

    assert caught.value.code == "NOT.AUTHORIZED.ERROR"
    assert str(caught.value) == "Access token expired. Please modify your request and try again."
    assert token.call_count == 2 and quotes.call_count == 2


@respx.mock
async def test_wrong_credentials_are_permanent(connector, rate_request, fx):
    respx.post(TOKEN_URL).respond(401, json=fx.json("fedex/oauth_invalid.json"))

    with pytest.raises(PermanentError) as caught:
        await connector.get_rates(rate_request)
    report = await connector.health()

    assert caught.value.code == "NOT.AUTHORIZED.ERROR"
    assert not report.ok and "client credentials were not valid" in (report.detail or "")


# ------------------------------------------------------------------------------- rates


@respx.mock
async def test_rates_quote_the_account_price(connector, rate_request, fx):
    respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    route = respx.post(f"{BASE}/rate/v1/rates/quotes").respond(
        200, json=fx.json("fedex/rate_quotes.json")
    )

    rates = await connector.get_rates(rate_request)

    body = json.loads(route.calls.last.request.content)
    assert body["accountNumber"] == {"value": "740561073"}
    shipment = body["requestedShipment"]
    assert shipment["shipper"]["address"] == {
        "postalCode": "94104",
        "countryCode": "US",
        "stateOrProvinceCode": "CA",
        "city": "San Francisco",
    }
    assert shipment["recipient"]["address"]["postalCode"] == "90277"
    assert shipment["shipDateStamp"] == "2024-02-15"
    assert shipment["rateRequestType"] == ["ACCOUNT", "LIST"]
    assert shipment["requestedPackageLineItems"] == [
        {
            "weight": {"units": "KG", "value": 1.87},
            "dimensions": {"length": 52, "width": 28, "height": 13, "units": "CM"},
        }
    ]
    assert rates == [
        Rate(
            carrier="fedex",
            service="FEDEX_GROUND",
            price=Money(amount=4103, currency="USD"),
            transit_days=2,
        ),
        Rate(
            carrier="fedex",
            service="PRIORITY_OVERNIGHT",
            price=Money(amount=10477, currency="USD"),
            transit_days=1,
            estimated_delivery=date(2024, 2, 16),
        ),
    ]


@respx.mock
async def test_an_invalid_service_is_permanent_with_fedex_code(
    connector, warehouse_us, customer_us, parcel, fx
):
    respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    respx.post(f"{BASE}/ship/v1/shipments").respond(400, json=fx.json("fedex/error_service.json"))

    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(label_request(warehouse_us, customer_us, parcel))

    assert caught.value.code == "SERVICE.TYPE.INVALID"
    assert str(caught.value) == "Invalid service type."


@respx.mock
async def test_unavailable_and_rate_limited_are_transient(connector, rate_request, fx):
    respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    respx.post(f"{BASE}/rate/v1/rates/quotes").mock(
        side_effect=[
            httpx.Response(503, json=fx.json("fedex/error_503.json")),
            httpx.Response(429, headers={"Retry-After": "10"}),
        ]
    )

    with pytest.raises(TransientError) as unavailable:
        await connector.get_rates(rate_request)
    with pytest.raises(TransientError) as limited:
        await connector.get_rates(rate_request)

    assert "The service is currently unavailable" in str(unavailable.value)
    assert limited.value.retry_after == 10.0


# ------------------------------------------------------------------------------ labels


@respx.mock
async def test_buy_label_sends_the_reference_and_decodes_the_label(
    connector, warehouse_us, customer_us, parcel, fx
):
    respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    route = respx.post(f"{BASE}/ship/v1/shipments").respond(
        200, json=fx.json("fedex/ship_label.json")
    )

    label = await connector.buy_label(label_request(warehouse_us, customer_us, parcel))

    body = json.loads(route.calls.last.request.content)
    assert body["labelResponseOptions"] == "LABEL"
    shipment = body["requestedShipment"]
    assert shipment["serviceType"] == "FEDEX_GROUND"
    assert shipment["shipDatestamp"] == date.today().isoformat()
    assert shipment["labelSpecification"] == {"imageType": "PDF", "labelStockType": "PAPER_4X6"}
    assert shipment["recipients"][0]["address"]["streetLines"] == ["179 N Harbor Dr"]
    assert shipment["recipients"][0]["contact"]["phoneNumber"] == "8573875756"
    assert shipment["requestedPackageLineItems"][0]["customerReferences"] == [
        {"customerReferenceType": "CUSTOMER_REFERENCE", "value": "lbl_01JD7Q4Y6B9QF3R2"}
    ]
    assert label == Label(
        carrier="fedex",
        tracking_number="794953535000",
        label_format="PDF",
        document=b"%PDF-1.4\n%FedEx Shipping Label 794953535000\n%%EOF\n",
        provider_ref="794953535000",
        cost=Money(amount=4103, currency="USD"),
        tracking_url="https://www.fedex.com/fedextrack/?trknbr=794953535000",
    )


@respx.mock
async def test_zpl_labels_use_thermal_stock(connector, warehouse_us, customer_us, parcel, fx):
    respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    route = respx.post(f"{BASE}/ship/v1/shipments").respond(
        200, json=fx.json("fedex/ship_label.json")
    )

    await connector.buy_label(label_request(warehouse_us, customer_us, parcel, fmt="ZPL"))

    spec = json.loads(route.calls.last.request.content)["requestedShipment"]["labelSpecification"]
    assert spec == {"imageType": "ZPLII", "labelStockType": "STOCK_4X6"}


@respx.mock
async def test_void_cancels_the_shipment(connector, fx):
    respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    route = respx.put(f"{BASE}/ship/v1/shipments/cancel").mock(
        side_effect=[
            httpx.Response(200, json=fx.json("fedex/cancel.json")),
            httpx.Response(200, json=fx.json("fedex/cancel_refused.json")),
        ]
    )
    label = Label(
        carrier="fedex",
        tracking_number="794953535000",
        label_format="PDF",
        document=b"",
        provider_ref="794953535000",
    )

    await connector.void_label(label)
    with pytest.raises(PermanentError) as caught:
        await connector.void_label(label)

    assert json.loads(route.calls[0].request.content) == {
        "accountNumber": {"value": "740561073"},
        "trackingNumber": "794953535000",
        "deletionControl": "DELETE_ALL_PACKAGES",
    }
    assert caught.value.code == "SHIPMENT.ALREADY.CANCELLED"


# ---------------------------------------------------------------------------- tracking


@respx.mock
async def test_track_maps_scan_events(connector, fx):
    respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    route = respx.post(f"{BASE}/track/v1/trackingnumbers").respond(
        200, json=fx.json("fedex/track.json")
    )

    events = await connector.track("776094337676")

    assert json.loads(route.calls.last.request.content) == {
        "includeDetailedScans": True,
        "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": "776094337676"}}],
    }
    assert [(e.raw_status, e.status) for e in events] == [
        ("OC", TrackingStatus.PRE_TRANSIT),
        ("DE", TrackingStatus.DELIVERY_ATTEMPTED),
        ("AF", TrackingStatus.IN_TRANSIT),
        ("PU", TrackingStatus.IN_TRANSIT),
        ("AO", TrackingStatus.IN_TRANSIT),
        ("OD", TrackingStatus.OUT_FOR_DELIVERY),
        ("DL", TrackingStatus.DELIVERED),
    ]
    attempt = events[1]
    assert attempt.description == "Delivery exception: Customer not available or business closed"
    assert attempt.location == "CLOVIS, CA, 93612, US"
    assert events[-1].occurred_at == datetime(
        2024, 4, 26, 9, 26, tzinfo=timezone(timedelta(hours=-7))
    )
    assert events[-1].occurred_at.astimezone(UTC).hour == 16


@respx.mock
async def test_an_unknown_number_has_no_events(connector, fx):
    respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    respx.post(f"{BASE}/track/v1/trackingnumbers").respond(
        200, json=fx.json("fedex/track_not_found.json")
    )
    assert await connector.track("39936862321") == []


@respx.mock
async def test_a_separate_track_key_pair_gets_its_own_token(connection_for, fx):
    connector = FedexConnector(
        connection_for(
            FedexConnector, **SETTINGS, track_client_id="track-id", track_client_secret="track-s"
        )
    )
    token = respx.post(TOKEN_URL).respond(200, json=fx.json("fedex/oauth_token.json"))
    respx.post(f"{BASE}/track/v1/trackingnumbers").respond(200, json=fx.json("fedex/track.json"))

    await connector.track("776094337676")

    assert parse_qs(token.calls.last.request.content.decode())["client_id"] == ["track-id"]


@pytest.mark.parametrize(
    ("event_type", "derived", "expected"),
    [
        ("OC", None, TrackingStatus.PRE_TRANSIT),
        ("PU", None, TrackingStatus.IN_TRANSIT),
        ("AR", None, TrackingStatus.IN_TRANSIT),
        ("AF", "IT", TrackingStatus.IN_TRANSIT),
        ("DP", None, TrackingStatus.IN_TRANSIT),
        ("IT", None, TrackingStatus.IN_TRANSIT),
        ("CC", None, TrackingStatus.IN_TRANSIT),
        ("DY", None, TrackingStatus.IN_TRANSIT),
        ("OD", "IT", TrackingStatus.OUT_FOR_DELIVERY),
        ("ED", None, TrackingStatus.OUT_FOR_DELIVERY),
        ("HP", None, TrackingStatus.AVAILABLE_FOR_PICKUP),
        ("HL", None, TrackingStatus.AVAILABLE_FOR_PICKUP),
        ("DE", "DE", TrackingStatus.DELIVERY_ATTEMPTED),
        ("DL", "DL", TrackingStatus.DELIVERED),
        ("RS", None, TrackingStatus.RETURNED_TO_SENDER),
        ("SE", None, TrackingStatus.EXCEPTION),
        ("CD", None, TrackingStatus.EXCEPTION),
        ("CA", None, TrackingStatus.CANCELLED),
        ("XX", "IT", TrackingStatus.IN_TRANSIT),
        ("XX", None, TrackingStatus.UNKNOWN),
        (None, None, TrackingStatus.UNKNOWN),
    ],
)
def test_status_mapping(event_type, derived, expected):
    assert canonical_status(event_type, derived) is expected


def test_no_code_is_mapped_twice():
    from orderhub.connectors.carriers.fedex.status import _GROUPS

    codes = [code for group in _GROUPS.values() for code in group]
    assert len(codes) == len(set(codes)) == len(STATUS_MAP)
