"""The `manual` channel: orders typed in by people through the API or the console.

It has no remote side, so it declares no capabilities: every order it has is created by
`POST /orders`, and nothing needs to be pushed back.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec

from orderhub.core.hookspecs import hookimpl
from orderhub.hub.channels.builtin import BuiltinChannel


class ManualSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    number_prefix: str = "M-"
    """Prefix of the order numbers given to manual orders ("M-1001")."""


class ManualChannel(BuiltinChannel):
    name: ClassVar[str] = "manual"
    Settings: ClassVar[type[msgspec.Struct]] = ManualSettings


@hookimpl
def orderhub_register_connectors(register):  # type: ignore[no-untyped-def]
    register(ManualChannel)
