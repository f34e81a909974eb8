"""Every hook is documented in docs/connectors.md with its signature (datasette's rule), and
the page documents no hook that does not exist."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from orderhub.core import hookspecs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "connectors.md"
HOOK_HEADING = re.compile(r"^#### `(orderhub_\w+)\((.*)\)( -> .*)?`$", re.MULTILINE)

HOOKSPECS = {
    name: function
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(function, f"{hookspecs.PROJECT}_spec")
}


def signature(name: str) -> str:
    """``orderhub_stock_changed(event: StockChanged) -> Awaitable[None] | None``, the
    annotations as written in hookspecs.py."""
    spec = inspect.signature(HOOKSPECS[name])
    parameters = ", ".join(f"{p.name}: {p.annotation}" for p in spec.parameters.values())
    return f"{name}({parameters}) -> {spec.return_annotation}"


def documented() -> dict[str, str]:
    text = DOCS.read_text()
    return {
        match.group(1): match.group(0).removeprefix("#### `").removesuffix("`")
        for match in HOOK_HEADING.finditer(text)
    }


def test_there_are_hooks_to_document() -> None:
    assert "orderhub_register_connectors" in HOOKSPECS and len(HOOKSPECS) >= 7


@pytest.mark.parametrize("name", sorted(HOOKSPECS))
def test_every_hook_is_documented_with_its_signature(name: str) -> None:
    headings = documented()
    assert name in headings, f"docs/connectors.md needs a heading #### `{signature(name)}`"
    assert headings[name] == signature(name), "the documented signature is out of date"


def test_the_docs_name_no_hook_that_does_not_exist() -> None:
    assert set(documented()) <= set(HOOKSPECS)
