"""La Poste Suivi v2 (Okapi): its event codes in OrderHub's vocabulary, and its answers."""

from __future__ import annotations

import msgspec

from orderhub.connectors.carriers._common import parse_timestamp
from orderhub.core.model.fulfillment import TrackingEvent, TrackingStatus

STATUS_MAP: dict[str, TrackingStatus] = {
    "DR1": TrackingStatus.PRE_TRANSIT,  # déclaratif réceptionné: label made, not handed over
    "PC1": TrackingStatus.IN_TRANSIT,  # pris en charge
    "PC2": TrackingStatus.IN_TRANSIT,  # pris en charge dans le pays d'expédition
    "ET1": TrackingStatus.IN_TRANSIT,  # en cours de traitement
    "ET2": TrackingStatus.IN_TRANSIT,  # en traitement dans le pays d'expédition
    "ET3": TrackingStatus.IN_TRANSIT,  # en traitement dans le pays de destination
    "ET4": TrackingStatus.IN_TRANSIT,  # en traitement dans un pays de transit
    "EP1": TrackingStatus.IN_TRANSIT,  # en attente de présentation
    "DO1": TrackingStatus.IN_TRANSIT,  # entrée en douane
    "DO2": TrackingStatus.IN_TRANSIT,  # sortie de douane
    "DO3": TrackingStatus.EXCEPTION,  # retenu en douane
    "PB1": TrackingStatus.EXCEPTION,  # problème en cours
    "PB2": TrackingStatus.IN_TRANSIT,  # problème résolu: on its way again
    "MD2": TrackingStatus.OUT_FOR_DELIVERY,  # mis en distribution
    "ND1": TrackingStatus.EXCEPTION,  # non distribuable
    "AG1": TrackingStatus.AVAILABLE_FOR_PICKUP,  # en attente d'être retiré au guichet
    "RE1": TrackingStatus.RETURNED_TO_SENDER,  # retourné à l'expéditeur
    "DI1": TrackingStatus.DELIVERED,  # distribué
    "DI2": TrackingStatus.RETURNED_TO_SENDER,  # distribué à l'expéditeur: the return arrived
}
"""The 19 event codes of Suivi v2. ET1 is processing, not out for delivery: that is MD2."""


def canonical_status(code: str | None) -> TrackingStatus:
    return STATUS_MAP.get((code or "").upper(), TrackingStatus.UNKNOWN)


class SuiviEvent(msgspec.Struct, kw_only=True):
    code: str
    date: str
    label: str | None = None


class SuiviShipment(msgspec.Struct, kw_only=True):
    idShip: str  # noqa: N815 - La Poste's field names
    product: str | None = None
    isFinal: bool = False  # noqa: N815
    url: str | None = None
    event: list[SuiviEvent] = []


class SuiviAnswer(msgspec.Struct, kw_only=True):
    """One shipment's answer; also the error body (`returnCode`, `returnMessage`)."""

    returnCode: int | None = None  # noqa: N815
    returnMessage: str | None = None  # noqa: N815
    lang: str | None = None
    shipment: SuiviShipment | None = None


class GatewayError(msgspec.Struct, kw_only=True):
    """What the Okapi gateway itself answers (quota, missing key): `{code, message}`."""

    code: str | None = None
    message: str | None = None


def events(answers: list[SuiviAnswer], tracking_number: str) -> list[TrackingEvent]:
    found: list[TrackingEvent] = []
    for answer in answers:
        shipment = answer.shipment
        if shipment is None or shipment.idShip.upper() != tracking_number.upper():
            continue
        found += [
            TrackingEvent(
                tracking_number=shipment.idShip,
                carrier="colissimo",
                status=canonical_status(event.code),
                raw_status=event.code,
                occurred_at=parse_timestamp(event.date, what="La Poste event"),
                description=event.label,
            )
            for event in shipment.event
        ]
    return sorted(found, key=lambda e: e.occurred_at)
