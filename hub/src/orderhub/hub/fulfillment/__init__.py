"""Fulfillment in the hub: from an allocated order to the customer's door.

- `release`: fulfillment groups per location from the order's reservations, released by
  the channel's or location's rule (at once, when paid, in waves); 3PL groups go to their
  WMS connection through the outbox;
- `picking`, `packing`: pick lists, picks confirmed with what was found (a short pick
  re-routes the missing units), parcels with weight and dimensions;
- `rating`, `rateshop`: rates from every carrier connection in parallel, the merchant's
  choice rules, the choice and its alternatives recorded on the shipment;
- `labels`: a label record committed before every purchase, so none is bought twice;
- `shipping`: reservations consumed, quantities and statuses moved, the channel told;
- `tracking`: webhook and polled events stored, shipments and orders moved on, exceptions
  flagged for an operator, unknown numbers kept as orphans;
- `jobs`, `controllers`: the worker's cron jobs and the HTTP endpoints.

This `__init__` imports nothing, so `orderhub.hub.config` can import `fulfillment.config`.
"""
