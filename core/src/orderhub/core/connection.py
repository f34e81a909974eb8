"""A connection: one configured instance of a connector (one Shopify store, one carrier account)."""

from __future__ import annotations

from typing import Any

import msgspec


class Connection(msgspec.Struct, kw_only=True):
    id: str
    """Stable identifier used in URLs (`/webhooks/{id}`) and bindings ("shopify-eu")."""
    connector: str
    """Name of the connector class that serves it ("shopify")."""
    settings: Any = None
    """The connector's `Settings` struct, decoded and validated from config."""
    enabled: bool = True
    title: str | None = None
    locations: dict[str, str] = {}
    """Provider location id -> OrderHub location code."""
    feeds_from: list[str] = []
    """OrderHub location codes whose stock this channel may sell (empty: all)."""


class SettingsError(ValueError):
    """A connection's settings do not fit its connector; `path` names the bad key."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def decode_settings(settings_type: type[msgspec.Struct], raw: dict[str, Any], path: str) -> Any:
    """Strictly decode raw config into a connector's Settings, naming the failing key."""
    try:
        return msgspec.convert(raw, settings_type, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        # msgspec says "... - at `$.api_secret`"; turn that into a config path.
        where = ""
        if " - at `$" in message:
            message, _, where = message.partition(" - at `$")
            where = where.rstrip("`")
        raise SettingsError(f"{path}{where}", message) from exc
