"""EasyPost webhooks: the `X-Hmac-Signature` check and `tracker.*` events as tracking facts.

EasyPost signs the raw body with HMAC-SHA256 keyed by the webhook secret after Unicode NFKD
normalisation (its client libraries do the same) and sends `hmac-sha256-hex=<hex digest>`.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Sequence

import msgspec

from orderhub.connectors.carriers._common import parse_timestamp
from orderhub.connectors.carriers.easypost.payloads import EPEvent, EPTracker, EPTrackingDetail
from orderhub.connectors.carriers.easypost.status import canonical_status
from orderhub.core.connectors import (
    InboundEvent,
    PayloadError,
    WebhookEnvelope,
    WebhookRejected,
    WebhookRequest,
)
from orderhub.core.events import InboundChange, TrackingObserved
from orderhub.core.model.fulfillment import TrackingEvent

SIGNATURE_HEADER = "x-hmac-signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="
TRACKER_TOPICS = frozenset({"tracker.created", "tracker.updated"})


def signature(secret: str, body: bytes) -> str:
    """The header value EasyPost sends for `body` under `secret`."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(secret: str, request: WebhookRequest) -> WebhookEnvelope:
    """Reject anything not signed with our secret; then read the event id and topic."""
    sent = request.headers.get(SIGNATURE_HEADER)
    if not sent:
        raise WebhookRejected(f"missing {SIGNATURE_HEADER} header")
    if not hmac.compare_digest(sent.strip().encode(), signature(secret, request.body).encode()):
        raise WebhookRejected("X-Hmac-Signature does not match the body")
    event = _event(request.body)
    occurred = event.updated_at or event.created_at
    return WebhookEnvelope(
        event_id=event.id,
        topic=event.description,
        occurred_at=parse_timestamp(occurred, what="event time", error=PayloadError)
        if occurred
        else None,
    )


def decode(event: InboundEvent) -> Sequence[InboundChange]:
    """`tracker.created`/`tracker.updated` become one `TrackingObserved` per scan.

    Other topics (batches, scan forms, refunds...) carry nothing the hub merges yet.
    """
    if event.topic not in TRACKER_TOPICS:
        return []
    parsed = _event(event.body)
    if parsed.result is None:
        raise PayloadError(f"{event.topic} event {parsed.id} has no result")
    try:
        tracker = msgspec.convert(parsed.result, EPTracker)
    except msgspec.ValidationError as exc:
        raise PayloadError(f"{event.topic} result is not a Tracker: {exc}") from exc
    return [
        TrackingObserved(event=tracking_event, shipment_ref=tracker.shipment_id)
        for tracking_event in tracker_events(tracker, error=PayloadError)
    ]


def tracker_events(tracker: EPTracker, *, error: type[Exception]) -> list[TrackingEvent]:
    """Every scan of a tracker, oldest first; a tracker without scans yields its status."""
    carrier = tracker.carrier or "easypost"
    events = [
        TrackingEvent(
            tracking_number=tracker.tracking_code,
            carrier=carrier,
            status=canonical_status(detail.status),
            raw_status=detail.status,
            occurred_at=parse_timestamp(detail.at, what="tracking detail", error=error),
            description=detail.message,
            location=_location(detail),
        )
        for detail in tracker.tracking_details
    ]
    if not events and tracker.updated_at:
        events.append(
            TrackingEvent(
                tracking_number=tracker.tracking_code,
                carrier=carrier,
                status=canonical_status(tracker.status),
                raw_status=tracker.status,
                occurred_at=parse_timestamp(tracker.updated_at, what="tracker", error=error),
                description=tracker.status_detail,
            )
        )
    return sorted(events, key=lambda e: e.occurred_at)


def _location(detail: EPTrackingDetail) -> str | None:
    place = detail.tracking_location
    if place is None:
        return None
    parts = [place.city, place.state, place.zip, place.country]
    text = ", ".join(part for part in parts if part)
    return text or None


def _event(body: bytes) -> EPEvent:
    try:
        return msgspec.json.decode(body, type=EPEvent)
    except msgspec.DecodeError as exc:
        raise PayloadError(f"not an EasyPost Event: {exc}") from exc
