"""Entry point `carriers` of the `orderhub` group: registers every carrier connector here."""

from __future__ import annotations

from collections.abc import Callable

from orderhub.connectors.carriers.colissimo import ColissimoConnector
from orderhub.connectors.carriers.dhl import DhlConnector
from orderhub.connectors.carriers.easypost import EasyPostConnector
from orderhub.connectors.carriers.fedex import FedexConnector
from orderhub.connectors.carriers.offline import OfflineConnector
from orderhub.core.hookspecs import hookimpl

CONNECTORS: tuple[type, ...] = (
    EasyPostConnector,
    DhlConnector,
    FedexConnector,
    ColissimoConnector,
    OfflineConnector,
)


@hookimpl
def orderhub_register_connectors(register: Callable[[type], None]) -> None:
    for connector in CONNECTORS:
        register(connector)
