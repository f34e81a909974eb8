"""What every command shares: the settings it was started with, running a coroutine with an
opened hub, and the small helpers for printing.

Configuration comes from `--config`, $ORDERHUB_CONFIG, ./orderhub.toml or the defaults,
loaded once, when a command first asks for it.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click
import msgspec
import sqlalchemy as sa

from orderhub.core.model import Actor, ActorKind
from orderhub.hub.config import Settings, load_settings

T = TypeVar("T")

EXIT_PARTIAL = 1
"""A command did part of its work but not all (an import with bad rows)."""
EXIT_USAGE = 2
"""A configuration or plugin problem: nothing was done."""


class State:
    """The `--config` the command was started with, and its settings once loaded."""

    def __init__(self, config: str | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


def current_state() -> State:
    state = click.get_current_context().find_object(State)
    if state is None:  # a command run outside the `orderhub` group
        raise RuntimeError("orderhub commands run under `orderhub`, which holds the settings")
    return state


def current_settings() -> Settings:
    return current_state().settings


def run_with_hub(make: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    """Open a hub, run `make(hub)` to completion, close the hub."""
    from orderhub.hub.assembly import open_hub

    async def main() -> T:
        hub = open_hub(current_settings())
        try:
            return await make(hub)
        finally:
            await hub.aclose()

    return asyncio.run(main())


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(code)


def console(*, stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(kind=ActorKind.USER, name=f"cli:{user}")


def print_json(value: Any) -> None:
    click.echo(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


def redact(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)
