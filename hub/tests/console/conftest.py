"""Console test helpers: the seeded world and signing in through the real form."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .seed import PASSWORDS, World, seed

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def sign_in(client: Any, username: str, password: str | None = None) -> str:
    """Sign in with the form; returns the CSRF token of the session's pages."""
    form = await client.get("/console/login")
    answer = await client.post(
        "/console/login",
        data={
            "username": username,
            "password": password or PASSWORDS[username],
            "_csrf": csrf_of(form.text),
        },
    )
    assert answer.status_code == 303, answer.text
    page = await client.get("/console/orders")
    assert page.status_code == 200
    return csrf_of(page.text)


@pytest.fixture
async def world(hub: Any) -> World:
    return await seed(hub)
