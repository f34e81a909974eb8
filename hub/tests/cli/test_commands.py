"""`orderhub` commands: config errors, migrate, plugins, connections, tokens."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from orderhub.hub import __version__
from orderhub.hub.cli import main

from .conftest import Cli, write_config


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_config_errors_name_the_key_and_exit_2(tmp_path: Path):
    cases = {
        "[api]\nport = 'eighty'\n": "error: api.port: Expected `int`, got `str`",
        "[worker]\nqueue = 'x'\n": "error: worker: Object contains unknown field `queue`",
        "database_url = 'mysql://x'\n": "error: database_url: use sqlite+aiosqlite:///path.db",
        "[connections.shop]\nconnector = 'nosuch'\n": "error: connections.shop.connector: no connector named 'nosuch'",
        "[connections.m2]\nconnector = 'manual'\nsettings = { prefix = 'X' }\n": "error: connections.m2.settings",
        "not toml = = 1\n": "not valid TOML",
    }
    for text, message in cases.items():
        path = tmp_path / "bad.toml"
        path.write_text(text)
        result = run("--config", str(path), "connections")
        assert result.exit_code == 2, (text, result.output)
        assert message in result.stderr, (text, result.stderr)
        assert "Traceback" not in result.output
    missing = run("--config", str(tmp_path / "nope.toml"), "plugins")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_config_comes_from_the_environment(tmp_path: Path, monkeypatch):
    path = tmp_path / "env.toml"
    path.write_text("[api]\nport = 'x'\n")
    monkeypatch.setenv("ORDERHUB_CONFIG", str(path))
    assert run("plugins").exit_code == 2


def test_migrate_creates_the_schema(config: Path, tmp_path: Path):
    result = Cli(config)("migrate")

    assert result.exit_code == 0, result.output
    assert "is up to date" in result.stdout
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {"orders", "items", "stock_levels", "api_tokens", "alembic_version"} <= tables


def test_plugins_lists_the_built_in_channels_with_versions(cli: Cli):
    as_json = cli("plugins", "--json")
    table = cli("plugins")

    assert as_json.exit_code == 0 and table.exit_code == 0
    plugins = {p["name"]: p for p in json.loads(as_json.stdout)}
    for name in ("manual", "spreadsheet"):
        assert plugins[name]["distribution"] == "orderhub"
        assert plugins[name]["version"] == __version__
        assert plugins[name]["enabled"] is True
        assert plugins[name]["connectors"] == [name]
    for word in ("manual", "spreadsheet", "orderhub", __version__, "enabled"):
        assert word in table.stdout


def test_plugins_shows_a_denied_plugin_as_blocked(tmp_path: Path):
    config = write_config(tmp_path / "c.toml", tmp_path / "c.db", extra="")
    config.write_text(
        config.read_text().replace(
            "[connections.shop-counter]",
            "[plugins]\ndeny = ['spreadsheet']\n\n[connections.shop-counter]",
        )
    )

    result = Cli(config)("plugins", "--json")

    assert result.exit_code == 0, result.output
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert plugins["spreadsheet"]["enabled"] is False
    assert plugins["manual"]["enabled"] is True


def test_connections_lists_configured_and_built_in(cli: Cli):
    result = cli("connections", "--json")
    table = cli("connections")

    assert result.exit_code == 0, result.output
    found = {c["id"]: c for c in json.loads(result.stdout)}
    assert found["shop-counter"] == {
        "id": "shop-counter",
        "connector": "manual",
        "kind": "channel",
        "enabled": True,
        "title": "Lyon store counter",
        "capabilities": [],
    }
    assert found["spreadsheet"]["connector"] == "spreadsheet"
    assert found["manual"]["kind"] == "channel"
    assert "shop-counter" in table.stdout and "channel" in table.stdout


def test_token_create_list_revoke(cli: Cli, tmp_path: Path):
    created = cli("token", "create", "--name", "ops-alice", "--role", "operator")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("ohk_") and len(secret) > 40
    assert "not shown again" in created.stderr

    listed = json.loads(cli("token", "list", "--json").stdout)
    assert [(t["name"], t["role"], t["revoked_at"]) for t in listed] == [
        ("ops-alice", "operator", None)
    ]
    assert secret not in cli("token", "list").stdout
    assert secret[:10] in cli("token", "list").stdout

    again = cli("token", "create", "--name", "ops-alice", "--role", "admin")
    assert again.exit_code == 1 and "exists" in again.stderr

    revoked = cli("token", "revoke", "ops-alice")
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    listed = json.loads(cli("token", "list", "--json").stdout)
    assert listed[0]["revoked_at"] is not None
    gone = cli("token", "revoke", "ops-alice")
    assert gone.exit_code == 1 and "no active token named 'ops-alice'" in gone.stderr


def test_token_secret_authenticates_against_the_api(cli: Cli, config: Path):
    import asyncio

    from orderhub.hub.assembly import open_hub
    from orderhub.hub.auth.tokens import authenticate
    from orderhub.hub.config import load_settings

    secret = cli("token", "create", "--name", "robot", "--role", "read-only").stdout.strip()

    async def who() -> object:
        hub = open_hub(load_settings(config))
        try:
            async with hub.read() as session:
                return await authenticate(session, secret)
        finally:
            await hub.aclose()

    principal = asyncio.run(who())
    assert principal.name == "robot" and principal.role.value == "read-only"


def test_warehouse_tokens_need_known_locations(cli: Cli):
    no_location = cli("token", "create", "--name", "wh", "--role", "warehouse")
    unknown = cli("token", "create", "--name", "wh", "--role", "warehouse", "--location", "NOPE")
    misplaced = cli("token", "create", "--name", "x", "--role", "admin", "--location", "WH1")
    bad_role = cli("token", "create", "--name", "x", "--role", "root")

    assert no_location.exit_code == 1 and "needs the locations it may act on" in no_location.stderr
    assert unknown.exit_code == 1 and "unknown location(s): NOPE" in unknown.stderr
    assert misplaced.exit_code == 1 and "warehouse tokens only" in misplaced.stderr
    assert bad_role.exit_code == 2
    assert json.loads(cli("token", "list", "--json").stdout) == []


def test_commands_on_an_unmigrated_database_say_so(config: Path):
    result = Cli(config)("token", "list")

    assert result.exit_code == 1
    assert "orderhub migrate" in result.stderr
    assert "Traceback" not in result.output
