"""Each channel's allocation policy, built once when the hub starts and validated then.

A connection's own `routing`, `availability`, `checks`, `payment` and `substitution` keys
replace the `[allocation]` defaults; connections without configuration (the built-in
`manual` and `spreadsheet`) get the defaults. Everything that can be checked without the
database is checked here, and each error names its key: unknown routing rules or bad rule
parameters, unknown checks, check settings that do not fit the check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from orderhub.core.extensions import OrderCheck
from orderhub.core.plugins import PluginManager
from orderhub.core.preprocess import BUILTIN_CHECKS
from orderhub.core.promise import PromiseConfig
from orderhub.core.routing import BUILTIN_RULES, RoutingConfig, RoutingConfigError, RuleRegistry
from orderhub.core.substitution import SubstitutionPolicy
from orderhub.hub.config import ConfigError, ConnectionConfig, Settings
from orderhub.hub.config.allocation import (
    DISABLED_BY_DEFAULT,
    AllocationSettings,
    AvailabilitySettings,
    CheckSettings,
)


@dataclass(frozen=True)
class ChannelPolicy:
    """Everything allocation needs to know about one channel."""

    connection: str
    routing: RoutingConfig
    availability: AvailabilitySettings
    checks: tuple[OrderCheck, ...]
    """The checks that run on this channel's orders, in order."""
    check_settings: Mapping[str, Any]
    """`CheckContext.channel_policy`: check name -> this channel's overrides."""
    substitution: SubstitutionPolicy
    feeds_from: tuple[str, ...] = ()
    """Location codes whose stock the channel sells and ships from; empty is every one."""

    def fed_by(self, location: str) -> bool:
        return not self.feeds_from or location in self.feeds_from


@dataclass
class Policies:
    """The hub's allocation policies: one per connection plus the defaults."""

    registry: RuleRegistry
    default: ChannelPolicy
    channels: dict[str, ChannelPolicy]
    settings: AllocationSettings
    check_names: list[str] = field(default_factory=list)
    rule_classes: dict[str, type] = field(default_factory=dict)
    """Every rule a channel may list, by name: the built-ins and the plugins'."""

    @property
    def promise(self) -> PromiseConfig:
        return self.settings.promise

    @property
    def replan_attempts(self) -> int:
        return self.settings.replan_attempts

    def for_connection(self, connection_id: str) -> ChannelPolicy:
        policy = self.channels.get(connection_id)
        if policy is not None:
            return policy
        return ChannelPolicy(
            connection=connection_id,
            routing=self.default.routing,
            availability=self.default.availability,
            checks=self.default.checks,
            check_settings=self.default.check_settings,
            substitution=self.default.substitution,
        )


def _split_enabled(settings: Mapping[str, Any], path: str) -> tuple[bool | None, dict[str, Any]]:
    if not isinstance(settings, Mapping):
        raise ConfigError(f"{path}: must be a table of settings")
    rest = dict(settings)
    enabled = rest.pop("enabled", None)
    if enabled is not None and not isinstance(enabled, bool):
        raise ConfigError(f"{path}.enabled: must be true or false")
    return enabled, rest


def _convert(config_type: type, values: Mapping[str, Any], path: str) -> Any:
    try:
        return msgspec.convert(dict(values), config_type)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        key = f"{path}{where.rstrip('`')}" if where else path
        raise ConfigError(f"{key}: {message}") from exc


def _build_checks(
    defaults: CheckSettings, plugin_checks: Sequence[Any]
) -> tuple[list[Any], dict[str, bool]]:
    """The check instances (built-ins configured hub-wide, then plugins') and which are on."""
    builtin_names = {cls.name for cls in BUILTIN_CHECKS}
    plugin_names = [getattr(check, "name", None) or type(check).__name__ for check in plugin_checks]
    known = [cls.name for cls in BUILTIN_CHECKS] + plugin_names
    for name in defaults:
        if name not in known:
            raise ConfigError(
                f"allocation.checks.{name}: no check named {name!r} (known: {', '.join(known)})"
            )
    checks: list[Any] = []
    enabled: dict[str, bool] = {}
    for cls in BUILTIN_CHECKS:
        on, values = _split_enabled(defaults.get(cls.name, {}), f"allocation.checks.{cls.name}")
        config = _convert(cls.config_type, values, f"allocation.checks.{cls.name}")
        checks.append(cls(config))
        enabled[cls.name] = on if on is not None else cls.name not in DISABLED_BY_DEFAULT
    for name, check in zip(plugin_names, plugin_checks, strict=True):
        if name in builtin_names:
            raise ConfigError(f"a plugin registers a check named {name!r}, like a built-in one")
        on, _ = _split_enabled(defaults.get(name, {}), f"allocation.checks.{name}")
        checks.append(check)
        enabled[name] = True if on is None else on
    return checks, enabled


def _channel_checks(
    conn_id: str, conf: ConnectionConfig, checks: list[Any], enabled: dict[str, bool]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    path = f"connections.{conn_id}"
    overrides = dict(conf.checks)
    if conf.payment is not None:
        if "payment" in overrides:
            raise ConfigError(f"{path}.payment: give the payment policy once, not also in checks")
        overrides["payment"] = conf.payment
    names = [getattr(check, "name", None) or type(check).__name__ for check in checks]
    for name in overrides:
        if name not in names:
            raise ConfigError(
                f"{path}.checks.{name}: no check named {name!r} (known: {', '.join(names)})"
            )
    active = []
    channel_settings: dict[str, Any] = {}
    for name, check in zip(names, checks, strict=True):
        from_payment = name == "payment" and conf.payment is not None
        key = f"{path}.payment" if from_payment else f"{path}.checks.{name}"
        on, values = _split_enabled(overrides.get(name, {}), key)
        if on is None:
            on = enabled[name]
        if not on:
            continue
        active.append(check)
        if values:
            config_type = getattr(check, "config_type", None)
            if config_type is not None:  # a built-in check: its settings are known here
                _convert(config_type, {**msgspec.to_builtins(check.config), **values}, key)
            channel_settings[name] = values
    return tuple(active), channel_settings


def _check_rules(registry: RuleRegistry, routing: RoutingConfig, path: str) -> None:
    for index, spec in enumerate(routing.rules):
        try:
            registry.build(spec)
        except RoutingConfigError as exc:
            raise ConfigError(f"{path}.rules[{index}]: {exc}") from exc


def build_policies(settings: Settings, plugins: PluginManager) -> Policies:
    """Every channel's policy from the config; raises `ConfigError` naming the bad key."""
    registry = RuleRegistry.builtin()
    rule_classes = {rule.name: rule for rule in BUILTIN_RULES}
    for rule in plugins.routing_rules():
        try:
            registry.register(rule)
        except RoutingConfigError as exc:
            raise ConfigError(f"plugins: {exc}") from exc
        rule_classes[rule.name] = rule
    defaults = settings.allocation
    _check_rules(registry, defaults.routing, "allocation.routing")
    checks, enabled = _build_checks(defaults.checks, plugins.checks())
    default_checks = tuple(
        check for check in checks if enabled[getattr(check, "name", None) or type(check).__name__]
    )
    default = ChannelPolicy(
        connection="*",
        routing=defaults.routing,
        availability=defaults.availability,
        checks=default_checks,
        check_settings={},
        substitution=defaults.substitution,
    )
    channels: dict[str, ChannelPolicy] = {}
    for conn_id, conf in settings.connections.items():
        routing = conf.routing or defaults.routing
        if conf.routing is not None:
            _check_rules(registry, routing, f"connections.{conn_id}.routing")
        active, channel_settings = _channel_checks(conn_id, conf, checks, enabled)
        channels[conn_id] = ChannelPolicy(
            connection=conn_id,
            routing=routing,
            availability=conf.availability or defaults.availability,
            checks=active,
            check_settings=channel_settings,
            substitution=conf.substitution or defaults.substitution,
            feeds_from=tuple(conf.feeds_from),
        )
    return Policies(
        registry=registry,
        default=default,
        channels=channels,
        settings=defaults,
        rule_classes=rule_classes,
        check_names=[getattr(c, "name", None) or type(c).__name__ for c in checks],
    )
