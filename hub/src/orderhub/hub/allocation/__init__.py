"""Allocation in the hub: every order that enters is pre-processed and allocated without
overselling, and every channel is told how much it may sell.

- `intake.accept_orders`: store new orders (one, or a batch that arrived together), run the
  checks, route them and reserve their stock, all in the caller's transaction;
- `engine`: routing with fresh stock numbers and reservations (re-planned when another order
  took the stock first), line quantities, status, history, trace and delivery promise;
- `policy`: each connection's routing, availability, checks and substitution settings;
- `availability`: per-channel quantities (ATP) queued as coalesced outbox pushes;
- `holds`, `edits`, `receipts`: clearing holds, editing orders before release, incoming
  stock, receipts that fill backorders, transfers and counts;
- `controllers`: the HTTP endpoints.

This package's `__init__` imports nothing, so the stock services can import `touched`
without pulling the allocation engine in.
"""
