"""What the built-in channels share: they live inside the hub, so there is no remote side.

They declare no capabilities — their orders are created by the hub itself (the API, an
import) and nothing needs to be pushed back — and they are always healthy.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from orderhub.core.connection import Connection
from orderhub.core.connectors import Capability, ConnectorKind, HealthReport


class BuiltinChannel:
    name: ClassVar[str]
    kind: ClassVar[ConnectorKind] = ConnectorKind.CHANNEL
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    Settings: ClassVar[type[msgspec.Struct]]

    def __init__(self, connection: Connection, *, http: Any | None = None) -> None:
        self.connection = connection
        self.settings = connection.settings

    async def health(self) -> HealthReport:
        return HealthReport(ok=True, detail="built-in")

    async def aclose(self) -> None:
        return None
