"""Running `orderhub` against a temporary SQLite hub: in-process (CliRunner) or as a process."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from orderhub.hub.cli import main
from orderhub.hub.testing import REDIS_URL


def write_config(path: Path, database: Path, *, extra: str = "") -> Path:
    path.write_text(
        f"""
database_url = "sqlite+aiosqlite:///{database}"
redis_url = "{REDIS_URL}"

[worker]
queue_name = "orderhub-cli-test-{uuid.uuid4().hex[:8]}"

[connections.shop-counter]
connector = "manual"
title = "Lyon store counter"
settings = {{ number_prefix = "LYO-" }}
{extra}
"""
    )
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config file for a fresh SQLite database (not migrated yet)."""
    return write_config(tmp_path / "orderhub.toml", tmp_path / "hub.db")


class Cli:
    def __init__(self, config: Path) -> None:
        self.config = config

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, Any] | None = None
    ) -> Result:
        runner = CliRunner()
        return runner.invoke(
            main,
            ["--config", str(self.config), *args],
            input=input,
            env=env,
            catch_exceptions=False,
        )


@pytest.fixture
def cli(config: Path) -> Cli:
    """`cli("import", "items", path)` runs the command against `config`'s database, migrated."""
    runner = Cli(config)
    result = runner("migrate")
    assert result.exit_code == 0, result.output
    return runner


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No config or override from the environment leaks into a test."""
    for name in list(os.environ):
        if (
            name.startswith("ORDERHUB_")
            and name != "ORDERHUB_TEST_REDIS"
            and name != "ORDERHUB_TEST_PG"
        ):
            monkeypatch.delenv(name)
