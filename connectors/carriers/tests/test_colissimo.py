"""Colissimo SLS (multipart answers) and La Poste Suivi v2 against respx."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import httpx
import msgspec
import pytest
import respx

from orderhub.connectors.carriers.colissimo import ColissimoConnector, ColissimoSettings
from orderhub.connectors.carriers.colissimo.labels import boundary_of, split_multipart
from orderhub.connectors.carriers.colissimo.tracking import STATUS_MAP, canonical_status
from orderhub.connectors.carriers.ratecard import RateBand
from orderhub.core.connection import SettingsError, decode_settings
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

SLS = "https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0/generateLabel"
SUIVI = "https://api.laposte.fr/suivi/v2/idships"
SETTINGS = dict(
    contract_number="123456",
    password="MotDePasse!",
    okapi_key="okapi-key-123",
    commercial_name="Boutique Exemple",
    rates=[
        RateBand(service="DOM", price="6.25", max_weight_grams=2000, countries=["FR"]),
        RateBand(service="DOS", price="7.90", max_weight_grams=2000, countries=["FR"]),
        RateBand(service="DOM", price="8.10", max_weight_grams=5000, countries=["FR"]),
        RateBand(service="COLI", price="24.50", max_weight_grams=5000, countries=["DE", "BE"]),
    ],
)


def multipart(fx, name: str, boundary: str) -> httpx.Response:
    return httpx.Response(
        200,
        content=fx.bytes(f"colissimo/{name}"),
        headers={"content-type": f'multipart/mixed; boundary="{boundary}"'},
    )


OK_BOUNDARY = "uuid:dee537d3-3319-4ad8-87c1-b958f43e0739"


@pytest.fixture
def connector(connection_for):
    return ColissimoConnector(connection_for(ColissimoConnector, **SETTINGS))


def label_request(origin, destination, parcel, fmt="PDF"):
    return LabelRequest(
        reference="lbl_01JD7Q4Y6B9QF3R2",
        rate=Rate(carrier="colissimo", service="DOS", price=Money.parse("7.90", "EUR")),
        origin=origin,
        destination=destination,
        parcels=[parcel],
        label_format=fmt,
    )


# ---------------------------------------------------------------------------- settings


def test_a_password_or_an_api_key_is_required():
    raw = {"contract_number": "123456", "okapi_key": "k"}
    with pytest.raises(SettingsError):
        decode_settings(ColissimoSettings, raw, "connections.colissimo.settings")
    assert decode_settings(ColissimoSettings, {**raw, "api_key": "sls"}, "s").api_key == "sls"


# ------------------------------------------------------------------------------- rates


async def test_rates_from_the_contract_prices(connector, warehouse_fr, customer_fr, parcel):
    request = RateRequest(
        reference="rq", origin=warehouse_fr, destination=customer_fr, parcels=[parcel]
    )
    rates = await connector.get_rates(request)
    assert [(r.service, r.price.amount) for r in rates] == [("DOM", 625), ("DOS", 790)]

    heavy = RateRequest(
        reference="rq",
        origin=warehouse_fr,
        destination=customer_fr,
        parcels=[Parcel(weight_grams=4000)],
    )
    assert [(r.service, r.price.amount) for r in await connector.get_rates(heavy)] == [("DOM", 810)]


# ------------------------------------------------------------------------------ labels


@respx.mock
async def test_generate_label_sends_the_letter_and_reads_the_multipart_answer(
    connector, warehouse_fr, customer_fr, parcel, fx
):
    route = respx.post(SLS).mock(
        return_value=multipart(fx, "generate_label_ok.multipart", OK_BOUNDARY)
    )

    label = await connector.buy_label(label_request(warehouse_fr, customer_fr, parcel))

    sent = route.calls.last.request
    assert sent.headers["accept"] == "multipart/mixed"
    assert "apikey" not in sent.headers
    body = json.loads(sent.content)
    assert body["contractNumber"] == "123456" and body["password"] == "MotDePasse!"
    assert body["outputFormat"] == {"x": 0, "y": 0, "outputPrintingType": "PDF_10x15_300dpi"}
    letter = body["letter"]
    assert letter["service"] == {
        "productCode": "DOS",
        "depositDate": date.today().isoformat(),
        "orderNumber": "lbl_01JD7Q4Y6B9QF3R2",
        "commercialName": "Boutique Exemple",
    }
    assert letter["parcel"] == {"weight": 1.87}
    assert letter["sender"]["senderParcelRef"] == "lbl_01JD7Q4Y6B9QF3R2"
    assert letter["addressee"] == {
        "addresseeParcelRef": "lbl_01JD7Q4Y6B9QF3R2",
        "address": {
            "lastName": "Jeanne Martin",
            "line1": "Bâtiment B",
            "line2": "12 rue de la République",
            "countryCode": "FR",
            "city": "Lyon",
            "zipCode": "69002",
            "mobileNumber": "+33612345678",
            "email": "jeanne.martin@example.fr",
        },
    }
    assert letter["sender"]["address"]["phoneNumber"] == "+33140000000"
    assert label == Label(
        carrier="colissimo",
        tracking_number="6A15984040331",
        label_format="PDF",
        document=fx.bytes("colissimo/label.pdf"),
        provider_ref="6A15984040331",
        cost=Money(amount=790, currency="EUR"),
        tracking_url="https://www.laposte.fr/outils/suivre-vos-envois?code=6A15984040331",
    )


@respx.mock
async def test_zpl_and_the_api_key_header(connection_for, warehouse_fr, customer_fr, parcel, fx):
    settings = {**SETTINGS, "password": None, "api_key": "sls-api-key"}
    connector = ColissimoConnector(connection_for(ColissimoConnector, **settings))
    route = respx.post(SLS).mock(
        return_value=multipart(
            fx, "generate_label_zpl.multipart", "uuid:5b0c41a2-2f1e-4a77-9d54-0c7a8b1e6f20"
        )
    )

    label = await connector.buy_label(label_request(warehouse_fr, customer_fr, parcel, "ZPL"))

    sent = route.calls.last.request
    assert sent.headers["apikey"] == "sls-api-key"
    body = json.loads(sent.content)
    assert "password" not in body
    assert body["outputFormat"]["outputPrintingType"] == "ZPL_10x15_300dpi"
    assert label.document == b"^XA^CI28^FO40,40^A0N,40,40^FD6A15984040331^FS^XZ"


@respx.mock
async def test_an_error_message_is_permanent_with_colissimo_code(
    connector, warehouse_fr, customer_fr, parcel, fx
):
    response = multipart(
        fx, "generate_label_auth_error.multipart", "uuid:07a458a8-bd7d-45ab-8349-865ac38f9b6e"
    )
    respx.post(SLS).mock(return_value=response)

    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(label_request(warehouse_fr, customer_fr, parcel))

    assert caught.value.code == "30000"
    assert str(caught.value) == "Identifiant ou mot de passe incorrect"


@respx.mock
async def test_functional_errors_may_come_with_http_400(
    connector, warehouse_fr, customer_fr, parcel, fx
):
    answer = multipart(
        fx, "generate_label_auth_error.multipart", "uuid:07a458a8-bd7d-45ab-8349-865ac38f9b6e"
    )
    respx.post(SLS).respond(400, content=answer.content, headers=answer.headers)

    with pytest.raises(PermanentError) as caught:
        await connector.buy_label(label_request(warehouse_fr, customer_fr, parcel))

    assert caught.value.code == "30000"


@respx.mock
async def test_server_errors_are_transient(connector, warehouse_fr, customer_fr, parcel):
    respx.post(SLS).respond(500, text="Erreur technique")
    with pytest.raises(TransientError):
        await connector.buy_label(label_request(warehouse_fr, customer_fr, parcel))


async def test_void_calls_nothing(connector):
    label = Label(
        carrier="colissimo",
        tracking_number="6A15984040331",
        label_format="PDF",
        document=b"",
        provider_ref="6A15984040331",
    )
    with respx.mock:  # no route: any request would fail the test
        assert await connector.void_label(label) is None


def test_multipart_parts_are_kept_byte_for_byte_with_crlf_or_lf(fx):
    raw = fx.bytes("colissimo/generate_label_ok.multipart")
    for body in (raw, raw.replace(b"\r\n", b"\n")):
        parts = split_multipart(body, OK_BOUNDARY)
        assert [p.content_id for p in parts] == ["jsonInfos", "label"]
        assert parts[0].headers["content-type"] == "application/json;charset=UTF-8"
        infos = msgspec.json.decode(parts[0].body)
        assert infos["labelV2Response"]["parcelNumber"] == "6A15984040331"
    assert split_multipart(raw, OK_BOUNDARY)[1].body == fx.bytes("colissimo/label.pdf")


@pytest.mark.parametrize(
    ("header", "boundary"),
    [
        ('multipart/mixed; boundary="uuid:abc-1"; start="<jsonInfos>"', "uuid:abc-1"),
        ("multipart/related; type=application/json; boundary=uuid:abc-2", "uuid:abc-2"),
        ("application/json", None),
    ],
)
def test_boundary_is_read_from_the_content_type(header, boundary):
    assert boundary_of(header) == boundary


# ---------------------------------------------------------------------------- tracking


@respx.mock
async def test_suivi_list_answer_to_events(connector, fx):
    route = respx.get(f"{SUIVI}/EW112720413FR").respond(
        200, json=fx.json("colissimo/suivi_delivered_list.json")
    )

    events = await connector.track("EW112720413FR")

    sent = route.calls.last.request
    assert sent.headers["x-okapi-key"] == "okapi-key-123"
    assert sent.url.params["lang"] == "fr_FR"
    assert [(e.raw_status, e.status) for e in events] == [
        ("DR1", TrackingStatus.PRE_TRANSIT),
        ("PC1", TrackingStatus.IN_TRANSIT),
        ("ET1", TrackingStatus.IN_TRANSIT),
        ("ET1", TrackingStatus.IN_TRANSIT),
        ("ET2", TrackingStatus.IN_TRANSIT),
        ("ET3", TrackingStatus.IN_TRANSIT),
        ("ET1", TrackingStatus.IN_TRANSIT),
        ("MD2", TrackingStatus.OUT_FOR_DELIVERY),
        ("DI1", TrackingStatus.DELIVERED),
    ]
    assert events[-1].occurred_at == datetime(2023, 3, 9, 8, 38, tzinfo=UTC)
    assert events[-1].description == "Votre colis est livré."
    assert {e.carrier for e in events} == {"colissimo"}


@respx.mock
async def test_suivi_single_object_answer(connector, fx):
    respx.get(f"{SUIVI}/6A15984040331").respond(
        200, json=fx.json("colissimo/suivi_pickup_object.json")
    )

    events = await connector.track("6A15984040331")

    assert [e.status for e in events][-1] is TrackingStatus.AVAILABLE_FOR_PICKUP


@respx.mock
async def test_suivi_errors(connector, fx):
    respx.get(f"{SUIVI}/6A99999999999").respond(404, json=fx.json("colissimo/suivi_404.json"))
    respx.get(f"{SUIVI}/BAD").respond(400, json=fx.json("colissimo/suivi_400.json"))
    respx.get(f"{SUIVI}/NOKEY").respond(401, json=fx.json("colissimo/suivi_401.json"))
    respx.get(f"{SUIVI}/BUSY").respond(
        429, json=fx.json("colissimo/suivi_429.json"), headers={"Retry-After": "1"}
    )

    assert await connector.track("6A99999999999") == []
    with pytest.raises(PermanentError) as invalid:
        await connector.track("BAD")
    with pytest.raises(PermanentError) as unauthorized:
        await connector.track("NOKEY")
    with pytest.raises(TransientError) as busy:
        await connector.track("BUSY")

    assert str(invalid.value).startswith("Le numéro que vous avez saisi n’est pas valide.")
    assert invalid.value.code == "400"
    assert str(unauthorized.value) == "UNAUTHORIZED: This action requires an authorization"
    assert busy.value.retry_after == 1.0
    assert "TOO_MANY_REQUESTS" in str(busy.value)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DR1", TrackingStatus.PRE_TRANSIT),
        ("PC1", TrackingStatus.IN_TRANSIT),
        ("PC2", TrackingStatus.IN_TRANSIT),
        ("ET1", TrackingStatus.IN_TRANSIT),
        ("ET2", TrackingStatus.IN_TRANSIT),
        ("ET3", TrackingStatus.IN_TRANSIT),
        ("ET4", TrackingStatus.IN_TRANSIT),
        ("EP1", TrackingStatus.IN_TRANSIT),
        ("DO1", TrackingStatus.IN_TRANSIT),
        ("DO2", TrackingStatus.IN_TRANSIT),
        ("DO3", TrackingStatus.EXCEPTION),
        ("PB1", TrackingStatus.EXCEPTION),
        ("PB2", TrackingStatus.IN_TRANSIT),
        ("MD2", TrackingStatus.OUT_FOR_DELIVERY),
        ("ND1", TrackingStatus.EXCEPTION),
        ("AG1", TrackingStatus.AVAILABLE_FOR_PICKUP),
        ("RE1", TrackingStatus.RETURNED_TO_SENDER),
        ("DI1", TrackingStatus.DELIVERED),
        ("DI2", TrackingStatus.RETURNED_TO_SENDER),
        ("di1", TrackingStatus.DELIVERED),
        ("ZZ9", TrackingStatus.UNKNOWN),
        (None, TrackingStatus.UNKNOWN),
    ],
)
def test_status_mapping(code, expected):
    assert canonical_status(code) is expected


def test_all_nineteen_event_codes_are_mapped():
    assert len(STATUS_MAP) == 19
