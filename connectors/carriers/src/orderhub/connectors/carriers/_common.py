"""Small pieces every carrier connector needs: units, one-parcel labels, batch outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

import msgspec

from orderhub.core.connectors import Label, LabelRequest, PermanentError
from orderhub.core.model.fulfillment import Parcel

GRAMS_PER_OUNCE = 28.349523125
MM_PER_INCH = 25.4

LABEL_FORMATS = ("PDF", "PNG", "ZPL")


def compact(body: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values: carriers reject empty strings where a field may only be absent."""
    return {key: value for key, value in body.items() if value not in (None, "", [], {})}


def ounces(grams: int) -> float:
    """EasyPost weighs in ounces; one decimal is what it accepts and prints."""
    return max(round(grams / GRAMS_PER_OUNCE, 1), 0.1)


def inches(mm: int) -> float:
    return round(mm / MM_PER_INCH, 1)


def kilograms(grams: int, digits: int = 3) -> float:
    return round(grams / 1000, digits)


def centimetres(mm: int) -> int:
    """Whole centimetres, rounded up so a parcel is never declared smaller than it is."""
    return -(-mm // 10)


def has_dimensions(parcel: Parcel) -> bool:
    return bool(parcel.length_mm and parcel.width_mm and parcel.height_mm)


def the_parcel(parcels: Sequence[Parcel]) -> Parcel:
    """A label covers one parcel: the hub buys one label per parcel it packs."""
    if len(parcels) != 1:
        raise PermanentError(
            f"one label is bought per parcel; this request has {len(parcels)}",
            code="one_parcel_per_label",
        )
    return parcels[0]


def label_format(request: LabelRequest) -> str:
    fmt = request.label_format.upper()
    if fmt not in LABEL_FORMATS:
        raise PermanentError(
            f"label format {request.label_format!r} is not one of {', '.join(LABEL_FORMATS)}",
            code="unsupported_label_format",
        )
    return fmt


def parse_timestamp(
    value: str,
    *,
    what: str,
    error: type[Exception] = PermanentError,
    assume: tzinfo = UTC,
) -> datetime:
    """Carrier timestamps are ISO 8601 ("2024-04-26T09:26:00-07:00", "...Z", or no offset).

    A timestamp without an offset is taken in `assume`, so every event is comparable.
    """
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise error(f"{what}: not an ISO timestamp: {value!r}") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=assume)


class LabelOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """One shipment of a batch purchase: a label, or the carrier's reason for refusing it.

    Carriers that create several shipments in one call (DHL Parcel DE, HTTP 207) may accept
    some and refuse others; each refusal carries the carrier's own code and message.
    """

    reference: str
    label: Label | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.label is not None

    def unwrap(self) -> Label:
        """The label, or the refusal raised as the `PermanentError` it is."""
        if self.label is None:
            raise PermanentError(self.error_message or "refused", code=self.error_code)
        return self.label
