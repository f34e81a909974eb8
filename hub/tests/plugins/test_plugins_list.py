"""`GET /plugins` lists what each plugin adds, the automation actions included."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from orderhub.core.hookspecs import ActionRegistrar, hookimpl
from orderhub.core.model import Order
from orderhub.hub.testing import auth


class Escalate:
    name = "escalate"

    def run(self, order: Order, params: Any) -> None:
        return None


@hookimpl
def orderhub_register_actions(register: ActionRegistrar) -> None:
    register(Escalate())


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [SimpleNamespace(orderhub_register_actions=orderhub_register_actions)]


async def test_plugins_list_the_actions_they_register(client: Any, tokens: Any) -> None:
    response = await client.get("/plugins", headers=auth(tokens["read-only"]))
    assert response.status_code == 200
    plugins = {item["name"]: item for item in response.json()["items"]}
    assert plugins["test-plugin-0"]["actions"] == ["escalate"]
    assert plugins["test-plugin-0"]["hooks"] == ["orderhub_register_actions"]
    assert plugins["manual"]["actions"] == []
