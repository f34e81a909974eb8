"""OrderHub connector for Acme Commerce (a template: copy, rename, point at your provider).

The entry point ``acme`` in the ``orderhub`` group names this module; the hub loads it and
calls ``orderhub_register_connectors`` to learn the connector class.
"""

from __future__ import annotations

from collections.abc import Callable

from orderhub.connectors.acme.connector import AcmeChannel, AcmeSettings, signature
from orderhub.core.hookspecs import hookimpl

__all__ = ["AcmeChannel", "AcmeSettings", "signature"]


@hookimpl
def orderhub_register_connectors(register: Callable[[type], None]) -> None:
    register(AcmeChannel)
