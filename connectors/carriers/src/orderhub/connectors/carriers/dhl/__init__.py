"""DHL Germany: Parcel DE Shipping API v2 (labels, 207 multi-status) and Unified tracking."""

from orderhub.connectors.carriers.dhl.connector import DhlConnector, DhlSettings

__all__ = ["DhlConnector", "DhlSettings"]
