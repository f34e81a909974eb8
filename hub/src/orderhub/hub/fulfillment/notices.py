"""The ship confirmation a channel receives for one parcel, in the channel's own line ids."""

from __future__ import annotations

from collections.abc import Mapping

from orderhub.core.connectors import FulfillmentNotice
from orderhub.hub.store.tables import OrderRow, ShipmentRow


def fulfillment_notice(
    order: OrderRow, external_line_ids: Mapping[str, str | None], shipment: ShipmentRow
) -> FulfillmentNotice:
    """Lines without a channel id (added in OrderHub) are left out: the channel never knew them."""
    return FulfillmentNotice(
        order_external_id=order.external_id,
        shipment_id=shipment.id,
        lines={
            external_line_ids[line_id]: int(units)
            for line_id, units in sorted((shipment.lines or {}).items())
            if external_line_ids.get(line_id)
        },
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
    )
