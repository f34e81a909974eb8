"""FedEx REST: OAuth client credentials with a cached token, Rate, Ship, Cancel and Track."""

from orderhub.connectors.carriers.fedex.connector import FedexConnector, FedexSettings

__all__ = ["FedexConnector", "FedexSettings"]
