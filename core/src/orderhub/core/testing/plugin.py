"""The pytest plugin of orderhub-core, loaded in every pytest run through ``pytest11``.

It stays cheap and harmless: it imports nothing of OrderHub until a fixture is used. It makes
pytest rewrite the kit's asserts (for readable failures) and offers `connector_factory`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.register_assert_rewrite("orderhub.core.testing.conformance")


@pytest.fixture
def connector_factory() -> Iterator[Callable[..., Any]]:
    """Build connectors for sync tests: ``connector_factory(MyConnector, settings, **fields)``.

    Arguments are those of ``orderhub.core.testing.build_connector``. Every connector built
    is closed when the test ends. Async tests use ``async with open_connector(...)`` instead,
    so that the connector is closed on the test's own event loop.
    """
    from orderhub.core.testing.helpers import build_connector

    built: list[Any] = []

    def factory(connector_class: Any, settings: Any = None, **kwargs: Any) -> Any:
        connector = build_connector(connector_class, settings, **kwargs)
        built.append(connector)
        return connector

    yield factory
    for connector in reversed(built):
        asyncio.run(connector.aclose())
