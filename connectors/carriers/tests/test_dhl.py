"""DHL Parcel DE Shipping v2 and Shipment Tracking - Unified, against respx, in DHL's schema."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import httpx
import pytest
import respx

from orderhub.connectors.carriers.dhl import DhlConnector
from orderhub.connectors.carriers.dhl.tracking import STATUS_MAP, canonical_status
from orderhub.connectors.carriers.ratecard import RateBand
from orderhub.core.connectors import (
    Label,
    LabelRequest,
    PermanentError,
    Rate,
    RateRequest,
    TransientError,
)
from orderhub.core.model.fulfillment import Parcel, TrackingStatus
from orderhub.core.money import Money

ORDERS = "https://api-eu.dhl.com/parcel/de/shipping/v2/orders"
SANDBOX_ORDERS = "https://api-sandbox.dhl.com/parcel/de/shipping/v2/orders"
TRACK = "https://api-eu.dhl.com/track/shipments"

SETTINGS = dict(
    api_key="dhl-app-key",
    username="user-valid",
    password="SandboxPasswort2023!",
    billing_numbers={"V01PAK": "33333333330102", "V62KP": "33333333336201"},
    tracking_api_key="dhl-tracking-key",
    rates=[
        RateBand(service="V01PAK", price="5.49", max_weight_grams=2000, countries=["DE"]),
        RateBand(service="V01PAK", price="6.99", max_weight_grams=5000, countries=["DE"]),
        RateBand(service="V62KP", price="3.99", max_weight_grams=1000, countries=["DE"]),
        RateBand(service="V53WPAK", price="15.00", max_weight_grams=5000),
    ],
)


@pytest.fixture
def connector(connection_for):
    return DhlConnector(connection_for(DhlConnector, **SETTINGS))


def label_request(origin, destination, parcel, *, reference="lbl_01JD7Q4Y6B9QF3R2", fmt="PDF"):
    return LabelRequest(
        reference=reference,
        rate=Rate(carrier="dhl", service="V01PAK", price=Money.parse("5.49", "EUR")),
        origin=origin,
        destination=destination,
        parcels=[parcel],
        label_format=fmt,
    )


# ------------------------------------------------------------------------------- rates


async def test_rates_come_from_the_contract_price_list(connector, warehouse_de, customer_de):
    light = Parcel(weight_grams=900)
    request = RateRequest(
        reference="rq_1", origin=warehouse_de, destination=customer_de, parcels=[light]
    )

    rates = await connector.get_rates(request)

    # V53WPAK has a band but no billing number, so it cannot be bought and is not offered.
    assert [(r.service, r.price) for r in rates] == [
        ("V62KP", Money(amount=399, currency="EUR")),
        ("V01PAK", Money(amount=549, currency="EUR")),
    ]
    assert {r.carrier for r in rates} == {"dhl"}


async def test_heavier_parcels_take_the_next_band(connector, warehouse_de, customer_de):
    request = RateRequest(
        reference="rq_2",
        origin=warehouse_de,
        destination=customer_de,
        parcels=[Parcel(weight_grams=4200), Parcel(weight_grams=1500)],
    )

    rates = await connector.get_rates(request)

    assert [(r.service, r.price) for r in rates] == [("V01PAK", Money(amount=1248, currency="EUR"))]


# ------------------------------------------------------------------------------ labels


@respx.mock
async def test_buy_label_sends_refno_and_decodes_the_pdf(
    connector, warehouse_de, customer_de, parcel, fx
):
    route = respx.post(ORDERS).respond(200, json=fx.json("dhl/orders_200_pdf.json"))

    label = await connector.buy_label(label_request(warehouse_de, customer_de, parcel))

    sent = route.calls.last.request
    assert sent.headers["dhl-api-key"] == "dhl-app-key"
    assert base64.b64decode(sent.headers["authorization"].split()[1]) == (
        b"user-valid:SandboxPasswort2023!"
    )
    assert dict(sent.url.params) == {"docFormat": "PDF", "includeDocs": "include"}
    body = json.loads(sent.content)
    assert body["profile"] == "STANDARD_GRUPPENPROFIL"
    (shipment,) = body["shipments"]
    assert shipment == {
        "product": "V01PAK",
        "billingNumber": "33333333330102",
        "refNo": "lbl_01JD7Q4Y6B9QF3R2",
        "shipDate": date.today().isoformat(),
        "shipper": {
            "name1": "My Online Shop GmbH",
            "addressStreet": "Sträßchensweg 10",
            "postalCode": "53113",
            "city": "Bonn",
            "country": "DEU",
            "email": "max@mustermann.de",
        },
        "consignee": {
            "name1": "Maria Musterfrau",
            "addressStreet": "Kurt-Schumacher-Str. 20",
            "postalCode": "53113",
            "city": "Bonn",
            "country": "DEU",
            "email": "maria@musterfrau.de",
        },
        "details": {
            "weight": {"uom": "g", "value": 1870},
            "dim": {"uom": "mm", "length": 513, "width": 277, "height": 127},
        },
    }
    assert label.tracking_number == "340434310428091700"
    assert label.provider_ref == "340434310428091700"
    assert label.document == b"%PDF-1.5\n%DHL label 340434310428091700\n%%EOF\n"
    assert label.label_format == "PDF"
    assert label.cost == Money(amount=549, currency="EUR")


@respx.mock
async def test_zpl_labels_come_as_text(connector, warehouse_de, customer_de, parcel, fx):
    route = respx.post(ORDERS).respond(200, json=fx.json("dhl/orders_200_zpl.json"))

    label = await connector.buy_label(label_request(warehouse_de, customer_de, parcel, fmt="ZPL"))

    assert route.calls.last.request.url.params["docFormat"] == "ZPL2"
    assert label.document.startswith(b"^XA") and label.label_format == "ZPL"


async def test_png_is_not_a_parcel_de_format(connector, warehouse_de, customer_de, parcel):
    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(label_request(warehouse_de, customer_de, parcel, fmt="PNG"))
    assert caught.value.code == "unsupported_label_format"


async def test_a_product_without_billing_number_is_refused_before_calling(
    connector, warehouse_de, customer_de, parcel
):
    request = LabelRequest(
        reference="lbl_01JD7Q4Y6B9QF3R2",
        rate=Rate(carrier="dhl", service="V53WPAK", price=Money.parse("15.00", "EUR")),
        origin=warehouse_de,
        destination=customer_de,
        parcels=[parcel],
    )
    # respx with no route: any request would fail the test
    with respx.mock, pytest.raises(PermanentError) as caught:
        await connector.buy_label(request)
    assert caught.value.code == "unknown_service"


@respx.mock
async def test_207_reports_each_shipment_on_its_own(
    connector, warehouse_de, customer_de, parcel, fx
):
    respx.post(ORDERS).respond(207, json=fx.json("dhl/orders_207.json"))
    requests = [
        label_request(warehouse_de, customer_de, parcel, reference=f"lbl_01JD7Q4Y6B9QF3R{n}")
        for n in (2, 3, 4)
    ]

    outcomes = await connector.buy_labels(requests)

    assert [o.reference for o in outcomes] == [r.reference for r in requests]
    assert [o.ok for o in outcomes] == [True, False, False]
    assert outcomes[0].unwrap().tracking_number == "340434310428091717"
    assert outcomes[0].unwrap().document == b"%PDF-1.5\n%DHL label 340434310428091717\n%%EOF\n"
    assert outcomes[1].error_code == "400"
    assert outcomes[1].error_message == (
        "Bad Request: Shipment could not be created.; "
        "consignee.postalCode: Postal code format is invalid; "
        "consignee.city: City name is required"
    )
    assert outcomes[2].error_message == "Bad Request; details.weight: Weight exceeds maximum limit"
    with pytest.raises(PermanentError) as caught:
        outcomes[2].unwrap()
    assert caught.value.code == "400"


@respx.mock
async def test_a_refused_single_shipment_raises_dhl_message(
    connector, warehouse_de, customer_de, parcel, fx
):
    respx.post(ORDERS).respond(400, json=fx.json("dhl/orders_400.json"))

    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(label_request(warehouse_de, customer_de, parcel))

    assert caught.value.code == "400"
    assert str(caught.value) == "Bad Request; shipper.addressStreet: Street name is required"


@respx.mock
async def test_bad_credentials_are_permanent(connector, warehouse_de, customer_de, parcel, fx):
    respx.post(ORDERS).respond(401, json=fx.json("dhl/error_401.json"))

    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(label_request(warehouse_de, customer_de, parcel))

    assert caught.value.code == "401"
    assert str(caught.value) == "Unauthorized: Unauthorized for given resource."


@respx.mock
async def test_rate_limit_is_transient_with_retry_after(
    connector, warehouse_de, customer_de, parcel, fx
):
    respx.post(ORDERS).respond(
        429, json=fx.json("dhl/error_429.json"), headers={"Retry-After": "30"}
    )

    with pytest.raises(TransientError) as caught:
        await connector.buy_label(label_request(warehouse_de, customer_de, parcel))

    assert caught.value.retry_after == 30.0
    assert "Rate limit quota violation" in str(caught.value)


@respx.mock
async def test_a_connection_refused_is_transient_a_lost_answer_is_not(
    connector, warehouse_de, customer_de, parcel
):
    respx.post(ORDERS).mock(side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
    request = label_request(warehouse_de, customer_de, parcel)

    with pytest.raises(TransientError):
        await connector.buy_label(request)
    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(request)

    assert caught.value.code == "purchase_outcome_unknown"


@respx.mock
async def test_sandbox_setting_uses_the_sandbox(
    connection_for, warehouse_de, customer_de, parcel, fx
):
    connector = DhlConnector(connection_for(DhlConnector, **SETTINGS, sandbox=True))
    route = respx.post(SANDBOX_ORDERS).respond(200, json=fx.json("dhl/orders_200_pdf.json"))

    await connector.buy_label(label_request(warehouse_de, customer_de, parcel))

    assert route.called


@respx.mock
async def test_void_deletes_the_shipment(connector, fx):
    label = Label(
        carrier="dhl",
        tracking_number="340434310428091700",
        label_format="PDF",
        document=b"",
        provider_ref="340434310428091700",
    )
    route = respx.delete(ORDERS).mock(
        side_effect=[
            httpx.Response(200, json=fx.json("dhl/delete_200.json")),
            httpx.Response(400, json=fx.json("dhl/delete_400.json")),
        ]
    )

    await connector.void_label(label)
    with pytest.raises(PermanentError) as caught:
        await connector.void_label(label)

    assert dict(route.calls[0].request.url.params) == {
        "profile": "STANDARD_GRUPPENPROFIL",
        "shipment": "340434310428091700",
    }
    assert str(caught.value) == "Bad Request: Shipment is already manifested or does not exist."


# ---------------------------------------------------------------------------- tracking


@respx.mock
async def test_track_reads_unified_events_oldest_first(connector, fx):
    route = respx.get(TRACK).respond(200, json=fx.json("dhl/track_delivered.json"))

    events = await connector.track("340434310428091700")

    request = route.calls.last.request
    assert request.headers["DHL-API-Key"] == "dhl-tracking-key"
    assert dict(request.url.params) == {
        "trackingNumber": "340434310428091700",
        "service": "parcel-de",
    }
    assert [(e.status, e.raw_status) for e in events] == [
        (TrackingStatus.PRE_TRANSIT, "pre-transit"),
        (TrackingStatus.IN_TRANSIT, "transit"),
        (TrackingStatus.IN_TRANSIT, "transit"),
        (TrackingStatus.DELIVERED, "delivered"),
    ]
    assert events[-1].occurred_at == datetime(2024, 3, 7, 10, 42, tzinfo=UTC)
    assert events[-1].location == "Bonn, 53113, DE"
    assert events[-1].description == "The shipment has been successfully delivered"


@respx.mock
async def test_an_unknown_number_has_no_events_yet(connector, fx):
    respx.get(TRACK).respond(404, json=fx.json("dhl/track_404.json"))
    assert await connector.track("340434310428099999") == []


@respx.mock
async def test_tracking_errors(connector, fx):
    respx.get(TRACK).mock(
        side_effect=[
            httpx.Response(401, json=fx.json("dhl/track_401.json")),
            httpx.Response(
                429,
                json={"title": "Too many requests", "status": 429, "detail": "Daily limit"},
                headers={"Retry-After": "120"},
            ),
        ]
    )
    with pytest.raises(PermanentError) as unauthorized:
        await connector.track("340434310428091700")
    with pytest.raises(TransientError) as limited:
        await connector.track("340434310428091700")
    assert unauthorized.value.code == "401"
    assert limited.value.retry_after == 120.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pre-transit", TrackingStatus.PRE_TRANSIT),
        ("transit", TrackingStatus.IN_TRANSIT),
        ("delivered", TrackingStatus.DELIVERED),
        ("failure", TrackingStatus.EXCEPTION),
        ("unknown", TrackingStatus.UNKNOWN),
        ("something-new", TrackingStatus.UNKNOWN),
        (None, TrackingStatus.UNKNOWN),
    ],
)
def test_status_mapping(raw, expected):
    assert canonical_status(raw) is expected


def test_the_whole_status_code_enumeration_is_mapped():
    assert set(STATUS_MAP) == {"pre-transit", "transit", "delivered", "failure", "unknown"}


async def test_health_reports_missing_configuration(connection_for):
    configured = DhlConnector(connection_for(DhlConnector, **SETTINGS))
    unbillable = DhlConnector(connection_for(DhlConnector, **{**SETTINGS, "billing_numbers": {}}))

    report = await configured.health()
    missing = await unbillable.health()

    assert report.ok and report.detail == "production, products ['V01PAK', 'V62KP']"
    assert not missing.ok and missing.detail == "not configured: billing_numbers"
