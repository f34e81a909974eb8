"""The connector template, used the way its README says: copy it, rename it, build a wheel,
install it — here into a throwaway folder, never the shared environment — and check that the
hub finds it, that allow and deny lists switch it, and that its own tests (the conformance
kit) pass against the installed distribution."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orderhub.core.testing import ConnectorConformance

KIT_TESTS = [name for name in dir(ConnectorConformance) if name.startswith("test_")]
"""Every test of the conformance kit: the template passes them all."""
TEMPLATE = Path(__file__).resolve().parents[1] / "connectors" / "_template"
NAME = "kitcheck"
"""What the copy is renamed to: a name no real plugin uses."""

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    source: Path
    """The renamed copy of the template (its tests run from here)."""
    site: Path
    """The --target folder the wheel was installed into."""
    workdir: Path
    """An empty folder to run in, so no ./orderhub.toml is picked up."""

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ORDERHUB_PLUGINS_", "ORDERHUB_CONFIG", "PYTEST_"))
        }
        env["PYTHONPATH"] = str(self.site)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(extra)
        return env

    def run(self, args: list[str], *, cwd: Path | None = None, **extra: str) -> str:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=cwd or self.workdir,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            pytest.fail(
                f"{args[:2]} exited with {result.returncode}\n{result.stdout}\n{result.stderr}",
                pytrace=False,
            )
        return result.stdout

    def python(self, code: str, **extra: str) -> Any:
        """Run `code` in a fresh interpreter that sees the installed wheel; its last line of
        output is JSON."""
        output = self.run(["-c", textwrap.dedent(code)], **extra)
        return json.loads(output.strip().splitlines()[-1])


def rename_template(destination: Path) -> None:
    """Copy the template and rename acme -> kitcheck in contents and paths, as the README says."""
    shutil.copytree(
        TEMPLATE,
        destination,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "dist", "build", ".venv"),
    )
    replacements = [("acme", NAME), ("Acme", NAME.title()), ("ACME", NAME.upper())]
    for path in sorted(destination.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file():
            text = path.read_text()
            for old, new in replacements:
                text = text.replace(old, new)
            path.write_text(text)
        if "acme" in path.name:
            path.rename(path.with_name(path.name.replace("acme", NAME)))


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        pytest.fail("uv is needed to build the template's wheel", pytrace=False)
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("template")
    source, dist, site, workdir = (root / name for name in ("src", "dist", "site", "work"))
    rename_template(source)
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT")}

    def call(*args: str) -> None:
        result = subprocess.run(
            [uv(), *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"uv {args[:2]} failed:\n{result.stdout}\n{result.stderr}"

    call("build", "--offline", "--wheel", "--out-dir", str(dist), str(source))
    (wheel,) = dist.glob("*.whl")
    call(
        "pip",
        "install",
        "--offline",
        "--no-deps",
        "--target",
        str(site),
        "--python",
        sys.executable,
        str(wheel),
    )
    yield Installed(source=source, site=site, workdir=workdir)


def test_the_renamed_copy_is_complete(installed: Installed) -> None:
    leftovers = [
        str(path.relative_to(installed.source))
        for path in installed.source.rglob("*")
        if "acme" in path.name.lower()
        or (path.is_file() and re.search("acme", path.read_text(), re.IGNORECASE))
    ]
    assert leftovers == []
    wheel_files = sorted(p.name for p in installed.site.iterdir() if not p.name.startswith("."))
    assert wheel_files == ["orderhub", "orderhub_kitcheck-0.1.0.dist-info"]
    assert not (installed.site / "orderhub" / "__init__.py").exists()
    assert not (installed.site / "orderhub" / "connectors" / "__init__.py").exists()


def test_the_plugin_manager_finds_the_installed_distribution(installed: Installed) -> None:
    found = installed.python(
        """
        import json
        import sys

        import msgspec
        from orderhub.core.plugins import PluginManager

        manager = PluginManager(allow=["kitcheck"])
        manager.load_entrypoints()
        manager.check_pending()
        cls = manager.connectors()["kitcheck"]
        (row,) = [row for row in manager.info() if row.name == "kitcheck"]
        print(json.dumps({
            "file": sys.modules[cls.__module__].__file__,
            "kind": cls.kind.value,
            "capabilities": sorted(c.value for c in cls.capabilities),
            "row": msgspec.to_builtins(row),
        }))
        """
    )
    assert found["file"].startswith(str(installed.site))
    assert found["kind"] == "channel"
    assert found["capabilities"] == ["pull_orders", "push_stock", "receive_webhooks"]
    assert found["row"] == {
        "name": "kitcheck",
        "distribution": "orderhub-kitcheck",
        "version": "0.1.0",
        "builtin": False,
        "enabled": True,
        "hooks": ["orderhub_register_connectors"],
        "connectors": ["kitcheck"],
        "actions": [],
    }


LOAD_WITH_CONFIG = """
import json, sys
from orderhub.hub.config import parse_settings
from orderhub.hub.runtime import load_plugins

plugins = load_plugins(parse_settings(json.loads(sys.argv[1])))
rows = {row.name: row.enabled for row in plugins.info()}
print(json.dumps({"connectors": sorted(plugins.connectors()), "enabled": rows.get("kitcheck")}))
"""


def load_with(installed: Installed, config: dict[str, Any], **env: str) -> dict[str, Any]:
    output = installed.run(["-c", LOAD_WITH_CONFIG, json.dumps(config)], **env)
    return json.loads(output.strip().splitlines()[-1])


def test_it_is_enabled_by_default(installed: Installed) -> None:
    loaded = load_with(installed, {})
    assert loaded["enabled"] is True
    assert "kitcheck" in loaded["connectors"]
    assert "manual" in loaded["connectors"]  # the hub's built-ins load alongside


def test_an_allow_list_enables_it_alone(installed: Installed) -> None:
    loaded = load_with(installed, {"plugins": {"allow": ["kitcheck"]}})
    assert loaded == {"connectors": ["kitcheck"], "enabled": True}
    from_env = load_with(installed, {}, ORDERHUB_PLUGINS_ALLOW="kitcheck")
    assert from_env == {"connectors": ["kitcheck"], "enabled": True}


def test_a_deny_list_in_config_blocks_it(installed: Installed) -> None:
    loaded = load_with(installed, {"plugins": {"deny": ["kitcheck"]}})
    assert loaded["enabled"] is False
    assert "kitcheck" not in loaded["connectors"]
    assert "manual" in loaded["connectors"]


def test_the_deny_environment_variable_blocks_it(installed: Installed) -> None:
    loaded = load_with(
        installed, {"plugins": {"allow": ["kitcheck", "manual"]}}, ORDERHUB_PLUGINS_DENY="kitcheck"
    )
    assert loaded == {"connectors": ["manual"], "enabled": False}


def test_the_cli_lists_it_with_its_version(installed: Installed) -> None:
    cli = ["-c", "from orderhub.hub.cli import main; main()", "plugins", "--json"]
    rows = {row["name"]: row for row in json.loads(installed.run(cli))}
    assert rows["kitcheck"]["version"] == "0.1.0"
    assert rows["kitcheck"]["enabled"] is True
    assert rows["kitcheck"]["connectors"] == ["kitcheck"]
    denied = {
        row["name"]: row for row in json.loads(installed.run(cli, ORDERHUB_PLUGINS_DENY=NAME))
    }
    assert denied["kitcheck"]["enabled"] is False


def test_its_own_tests_and_the_conformance_kit_pass(installed: Installed) -> None:
    output = installed.run(
        ["-m", "pytest", "-p", "no:cacheprovider", "-v", "tests"], cwd=installed.source
    )
    conformance = re.findall(r"TestKitcheckConformance::(\w+) PASSED", output)
    assert len(conformance) == len(KIT_TESTS), output
    assert "test_entry_point_registers_the_connector" in conformance
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and "failed" not in summary, summary
    assert "skipped" not in summary and "error" not in summary, summary
