"""Every route handler and controller of the API, by business area."""

from __future__ import annotations

from orderhub.hub.allocation.controllers import CONTROLLERS as ALLOCATION
from orderhub.hub.auth.controllers import TokenController
from orderhub.hub.catalog.controllers import ItemController
from orderhub.hub.channels.spreadsheet.controllers import export_orders, import_file
from orderhub.hub.connections.controllers import ConnectionController
from orderhub.hub.fulfillment.controllers import (
    FulfillmentController,
    OrderReleaseController,
    ShipmentController,
    pick_lists,
)
from orderhub.hub.locations.controllers import LocationController
from orderhub.hub.orders.controllers import OrderController
from orderhub.hub.plugins.controllers import list_plugins
from orderhub.hub.stock.controllers import StockController
from orderhub.hub.sync.channel_controllers import (
    change_shipment_tracking,
    get_sync,
    refund_order,
    register_connection_webhooks,
    start_sync,
)
from orderhub.hub.sync.controllers import InboxController, OutboxController
from orderhub.hub.system.controllers import health, ready
from orderhub.hub.webhooks.controllers import receive_webhook

ROUTES: list = [health, ready]
ROUTES += [
    OrderController,
    ItemController,
    LocationController,
    StockController,
    ConnectionController,
    list_plugins,
    TokenController,
]
ROUTES += [import_file, export_orders]
ROUTES += [receive_webhook, InboxController, OutboxController]
ROUTES += [get_sync, start_sync, register_connection_webhooks]
ROUTES += [refund_order, change_shipment_tracking]
ROUTES += ALLOCATION
ROUTES += [OrderReleaseController, FulfillmentController, ShipmentController, pick_lists]
