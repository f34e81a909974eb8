"""A real console in a real browser: uvicorn on 127.0.0.1 (a free port) in a thread, on a
seeded database, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from orderhub.hub.app import create_app
from orderhub.hub.assembly import open_hub
from orderhub.hub.config import parse_settings
from orderhub.hub.runtime import Hub
from orderhub.hub.store.migrate import upgrade
from orderhub.hub.testing import _in_thread

from .seed import PASSWORDS, World, seed

WAIT_SECONDS = 120
"""How long the console server and the browser may take on a loaded machine: a wait, not a
performance assertion (each wait ends as soon as its condition holds)."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


class Console:
    """A running console: where it listens and what was seeded."""

    def __init__(self, base_url: str, world: World) -> None:
        self.base_url = base_url
        self.world = world

    def order_url(self, number: str) -> str:
        return f"{self.base_url}/console/orders/{self.world.orders[number]}"


@contextmanager
def running_console(
    database_url: str,
    redis_url: str,
    *,
    connections: dict[str, Any] | None = None,
    more: Callable[[Hub, World], Awaitable[Any]] | None = None,
) -> Iterator[Console]:
    """Migrate and seed the database (then `more(hub, world)` if given), serve the app with
    these extra `connections` on a free port, stop it afterwards."""
    settings = parse_settings(
        {
            "database_url": database_url,
            "redis_url": redis_url,
            "worker": {"queue_name": f"orderhub-console-test-{uuid.uuid4().hex[:8]}"},
            "connections": connections or {},
        }
    )
    upgrade(database_url)

    async def seeded() -> World:
        hub = open_hub(settings)
        try:
            world = await seed(hub)
            if more is not None:
                await more(hub, world)
            return world
        finally:
            await hub.aclose()

    world = _in_thread(seeded())
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(hub=open_hub(settings)), log_level="warning", lifespan="on", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console server did not start")
        time.sleep(0.05)
    try:
        yield Console(f"http://127.0.0.1:{port}", world)
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT_SECONDS)
        listener.close()


def new_context(browser: Any, **options: Any) -> Any:
    """A browser context whose actions, navigations and waits give up only after
    `WAIT_SECONDS` (Playwright's own default is 30 s)."""
    context = browser.new_context(**options)
    context.set_default_timeout(WAIT_SECONDS * 1000)
    context.set_default_navigation_timeout(WAIT_SECONDS * 1000)
    return context


def sign_in(page: Any, console: Console, username: str) -> None:
    page.goto(f"{console.base_url}/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
