"""Finding and loading plugins: entry points, allow/deny lists, the connector registry."""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Iterable
from typing import Any, cast

import msgspec
import pluggy

from orderhub.core import hookspecs
from orderhub.core.connectors import Connector, connector_problems
from orderhub.core.extensions import AutomationAction, OrderCheck
from orderhub.core.routing.rules import FilterRule, SortRule

ENTRY_POINT_GROUP = "orderhub"


class PluginError(Exception):
    """A plugin could not be loaded or registers something invalid."""


class PluginInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    distribution: str | None
    version: str | None
    builtin: bool
    enabled: bool
    hooks: list[str] = []
    connectors: list[str] = []
    actions: list[str] = []
    """Names of the automation actions it registers (``orderhub_register_actions``)."""


class PluginManager:
    """pluggy's manager with OrderHub's loading rules and registries.

    Entry points are loaded by name; a name in ``deny`` is blocked, and when ``allow`` is
    given only the names in it are loaded. Built-in plugins (the hub's own channels) are
    registered with ``register_builtin`` and obey the same deny list.
    """

    def __init__(self, *, allow: Iterable[str] | None = None, deny: Iterable[str] = ()) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.allow = set(allow) if allow is not None else None
        self.deny = set(deny)
        self._dists: dict[str, md.Distribution | None] = {}
        self._builtin: set[str] = set()
        self._skipped: dict[str, md.EntryPoint] = {}
        self._connectors: dict[str, type[Connector]] | None = None
        self._connector_owner: dict[str, str] = {}

    def _permitted(self, name: str) -> bool:
        if name in self.deny:
            return False
        return self.allow is None or name in self.allow

    def register_builtin(self, plugin: Any, name: str) -> None:
        self._builtin.add(name)
        self._dists[name] = None
        if self._permitted(name):
            self.pm.register(plugin, name=name)
        else:
            self.pm.set_blocked(name)
        self._connectors = None

    def load_entrypoints(self) -> None:
        for ep in md.entry_points(group=ENTRY_POINT_GROUP):
            if self.pm.get_plugin(ep.name) is not None or self.pm.is_blocked(ep.name):
                continue
            self._dists[ep.name] = ep.dist
            if not self._permitted(ep.name):
                self.pm.set_blocked(ep.name)
                self._skipped[ep.name] = ep
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}"
                ) from exc
            self.pm.register(plugin, name=ep.name)
        self._connectors = None

    def check_pending(self) -> None:
        """Fail loudly on hook implementations that match no hookspec (a typo in a plugin)."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(str(exc)) from exc

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def connectors(self) -> dict[str, type[Connector]]:
        """Every registered connector class by name, validated."""
        if self._connectors is None:
            found: dict[str, type[Connector]] = {}
            owner: dict[str, str] = {}
            for plugin_name, plugin in self.pm.list_name_plugin():
                impl = getattr(plugin, "orderhub_register_connectors", None)
                if impl is None:
                    continue
                collected: list[type[Connector]] = []
                impl(register=collected.append)
                for cls in collected:
                    problems = connector_problems(cls)
                    if problems:
                        raise PluginError(f"plugin {plugin_name!r}: " + "; ".join(problems))
                    if cls.name in found and found[cls.name] is not cls:
                        raise PluginError(
                            f"connector {cls.name!r} registered by both "
                            f"{owner[cls.name]!r} and {plugin_name!r}"
                        )
                    found[cls.name] = cls
                    owner[cls.name] = plugin_name
            self._connectors, self._connector_owner = found, owner
        return self._connectors

    def _collect(self, hook_name: str) -> list[Any]:
        collected: list[Any] = []
        getattr(self.pm.hook, hook_name)(register=collected.append)
        return collected

    def checks(self) -> list[OrderCheck]:
        return cast(list[OrderCheck], self._collect("orderhub_register_checks"))

    def routing_rules(self) -> list[type[FilterRule] | type[SortRule]]:
        return cast(
            list[type[FilterRule] | type[SortRule]],
            self._collect("orderhub_register_routing_rules"),
        )

    def actions(self) -> list[AutomationAction]:
        return cast(list[AutomationAction], self._collect("orderhub_register_actions"))

    def _action_names(self, plugin: Any) -> list[str]:
        impl = getattr(plugin, "orderhub_register_actions", None)
        if impl is None:
            return []
        collected: list[AutomationAction] = []
        impl(register=collected.append)
        return sorted(getattr(action, "name", None) or repr(action) for action in collected)

    def info(self) -> list[PluginInfo]:
        """Every known plugin, loaded or blocked, with its distribution and version."""
        connectors = self.connectors()
        rows: list[PluginInfo] = []
        names = set(self._dists) | {name for name, _ in self.pm.list_name_plugin()}
        for name in sorted(names):
            dist = self._dists.get(name)
            plugin = self.pm.get_plugin(name)
            hooks = (
                sorted(impl.name for impl in self.pm.get_hookcallers(plugin) or [])
                if plugin is not None
                else []
            )
            rows.append(
                PluginInfo(
                    name=name,
                    distribution=dist.metadata["Name"] if dist is not None else None,
                    version=dist.version if dist is not None else None,
                    builtin=name in self._builtin,
                    enabled=plugin is not None,
                    hooks=hooks,
                    connectors=sorted(
                        c for c, owner in self._connector_owner.items() if owner == name
                    )
                    if connectors
                    else [],
                    actions=self._action_names(plugin) if plugin is not None else [],
                )
            )
        return rows
