"""PluginManager: entry-point loading, allow/deny lists, check_pending, the connector registry
and info(). Entry points come from real ``*.dist-info`` folders put on sys.path for the test."""

from __future__ import annotations

import itertools
import textwrap
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from orderhub.core.hookspecs import hookimpl
from orderhub.core.plugins import ENTRY_POINT_GROUP, PluginError, PluginManager

CONNECTOR_SOURCE = """
from typing import Any, ClassVar

import msgspec

from orderhub.core.connectors import ConnectorKind, HealthReport
from orderhub.core.hookspecs import hookimpl


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class {cls}:
    name: ClassVar[str] = {name!r}
    kind: ClassVar[ConnectorKind] = ConnectorKind.CHANNEL
    capabilities: ClassVar[frozenset] = frozenset()
    Settings: ClassVar[type] = Settings

    def __init__(self, connection: Any, *, http: Any = None) -> None:
        self.connection = connection

    async def health(self) -> HealthReport:
        return HealthReport(ok=True)

    async def aclose(self) -> None:
        return None


@hookimpl
def orderhub_register_connectors(register):
    register({cls})
"""

_counter = itertools.count()

Install = Callable[..., str]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Install:
    """Install a plugin module under an entry point, the way pip would (dist-info + module)."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(
        entry_point: str, source: str, *, dist: str = "orderhub-kit-test", version: str = "1.2.3"
    ) -> str:
        module = f"kit_test_plugin_{next(_counter)}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        with (info / "entry_points.txt").open("a") as handle:
            if handle.tell() == 0:
                handle.write(f"[{ENTRY_POINT_GROUP}]\n")
            handle.write(f"{entry_point} = {module}\n")
        return module

    return install


def connector_plugin(name: str, cls: str = "Connector") -> str:
    return CONNECTOR_SOURCE.format(name=name, cls=cls)


def loaded(allow: list[str] | None = None, deny: list[str] = ()) -> PluginManager:  # type: ignore[assignment]
    manager = PluginManager(allow=allow, deny=deny)
    manager.load_entrypoints()
    return manager


def test_an_allowed_entry_point_is_loaded_and_listed(install: Install) -> None:
    install("kit-alpha", connector_plugin("alpha"), dist="orderhub-alpha", version="0.3.1")
    manager = loaded(allow=["kit-alpha"])
    manager.check_pending()
    assert sorted(manager.connectors()) == ["alpha"]
    (row,) = [row for row in manager.info() if row.name == "kit-alpha"]
    assert row.distribution == "orderhub-alpha"
    assert row.version == "0.3.1"
    assert row.enabled and not row.builtin
    assert row.hooks == ["orderhub_register_connectors"]
    assert row.connectors == ["alpha"]


def test_deny_wins_over_allow_and_a_denied_plugin_is_never_imported(install: Install) -> None:
    install("kit-alpha", connector_plugin("alpha"))
    install("kit-bomb", "raise RuntimeError('imported although denied')\n")
    manager = loaded(allow=["kit-alpha", "kit-bomb"], deny=["kit-bomb"])
    assert sorted(manager.connectors()) == ["alpha"]
    rows = {row.name: row for row in manager.info()}
    assert rows["kit-bomb"].enabled is False
    assert rows["kit-bomb"].distribution == "orderhub-kit-test"
    assert rows["kit-bomb"].connectors == []


def test_an_allow_list_leaves_everything_else_out(install: Install) -> None:
    install("kit-alpha", connector_plugin("alpha"))
    install("kit-beta", connector_plugin("beta"))
    assert sorted(loaded(allow=["kit-beta"]).connectors()) == ["beta"]
    assert loaded(allow=[]).connectors() == {}


def test_a_plugin_that_fails_to_import_is_reported(install: Install) -> None:
    install("kit-broken", "import orderhub_no_such_module\n")
    with pytest.raises(PluginError, match=r"plugin 'kit-broken' \(kit_test_plugin_\d+\) failed"):
        loaded(allow=["kit-broken"])


def test_check_pending_catches_a_misspelt_hookimpl(install: Install) -> None:
    install(
        "kit-typo",
        """
        from orderhub.core.hookspecs import hookimpl

        @hookimpl
        def orderhub_register_conectors(register):
            pass
        """,
    )
    manager = loaded(allow=["kit-typo"])
    with pytest.raises(PluginError, match="orderhub_register_conectors"):
        manager.check_pending()


def test_check_pending_accepts_correct_plugins(install: Install) -> None:
    install("kit-alpha", connector_plugin("alpha"))
    loaded(allow=["kit-alpha"]).check_pending()


def test_two_plugins_registering_one_connector_name_is_an_error(install: Install) -> None:
    install("kit-one", connector_plugin("shop", "ShopOne"))
    install("kit-two", connector_plugin("shop", "ShopTwo"))
    manager = loaded(allow=["kit-one", "kit-two"])
    with pytest.raises(PluginError, match="connector 'shop' registered by both 'kit-"):
        manager.connectors()


def test_a_class_registered_twice_is_one_connector(install: Install) -> None:
    module = install("kit-one", connector_plugin("shop"))
    install(
        "kit-again",
        f"""
        from orderhub.core.hookspecs import hookimpl
        from {module} import Connector

        @hookimpl
        def orderhub_register_connectors(register):
            register(Connector)
        """,
    )
    assert list(loaded(allow=["kit-one", "kit-again"]).connectors()) == ["shop"]


def test_an_invalid_connector_is_refused_with_its_problems(install: Install) -> None:
    install(
        "kit-invalid",
        """
        from orderhub.core.hookspecs import hookimpl

        class Half:
            name = "half"

        @hookimpl
        def orderhub_register_connectors(register):
            register(Half)
        """,
    )
    with pytest.raises(
        PluginError, match="plugin 'kit-invalid': Half has no class attribute 'kind'"
    ):
        loaded(allow=["kit-invalid"]).connectors()


def _builtin(**hooks: Callable[..., object]) -> types.SimpleNamespace:
    return types.SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})


def _action_plugin(action: str) -> types.SimpleNamespace:
    def orderhub_register_actions(register: Callable[[object], None]) -> None:
        register(action)

    return _builtin(orderhub_register_actions=orderhub_register_actions)


def test_without_an_allow_list_every_plugin_not_denied_is_loaded() -> None:
    manager = PluginManager(deny=["b"])
    for name in ("a", "b", "c"):
        manager.register_builtin(_action_plugin(name), name)
    assert sorted(manager.actions()) == ["a", "c"]


def test_builtin_plugins_obey_the_deny_list() -> None:
    manager = PluginManager(deny=["second"])
    manager.register_builtin(
        _builtin(orderhub_register_checks=lambda register: register("a")), "first"
    )
    manager.register_builtin(
        _builtin(orderhub_register_checks=lambda register: register("b")), "second"
    )
    assert manager.checks() == ["a"]
    rows = {row.name: row for row in manager.info()}
    assert rows["first"].builtin and rows["first"].enabled
    assert rows["first"].hooks == ["orderhub_register_checks"]
    assert rows["first"].distribution is None and rows["first"].version is None
    assert rows["second"].builtin and not rows["second"].enabled
    assert rows["second"].hooks == []


def test_builtin_plugins_obey_the_allow_list() -> None:
    manager = PluginManager(allow=["first"])
    manager.register_builtin(
        _builtin(orderhub_register_actions=lambda register: register(1)), "first"
    )
    manager.register_builtin(
        _builtin(orderhub_register_actions=lambda register: register(2)), "second"
    )
    assert manager.actions() == [1]


def test_registries_collect_in_registration_order() -> None:
    manager = PluginManager()
    manager.register_builtin(
        _builtin(orderhub_register_routing_rules=lambda register: register("nearest")), "a"
    )
    manager.register_builtin(
        _builtin(orderhub_register_routing_rules=lambda register: register("cheapest")), "b"
    )
    # pluggy calls the most recently registered implementation first.
    assert manager.routing_rules() == ["cheapest", "nearest"]
    assert manager.checks() == []
    assert manager.connectors() == {}


def test_info_lists_the_actions_each_plugin_registers() -> None:
    class Tag:
        name = "tag"

        def run(self, order: object, params: object) -> None:
            return None

    manager = PluginManager()
    manager.register_builtin(
        _builtin(orderhub_register_actions=lambda register: register(Tag())), "tagger"
    )
    manager.register_builtin(
        _builtin(orderhub_register_checks=lambda register: register("a")), "checker"
    )
    rows = {row.name: row for row in manager.info()}
    assert rows["tagger"].actions == ["tag"]
    assert rows["checker"].actions == []
