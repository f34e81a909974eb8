"""A carrier without an API: a local courier, the merchant's own van, or a demo with no network.

Rates come from the merchant's price list (`RateBand`s, as for DHL and Colissimo), the label
is a one-page PDF drawn here, and the tracking number is made from the label's reference, so
a retry of the same purchase gets the same number. Nothing is called, nothing is billed and
nothing reports tracking back: deliveries of these parcels are recorded by whoever learns of
them (the demo records them itself as the carrier's events).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

import msgspec

from orderhub.connectors.carriers._common import label_format, the_parcel
from orderhub.connectors.carriers.ratecard import RateBand, quote
from orderhub.core.connection import Connection
from orderhub.core.connectors import (
    Capability,
    ConnectorKind,
    HealthReport,
    Label,
    LabelRequest,
    PermanentError,
    Rate,
    RateRequest,
)
from orderhub.core.model.common import Address

LABEL_WIDTH_PT, LABEL_HEIGHT_PT = 283, 425
"""A 10 x 15 cm label, in PDF points."""


class OfflineSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    carrier: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    """The carrier's name on labels, rates and shipments ("Coursier Lyon")."""
    rates: list[RateBand]
    """The price list: what each service costs per parcel, by weight and destination."""
    tracking_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{0,6}$")] = "OH"
    tracking_url: str | None = None
    """Where a customer follows a parcel, with ``{number}`` for the tracking number."""

    def __post_init__(self) -> None:
        if not self.rates:
            raise ValueError("an offline carrier needs at least one rate band to quote from")
        if self.tracking_url is not None and "{number}" not in self.tracking_url:
            raise ValueError("tracking_url must contain {number}")


def tracking_number(prefix: str, reference: str) -> str:
    """Ten digits from the label's reference: the same purchase always gets the same number."""
    digest = hashlib.sha256(reference.encode()).digest()
    return f"{prefix}{int.from_bytes(digest[:8], 'big') % 10**10:010d}"


class OfflineConnector:
    """Rates from a price list and labels drawn locally; no HTTP at all."""

    name: ClassVar[str] = "offline"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CARRIER
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.RATES, Capability.LABELS})
    Settings: ClassVar[type[msgspec.Struct]] = OfflineSettings
    settings: OfflineSettings

    def __init__(self, connection: Connection, *, http: Any | None = None) -> None:
        self.connection = connection
        self.settings = connection.settings

    async def health(self) -> HealthReport:
        services = sorted({band.service for band in self.settings.rates})
        return HealthReport(
            ok=True, detail=f"offline: {', '.join(services)} from the price list, no API"
        )

    async def get_rates(self, request: RateRequest) -> Sequence[Rate]:
        return quote(self.settings.carrier, self.settings.rates, request)

    async def buy_label(self, request: LabelRequest) -> Label:
        fmt = label_format(request)
        if fmt != "PDF":
            raise PermanentError(
                f"an offline carrier prints PDF labels, not {fmt}",
                code="unsupported_label_format",
            )
        parcel = the_parcel(request.parcels)
        number = tracking_number(self.settings.tracking_prefix, request.reference)
        lines = [
            (16, f"{self.settings.carrier} - {request.rate.service}"),
            (22, number),
            (9, "FROM"),
            *[(10, text) for text in _address_lines(request.origin)],
            (9, "TO"),
            *[(13, text) for text in _address_lines(request.destination)],
            (9, f"{parcel.weight_grams} g  ref. {request.reference}"),
        ]
        url = self.settings.tracking_url
        return Label(
            carrier=self.settings.carrier,
            tracking_number=number,
            label_format="PDF",
            document=label_pdf(lines),
            provider_ref=number,
            cost=request.rate.price,
            tracking_url=url.format(number=number) if url else None,
        )

    async def void_label(self, label: Label) -> None:
        """Nothing to give back: no carrier sold it, so a void is only the hub's record."""

    async def aclose(self) -> None:
        return None


def _address_lines(address: Address) -> list[str]:
    city = " ".join(part for part in (address.postal_code, address.city) if part)
    parts = [address.name, address.company, address.line1, address.line2, city, address.country]
    return [part for part in parts if part]


def _pdf_text(text: str) -> bytes:
    encoded = text.encode("cp1252", errors="replace")
    return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def label_pdf(lines: Sequence[tuple[int, str]]) -> bytes:
    """A one-page PDF of text lines (font size, text) from the top, in Helvetica."""
    y = LABEL_HEIGHT_PT - 36
    stream = b""
    for size, text in lines:
        stream += b"BT /F1 %d Tf 20 %d Td (%s) Tj ET\n" % (size, y, _pdf_text(text))
        y -= size + 8
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>" % (LABEL_WIDTH_PT, LABEL_HEIGHT_PT),
        b"<< /Length %d >>\nstream\n%sendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out
