"""The hub calls on connectors only what core's contract names.

Every connector method the hub calls is a capability method (`CAPABILITY_METHODS`), a
member of an optional protocol (`OPTIONAL_PROTOCOLS`) or of `Connector` itself, so that a
connector author can find in core everything the hub may call.
"""

from __future__ import annotations

import ast
from pathlib import Path

from orderhub.core.connectors import CAPABILITY_METHODS, OPTIONAL_PROTOCOLS
from orderhub.hub.sync.dispatch import OPERATIONS

HUB_SOURCE = Path(__file__).resolve().parents[2] / "src" / "orderhub" / "hub"

CONNECTOR_MEMBERS = {"name", "kind", "capabilities", "Settings", "connection", "health", "aclose"}
OPTIONAL_MEMBERS = {name for names in OPTIONAL_PROTOCOLS.values() for name in names}
CAPABILITY_MEMBERS = {name for names in CAPABILITY_METHODS.values() for name in names}
NAMED_BY_CORE = CONNECTOR_MEMBERS | OPTIONAL_MEMBERS | CAPABILITY_MEMBERS


def test_every_outbox_operation_is_a_method_core_names_for_its_capability() -> None:
    for name, operation in OPERATIONS.items():
        assert name in CAPABILITY_METHODS[operation.capability] or name in OPTIONAL_MEMBERS, (
            f"outbox operation {name!r} is not a method core names"
        )


def _is_connector(node: ast.expr) -> bool:
    """`connector`, `self.connector`, or `hub.connector(...)`: what the hub holds connectors in."""
    if isinstance(node, ast.Name):
        return node.id == "connector"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "connector"
    return False


def _connector_members_used() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for path in sorted(HUB_SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute) and _is_connector(node.value):
                name = node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"getattr", "hasattr"}
                and node.args
                and _is_connector(node.args[0])
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                name = node.args[1].value
            if name is not None:
                where = f"{path.relative_to(HUB_SOURCE)}:{node.lineno}"
                used.setdefault(name, []).append(where)
    return used


def test_the_hub_uses_only_connector_members_core_names() -> None:
    used = _connector_members_used()
    assert {"push_stock", "verify_webhook", "observe_throttle", "throttle_status"} <= set(used)
    unnamed = {name: where for name, where in used.items() if name not in NAMED_BY_CORE}
    assert unnamed == {}, f"connector members the hub uses that core does not name: {unnamed}"
