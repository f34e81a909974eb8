"""EasyPost (aggregator): rates, labels with format conversion, refunds, trackers, webhooks."""

from orderhub.connectors.carriers.easypost.connector import EasyPostConnector, EasyPostSettings

__all__ = ["EasyPostConnector", "EasyPostSettings"]
