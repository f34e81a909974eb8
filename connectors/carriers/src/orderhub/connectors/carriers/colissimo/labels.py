"""Colissimo label web service (SLS, JSON/REST): the `generateLabel` body and its answer.

SLS answers with a MIME multipart body, not JSON: a `<jsonInfos>` part (messages and the
parcel number) and a `<label>` part holding the raw PDF or ZPL bytes, not base64. Errors come
in the same shape with `labelV2Response: null` and messages of type `ERROR`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import msgspec

from orderhub.connectors.carriers._common import compact, the_parcel
from orderhub.core.connectors import LabelRequest, PermanentError
from orderhub.core.model.common import Address

MOBILE = re.compile(r"^(\+33|0033|0)\s*[67]")
"""French mobile numbers; SLS wants them in `mobileNumber` (SMS notices, pickup points)."""


class SlsMessage(msgspec.Struct, kw_only=True):
    id: str | None = None
    type: str | None = None
    messageContent: str | None = None  # noqa: N815 - SLS's field names


class SlsLabel(msgspec.Struct, kw_only=True):
    parcelNumber: str | None = None  # noqa: N815
    parcelNumberPartner: str | None = None  # noqa: N815
    pdfUrl: str | None = None  # noqa: N815


class SlsInfos(msgspec.Struct, kw_only=True):
    """The `jsonInfos` part: messages (INFOS or ERROR) and, on success, the parcel number."""

    messages: list[SlsMessage] = []
    labelV2Response: SlsLabel | None = None  # noqa: N815

    def errors(self) -> list[SlsMessage]:
        return [m for m in self.messages if (m.type or "").upper() == "ERROR"]


class Part(msgspec.Struct, frozen=True, kw_only=True):
    headers: dict[str, str]
    body: bytes

    @property
    def content_id(self) -> str:
        return self.headers.get("content-id", "").strip().strip("<>")


def address(place: Address, *, destination: bool) -> dict[str, Any]:
    """SLS lines: line2 is the street (required); line1 the building, entrance, residence."""
    phone = place.phone
    mobile = phone if phone and MOBILE.match(phone) else None
    body = {
        "companyName": place.company,
        "lastName": place.name,
        "line1": place.line2,
        "line2": place.line1,
        "countryCode": place.country,
        "city": place.city,
        "zipCode": place.postal_code,
        "stateOrProvinceCode": place.region if destination else None,
        "mobileNumber": mobile,
        "phoneNumber": None if mobile else phone,
        "email": place.email,
    }
    return compact(body)


def generate_label_body(
    request: LabelRequest,
    *,
    credentials: dict[str, str],
    printing_type: str,
    deposit_date: date,
    commercial_name: str | None,
) -> dict[str, Any]:
    parcel = the_parcel(request.parcels)
    service: dict[str, Any] = {
        "productCode": request.rate.service,
        "depositDate": deposit_date.isoformat(),
        "orderNumber": request.reference,
    }
    if commercial_name:
        service["commercialName"] = commercial_name
    return credentials | {
        "outputFormat": {"x": 0, "y": 0, "outputPrintingType": printing_type},
        "letter": {
            "service": service,
            "parcel": {"weight": max(round(parcel.weight_grams / 1000, 2), 0.01)},
            "sender": {
                "senderParcelRef": request.reference,
                "address": address(request.origin, destination=False),
            },
            "addressee": {
                "addresseeParcelRef": request.reference,
                "address": address(request.destination, destination=True),
            },
        },
    }


def boundary_of(content_type: str) -> str | None:
    match = re.search(r'boundary="?([^";]+)"?', content_type, flags=re.IGNORECASE)
    return match.group(1) if match else None


def split_multipart(body: bytes, boundary: str) -> list[Part]:
    """Parts of a multipart body, byte for byte: label parts are binary and must not be
    decoded as text. Accepts CRLF and bare LF line ends."""
    delimiter = b"--" + boundary.encode()
    parts: list[Part] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        chunk = chunk.removeprefix(b"\r\n").removeprefix(b"\n")
        head, separator, content = _split_head(chunk)
        if not separator:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        elif content.endswith(b"\n"):
            content = content[:-1]
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").splitlines():
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        parts.append(Part(headers=headers, body=content))
    return parts


def _split_head(chunk: bytes) -> tuple[bytes, bytes, bytes]:
    crlf, lf = chunk.find(b"\r\n\r\n"), chunk.find(b"\n\n")
    if crlf != -1 and (lf == -1 or crlf <= lf):
        return chunk[:crlf], b"\r\n\r\n", chunk[crlf + 4 :]
    if lf != -1:
        return chunk[:lf], b"\n\n", chunk[lf + 2 :]
    return chunk, b"", b""


def read_answer(content_type: str, body: bytes) -> tuple[SlsInfos, bytes | None]:
    """(jsonInfos, label bytes or None) from a multipart answer, or from a bare JSON one."""
    boundary = boundary_of(content_type) if "multipart" in content_type.lower() else None
    if boundary is None:
        return _infos(body), None
    parts = {part.content_id: part for part in split_multipart(body, boundary)}
    if "jsonInfos" not in parts:
        raise PermanentError("SLS answer has no jsonInfos part", code="bad_response")
    label = parts.get("label")
    return _infos(parts["jsonInfos"].body), label.body if label else None


def _infos(raw: bytes) -> SlsInfos:
    try:
        return msgspec.json.decode(raw, type=SlsInfos)
    except msgspec.DecodeError as exc:
        raise PermanentError(
            f"unreadable SLS jsonInfos: {exc}", code="bad_response", body=raw[:2000]
        ) from exc


def refusal(infos: SlsInfos) -> PermanentError:
    errors = infos.errors()
    return PermanentError(
        "; ".join(m.messageContent or m.id or "error" for m in errors),
        code=errors[0].id if errors else None,
        body=msgspec.to_builtins(infos),
    )
