"""The `spreadsheet` channel: orders, items and stock from CSV and XLSX files."""

from __future__ import annotations

from typing import ClassVar

import msgspec

from orderhub.core.hookspecs import hookimpl
from orderhub.hub.channels.builtin import BuiltinChannel


class SpreadsheetSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    default_currency: str = "EUR"
    """Currency of imported prices when the file has no currency column."""


class SpreadsheetChannel(BuiltinChannel):
    name: ClassVar[str] = "spreadsheet"
    Settings: ClassVar[type[msgspec.Struct]] = SpreadsheetSettings


@hookimpl
def orderhub_register_connectors(register):  # type: ignore[no-untyped-def]
    register(SpreadsheetChannel)
