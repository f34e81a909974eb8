"""Postal-code formats per country, to catch a mistyped code before a carrier rejects the label.

Codes are compared after `normalize` (upper case, single spaces, trimmed). A country missing
from the table is not validated; one listed with `required=False` has codes that are
checked when given but that many valid addresses lack (Ireland's Eircode).
"""

from __future__ import annotations

import re

import msgspec


class PostalFormat(msgspec.Struct, frozen=True, kw_only=True):
    pattern: str
    example: str
    required: bool = True

    def matches(self, code: str) -> bool:
        return re.fullmatch(self.pattern, normalize(code)) is not None


_GB_OUTWARD = r"(?:[A-PR-UWYZ]\d[\dA-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y]\d[\dABEHMNPRV-Y]?)"
_GB_INWARD = r"\d[ABD-HJLNP-UW-Z]{2}"
_CA_LETTER = "[ABCEGHJ-NPRSTV-Z]"
_EIRCODE_CHAR = "[0-9AC-FHKNPRTV-Y]"

POSTAL_FORMATS: dict[str, PostalFormat] = {
    "AT": PostalFormat(pattern=r"[1-9]\d{3}", example="1010"),
    "AU": PostalFormat(pattern=r"\d{4}", example="2000"),
    "BE": PostalFormat(pattern=r"[1-9]\d{3}", example="1000"),
    "CA": PostalFormat(
        pattern=rf"[ABCEGHJ-NPRSTVXY]\d{_CA_LETTER} ?\d{_CA_LETTER}\d", example="K1A 0B1"
    ),
    "CH": PostalFormat(pattern=r"[1-9]\d{3}", example="8001"),
    "CZ": PostalFormat(pattern=r"[1-7]\d{2} ?\d{2}", example="110 00"),
    "DE": PostalFormat(pattern=r"\d{5}", example="10115"),
    "DK": PostalFormat(pattern=r"[1-9]\d{3}", example="1050"),
    "ES": PostalFormat(pattern=r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}", example="28013"),
    "FI": PostalFormat(pattern=r"\d{5}", example="00100"),
    "FR": PostalFormat(pattern=r"\d{5}", example="75001"),
    "GB": PostalFormat(pattern=rf"{_GB_OUTWARD} ?{_GB_INWARD}|GIR ?0AA", example="SW1A 1AA"),
    "IE": PostalFormat(
        pattern=rf"(?:[AC-FHKNPRTV-Y]\d{{2}}|D6W) ?{_EIRCODE_CHAR}{{4}}",
        example="D02 X285",
        required=False,
    ),
    "IT": PostalFormat(pattern=r"\d{5}", example="00184"),
    "JP": PostalFormat(pattern=r"\d{3}-?\d{4}", example="100-0001"),
    "LU": PostalFormat(pattern=r"(?:L-)?\d{4}", example="1009"),
    "NL": PostalFormat(pattern=r"[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}", example="1012 JS"),
    "NO": PostalFormat(pattern=r"\d{4}", example="0150"),
    "PL": PostalFormat(pattern=r"\d{2}-\d{3}", example="00-950"),
    "PT": PostalFormat(pattern=r"[1-9]\d{3}-\d{3}", example="1100-148"),
    "SE": PostalFormat(pattern=r"[1-9]\d{2} ?\d{2}", example="111 22"),
    "US": PostalFormat(pattern=r"\d{5}(?:-\d{4})?", example="10001"),
}


def normalize(code: str) -> str:
    return " ".join(code.upper().split())


def postal_code_problem(country: str, code: str | None) -> str | None:
    """Why `code` is not a postal code of `country`, or None when it looks right."""
    fmt = POSTAL_FORMATS.get(country.upper())
    if fmt is None:
        return None
    if not code or not code.strip():
        return "missing postal code" if fmt.required else None
    if fmt.matches(code):
        return None
    return f"postal code {code!r} is not a valid {country.upper()} postal code (e.g. {fmt.example})"
