"""EasyPost against respx, with bodies in the shapes of EasyPost's published examples."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata
from datetime import UTC, datetime

import httpx
import pytest
import respx

from orderhub.connectors.carriers.easypost import EasyPostConnector
from orderhub.connectors.carriers.easypost.status import STATUS_MAP, canonical_status
from orderhub.core.connectors import (
    InboundEvent,
    Label,
    LabelRequest,
    PayloadError,
    PermanentError,
    Rate,
    RateRequest,
    TransientError,
    WebhookRejected,
    WebhookRequest,
)
from orderhub.core.events import TrackingObserved
from orderhub.core.model.fulfillment import TrackingStatus
from orderhub.core.money import Money

API = "https://api.easypost.com/v2"
API_KEY = "EZTK151720b5bbc44c4fb6d2c2f5a2c1ab71"
SHIPMENT_ID = "shp_490d50bd449442edb36f75e2937b32e8"
PNG_URL = "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20221017/d8f58ee193b24f9fadffae791f85d5f0.png"
PDF_URL = "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20221017/d8f58ee193b24f9fadffae791f85d5f0.pdf"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def connector(connection_for):
    return EasyPostConnector(
        connection_for(EasyPostConnector, api_key=API_KEY, webhook_secret="sécret-ﬁve")
    )


@pytest.fixture
def rate_request(warehouse_us, customer_us, parcel):
    return RateRequest(
        reference="rq_01JD7Q4Y6B9QF3R2",
        origin=warehouse_us,
        destination=customer_us,
        parcels=[parcel],
    )


def label_request(warehouse_us, customer_us, parcel, *, fmt="PDF", service="ParcelSelect"):
    return LabelRequest(
        reference="lbl_01JD7Q4Y6B9QF3R2",
        rate=Rate(carrier="USPS", service=service, price=Money.parse("9.16", "USD")),
        origin=warehouse_us,
        destination=customer_us,
        parcels=[parcel],
        label_format=fmt,
    )


def basic_auth(request: httpx.Request) -> str:
    return base64.b64decode(request.headers["authorization"].split()[1]).decode()


# ------------------------------------------------------------------------------- rates


@respx.mock
async def test_rates_come_from_a_shipment_and_keep_money_exact(connector, rate_request, fx):
    route = respx.post(f"{API}/shipments").respond(
        201, json=fx.json("easypost/shipment_create.json")
    )

    rates = await connector.get_rates(rate_request)

    sent = json.loads(route.calls.last.request.content)["shipment"]
    assert basic_auth(route.calls.last.request) == f"{API_KEY}:"
    assert sent["reference"] == "rq_01JD7Q4Y6B9QF3R2"
    assert sent["parcel"] == {"weight": 66.0, "length": 20.2, "width": 10.9, "height": 5.0}
    assert sent["to_address"]["zip"] == "90277" and sent["from_address"]["street2"] == "5th Floor"
    assert [(r.carrier, r.service, r.price, r.transit_days) for r in rates] == [
        ("USPS", "Priority", Money(amount=1007, currency="USD"), 2),
        ("USPS", "Express", Money(amount=4455, currency="USD"), None),
        ("USPS", "ParcelSelect", Money(amount=916, currency="USD"), 5),
    ]
    assert rates[0].rate_ref == "rate_aacff1509904422ca4b079fea6926895"


@respx.mock
async def test_carrier_rate_refusals_become_a_permanent_error(connector, rate_request, fx):
    respx.post(f"{API}/shipments").respond(
        201, json=fx.json("easypost/shipment_create_rate_errors.json")
    )

    with pytest.raises(PermanentError) as caught:
        await connector.get_rates(rate_request)

    assert str(caught.value) == "FedEx: Shipment cannot weigh less than 16oz"
    assert caught.value.code == "rate_error"


async def test_one_parcel_per_shipment(connector, warehouse_us, customer_us, parcel):
    request = RateRequest(
        reference="rq_1", origin=warehouse_us, destination=customer_us, parcels=[parcel, parcel]
    )
    with pytest.raises(PermanentError) as caught:
        await connector.get_rates(request)
    assert caught.value.code == "one_parcel_per_label"


# ------------------------------------------------------------------------------ labels


@respx.mock
async def test_buy_label_sends_the_reference_and_converts_to_pdf(
    connector, warehouse_us, customer_us, parcel, fx
):
    create = respx.post(f"{API}/shipments").respond(
        201, json=fx.json("easypost/shipment_create.json")
    )
    buy = respx.post(f"{API}/shipments/{SHIPMENT_ID}/buy").respond(
        200, json=fx.json("easypost/shipment_buy.json")
    )
    convert = respx.get(f"{API}/shipments/{SHIPMENT_ID}/label").respond(
        200, json=fx.json("easypost/shipment_label_pdf.json")
    )
    download = respx.get(PDF_URL).respond(200, content=PDF_BYTES)

    label = await connector.buy_label(label_request(warehouse_us, customer_us, parcel))

    assert json.loads(create.calls.last.request.content)["shipment"]["reference"] == (
        "lbl_01JD7Q4Y6B9QF3R2"
    )
    assert json.loads(buy.calls.last.request.content) == {
        "rate": {"id": "rate_f8cdad8cbf044c318a15a04c21b33dc6"}
    }
    assert convert.calls.last.request.url.params["file_format"] == "PDF"
    assert download.called and "authorization" not in download.calls.last.request.headers
    assert label == Label(
        carrier="USPS",
        tracking_number="9461200106068143633094",
        label_format="PDF",
        document=PDF_BYTES,
        provider_ref=SHIPMENT_ID,
        cost=Money(amount=916, currency="USD"),
        tracking_url="https://track.easypost.com/djE6dHJrX2M4MDFmOGZiMTM4MDRjMWJiOGNiZTBjM2M3NTBhOGU3",
    )


@respx.mock
async def test_png_label_needs_no_conversion(connector, warehouse_us, customer_us, parcel, fx):
    respx.post(f"{API}/shipments").respond(201, json=fx.json("easypost/shipment_create.json"))
    respx.post(f"{API}/shipments/{SHIPMENT_ID}/buy").respond(
        200, json=fx.json("easypost/shipment_buy.json")
    )
    convert = respx.get(f"{API}/shipments/{SHIPMENT_ID}/label")
    respx.get(PNG_URL).respond(200, content=b"\x89PNG\r\n\x1a\nlabel")

    label = await connector.buy_label(label_request(warehouse_us, customer_us, parcel, fmt="png"))

    assert label.label_format == "PNG" and label.document == b"\x89PNG\r\n\x1a\nlabel"
    assert not convert.called


@respx.mock
async def test_a_service_no_longer_offered_is_not_bought(
    connector, warehouse_us, customer_us, parcel, fx
):
    respx.post(f"{API}/shipments").respond(201, json=fx.json("easypost/shipment_create.json"))
    buy = respx.post(f"{API}/shipments/{SHIPMENT_ID}/buy")

    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(
            label_request(warehouse_us, customer_us, parcel, service="GroundAdvantage")
        )

    assert caught.value.code == "rate_unavailable"
    assert not buy.called


@respx.mock
async def test_a_lost_label_file_after_purchase_is_permanent_not_retried(
    connector, warehouse_us, customer_us, parcel, fx
):
    respx.post(f"{API}/shipments").respond(201, json=fx.json("easypost/shipment_create.json"))
    buy = respx.post(f"{API}/shipments/{SHIPMENT_ID}/buy").respond(
        200, json=fx.json("easypost/shipment_buy.json")
    )
    download = respx.get(PNG_URL).respond(503)

    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(label_request(warehouse_us, customer_us, parcel, fmt="PNG"))

    assert caught.value.code == "label_document_unavailable"
    assert caught.value.body == {
        "shipment_id": SHIPMENT_ID,
        "tracking_code": "9461200106068143633094",
    }
    assert buy.call_count == 1 and download.call_count == 3


@respx.mock
async def test_a_buy_without_answer_is_not_retried_automatically(
    connector, warehouse_us, customer_us, parcel, fx
):
    respx.post(f"{API}/shipments").respond(201, json=fx.json("easypost/shipment_create.json"))
    respx.post(f"{API}/shipments/{SHIPMENT_ID}/buy").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(label_request(warehouse_us, customer_us, parcel))

    assert caught.value.code == "purchase_outcome_unknown"


@respx.mock
async def test_invalid_address_is_permanent_with_easypost_message(
    connector, warehouse_us, customer_us, parcel, fx
):
    respx.post(f"{API}/shipments").respond(422, json=fx.json("easypost/error_address.json"))

    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(label_request(warehouse_us, customer_us, parcel))

    assert caught.value.code == "ADDRESS.VERIFY.FAILURE"
    assert str(caught.value) == (
        "Address not found; address: Address not found; street1: House number is missing"
    )


@respx.mock
async def test_rate_limit_is_transient_with_retry_after(connector, rate_request):
    respx.post(f"{API}/shipments").respond(429, headers={"Retry-After": "7"})

    with pytest.raises(TransientError) as caught:
        await connector.get_rates(rate_request)

    assert caught.value.retry_after == 7.0


@respx.mock
async def test_server_errors_and_timeouts_are_transient(connector, rate_request):
    respx.post(f"{API}/shipments").mock(
        side_effect=[httpx.Response(503), httpx.ReadTimeout("slow")]
    )
    with pytest.raises(TransientError) as first:
        await connector.get_rates(rate_request)
    with pytest.raises(TransientError) as second:
        await connector.get_rates(rate_request)
    assert first.value.retry_after is None
    assert "timed out" in str(second.value)


@respx.mock
async def test_void_asks_for_a_refund(connector, fx):
    label = Label(
        carrier="USPS",
        tracking_number="9461200106068143633094",
        label_format="PDF",
        document=b"",
        provider_ref=SHIPMENT_ID,
    )
    refund = respx.post(f"{API}/shipments/{SHIPMENT_ID}/refund").mock(
        side_effect=[
            httpx.Response(200, json=fx.json("easypost/shipment_refund.json")),
            httpx.Response(200, json=fx.json("easypost/shipment_refund_rejected.json")),
        ]
    )

    await connector.void_label(label)
    with pytest.raises(PermanentError) as caught:
        await connector.void_label(label)

    assert refund.call_count == 2
    assert caught.value.code == "refund_rejected"


# ---------------------------------------------------------------------------- tracking


@respx.mock
async def test_track_creates_or_reuses_a_tracker(connector, fx):
    route = respx.post(f"{API}/trackers").respond(200, json=fx.json("easypost/tracker_create.json"))

    events = await connector.track("EZ1000000001")

    assert json.loads(route.calls.last.request.content) == {
        "tracker": {"tracking_code": "EZ1000000001"}
    }
    assert [(e.status, e.raw_status, e.description, e.location) for e in events] == [
        (TrackingStatus.PRE_TRANSIT, "pre_transit", "Pre-Shipment Info Sent to USPS", None),
        (TrackingStatus.PRE_TRANSIT, "pre_transit", "Shipping Label Created", "HOUSTON, TX, 77063"),
    ]
    assert events[0].occurred_at == datetime(2022, 9, 17, 17, 51, 57, tzinfo=UTC)
    assert {e.carrier for e in events} == {"USPS"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("unknown", TrackingStatus.UNKNOWN),
        ("pre_transit", TrackingStatus.PRE_TRANSIT),
        ("in_transit", TrackingStatus.IN_TRANSIT),
        ("out_for_delivery", TrackingStatus.OUT_FOR_DELIVERY),
        ("available_for_pickup", TrackingStatus.AVAILABLE_FOR_PICKUP),
        ("delivered", TrackingStatus.DELIVERED),
        ("return_to_sender", TrackingStatus.RETURNED_TO_SENDER),
        ("failure", TrackingStatus.EXCEPTION),
        ("cancelled", TrackingStatus.CANCELLED),
        ("error", TrackingStatus.UNKNOWN),
        ("something_new", TrackingStatus.UNKNOWN),
    ],
)
def test_status_mapping(raw, expected):
    assert canonical_status(raw) is expected


def test_every_documented_status_is_mapped():
    assert set(STATUS_MAP) == {
        "unknown",
        "pre_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "available_for_pickup",
        "return_to_sender",
        "failure",
        "cancelled",
        "error",
    }


# ---------------------------------------------------------------------------- webhooks


def signed(body: bytes, secret: str) -> dict[str, str]:
    key = unicodedata.normalize("NFKD", secret).encode()
    return {
        "x-hmac-signature": "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    }


def test_webhook_signed_with_the_nfkd_secret_is_accepted(connector, fx):
    body = fx.bytes("easypost/event_tracker_updated.json")

    envelope = connector.verify_webhook(
        WebhookRequest(body=body, headers=signed(body, "sécret-ﬁve"))
    )

    assert envelope.event_id == "evt_3c1b7e2a4f3a11edb3a1bb8d1b3b8f6e"
    assert envelope.topic == "tracker.updated"
    assert envelope.occurred_at == datetime(2022, 10, 19, 15, 2, 12, tzinfo=UTC)


def test_the_secret_is_normalised_before_signing(connector, fx):
    """ "ﬁ" (U+FB01) and the composed "é" only match EasyPost after NFKD."""
    body = fx.bytes("easypost/event_tracker_updated.json")
    raw_key = "sécret-ﬁve".encode()
    unnormalised = "hmac-sha256-hex=" + hmac.new(raw_key, body, hashlib.sha256).hexdigest()

    with pytest.raises(WebhookRejected):
        connector.verify_webhook(
            WebhookRequest(body=body, headers={"x-hmac-signature": unnormalised})
        )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-hmac-signature": "hmac-sha256-hex=" + "0" * 64},
        {"x-hmac-signature": "not-even-hex"},
    ],
)
def test_webhook_with_a_bad_signature_is_rejected(connector, fx, headers):
    body = fx.bytes("easypost/event_tracker_updated.json")
    with pytest.raises(WebhookRejected):
        connector.verify_webhook(WebhookRequest(body=body, headers=headers))


def test_a_tampered_body_is_rejected(connector, fx):
    body = fx.bytes("easypost/event_tracker_updated.json")
    headers = signed(body, "sécret-ﬁve")
    with pytest.raises(WebhookRejected):
        connector.verify_webhook(
            WebhookRequest(body=body.replace(b"delivered", b"cancelled"), headers=headers)
        )


def inbound(body: bytes, topic: str) -> InboundEvent:
    return InboundEvent(
        event_id="evt",
        topic=topic,
        body=body,
        headers={},
        received_at=datetime(2022, 10, 19, 15, 2, 13, tzinfo=UTC),
    )


def test_tracker_updated_decodes_to_tracking_observed(connector, fx):
    changes = connector.decode_webhook(
        inbound(fx.bytes("easypost/event_tracker_updated.json"), "tracker.updated")
    )

    assert all(isinstance(change, TrackingObserved) for change in changes)
    assert {change.shipment_ref for change in changes} == {SHIPMENT_ID}
    assert [(c.event.status, c.event.raw_status) for c in changes] == [
        (TrackingStatus.PRE_TRANSIT, "pre_transit"),
        (TrackingStatus.IN_TRANSIT, "in_transit"),
        (TrackingStatus.OUT_FOR_DELIVERY, "out_for_delivery"),
        (TrackingStatus.DELIVERED, "delivered"),
    ]
    last = changes[-1].event
    assert last.tracking_number == "9461200106068143633094"
    assert last.location == "REDONDO BEACH, CA, 90277"
    assert last.occurred_at == datetime(2022, 10, 19, 15, 2, 11, tzinfo=UTC)


def test_other_topics_carry_nothing_to_merge(connector, fx):
    assert (
        connector.decode_webhook(
            inbound(fx.bytes("easypost/event_batch_updated.json"), "batch.updated")
        )
        == []
    )


def test_a_signed_but_unreadable_body_is_a_payload_error(connector):
    body = b"{not json"
    with pytest.raises(PayloadError):
        connector.verify_webhook(WebhookRequest(body=body, headers=signed(body, "sécret-ﬁve")))
    with pytest.raises(PayloadError):
        connector.decode_webhook(inbound(body, "tracker.updated"))
