"""One TOML file configures a hub: database, Redis, plugins, connections.

Secrets never sit in the file: a value written as ``{ env = "SHOPIFY_SECRET" }`` is read from
the environment at start. Every error names the key that is wrong.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from orderhub.core.connection import Connection, SettingsError, decode_settings
from orderhub.core.routing import RoutingConfig
from orderhub.core.substitution import SubstitutionPolicy
from orderhub.hub.config.allocation import (
    AllocationSettings,
    AvailabilitySettings,
    CheckSettings,
)
from orderhub.hub.config.fulfillment import FulfillmentConfig

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///orderhub.db"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CONFIG_ENV = "ORDERHUB_CONFIG"


class ConfigError(ValueError):
    """The configuration is invalid; the message says which key and why."""


class PluginsConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    allow: list[str] | None = None
    """Only these entry-point names are loaded (None: all installed)."""
    deny: list[str] = []
    """These entry-point names are never loaded."""


class ConnectionConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector: str
    enabled: bool = True
    title: str | None = None
    settings: dict[str, Any] = {}
    locations: dict[str, str] = {}
    feeds_from: list[str] = []
    # Allocation policy of this channel; absent keys take `[allocation]`'s defaults.
    routing: RoutingConfig | None = None
    availability: AvailabilitySettings | None = None
    checks: CheckSettings = {}
    payment: dict[str, Any] | None = None
    """The payment check's settings for this channel (the same as ``checks.payment``)."""
    substitution: SubstitutionPolicy | None = None


class WorkerConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    queue_name: str = "orderhub"
    max_attempts: int = 8
    """Attempts before an outbox or inbox row is dead-lettered."""
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 600.0
    sweep_interval_seconds: int = 30
    stale_after_seconds: int = 60
    """A row claimed or enqueued this long ago without finishing is picked up again."""
    max_jobs: int = 20
    pull_interval_seconds: int = 300
    """How often connections that can pull orders are polled to catch missed webhooks (a
    reconciliation); 0 turns polling off. `POST /connections/{id}/sync` pulls at any time."""


class ApiConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 2 * 1024 * 1024
    public_url: str | None = None
    """How providers reach us, for webhook registration (https://oms.example.com)."""
    token_cache_seconds: float = 5.0
    """How long an API process trusts a token it has checked before asking the database
    again. A token revoked through the API stops working at once in the process that revoked
    it, and within this time in the others (or when revoked from the CLI); 0 checks every
    request against the database."""


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    api: ApiConfig = msgspec.field(default_factory=ApiConfig)
    worker: WorkerConfig = msgspec.field(default_factory=WorkerConfig)
    plugins: PluginsConfig = msgspec.field(default_factory=PluginsConfig)
    connections: dict[str, ConnectionConfig] = {}
    allocation: AllocationSettings = msgspec.field(default_factory=AllocationSettings)
    fulfillment: FulfillmentConfig = msgspec.field(default_factory=FulfillmentConfig)


_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _resolve_env(value: Any, path: str) -> Any:
    """Replace ``{env = "NAME"}`` tables by the variable's value, recursively."""
    if isinstance(value, dict):
        if set(value) == {"env"}:
            name = value["env"]
            if name not in os.environ:
                raise ConfigError(f"{path}: environment variable {name} is not set")
            return os.environ[name]
        return {key: _resolve_env(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_env(item, f"{path}[{i}]") for i, item in enumerate(value)]
    return value


def _env_list(name: str) -> list[str] | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


def _named(exc: msgspec.ValidationError, raw: dict[str, Any]) -> str:
    """The error with the key path; msgspec writes a table's keys as `[...]`, so a problem in
    one connection is found again by checking the connections one by one."""
    message, _, where = str(exc).partition(" - at `$")
    key = where.rstrip("`").lstrip(".") if where else "config"
    connections = raw.get("connections")
    if key.startswith("connections[...]") and isinstance(connections, dict):
        for conn_id, conf in connections.items():
            try:
                msgspec.convert(conf, ConnectionConfig)
            except msgspec.ValidationError as inner:
                message, _, where = str(inner).partition(" - at `$")
                return f"connections.{conn_id}{where.rstrip('`')}: {message}"
    return f"{key}: {message}"


def parse_settings(raw: dict[str, Any]) -> Settings:
    """Validate a config mapping; environment variables override the file."""
    raw = _resolve_env(raw, "config")
    try:
        settings = msgspec.convert(raw, Settings)
    except msgspec.ValidationError as exc:
        raise ConfigError(_named(exc, raw)) from exc
    if url := os.environ.get("ORDERHUB_DATABASE_URL"):
        settings.database_url = url
    if url := os.environ.get("ORDERHUB_REDIS_URL"):
        settings.redis_url = url
    if (allow := _env_list("ORDERHUB_PLUGINS_ALLOW")) is not None:
        settings.plugins.allow = allow
    if (deny := _env_list("ORDERHUB_PLUGINS_DENY")) is not None:
        settings.plugins.deny = sorted(set(settings.plugins.deny) | set(deny))
    for conn_id in settings.connections:
        if not _ID.match(conn_id):
            raise ConfigError(
                f"connections.{conn_id}: an id is lower-case letters, digits, '-' and '_'"
            )
    if not settings.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "database_url: use sqlite+aiosqlite:///path.db or postgresql+asyncpg://host/db"
        )
    return settings


def load_settings(path: str | Path | None = None) -> Settings:
    """Read the TOML file at `path`, $ORDERHUB_CONFIG, or ./orderhub.toml; none is fine."""
    candidate = path or os.environ.get(CONFIG_ENV)
    if candidate is None and Path("orderhub.toml").exists():
        candidate = "orderhub.toml"
    if candidate is None:
        return parse_settings({})
    file = Path(candidate)
    try:
        raw = tomllib.loads(file.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {file} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    return parse_settings(raw)


def build_connections(settings: Settings, connectors: dict[str, type]) -> dict[str, Connection]:
    """Turn config into Connections, decoding each connector's settings strictly."""
    built: dict[str, Connection] = {}
    for conn_id, conf in settings.connections.items():
        cls = connectors.get(conf.connector)
        if cls is None:
            known = ", ".join(sorted(connectors)) or "none"
            raise ConfigError(
                f"connections.{conn_id}.connector: no connector named {conf.connector!r} "
                f"is installed and enabled (known: {known})"
            )
        try:
            decoded = decode_settings(
                cls.Settings, conf.settings, f"connections.{conn_id}.settings"
            )
        except SettingsError as exc:
            raise ConfigError(str(exc)) from exc
        built[conn_id] = Connection(
            id=conn_id,
            connector=conf.connector,
            settings=decoded,
            enabled=conf.enabled,
            title=conf.title,
            locations=conf.locations,
            feeds_from=conf.feeds_from,
        )
    return built
