"""The OrderHub plugin API. Every hook's docstring is its documentation.

Plugins are found through the ``orderhub`` entry-point group (see ``orderhub.core.plugins``)
and implement hooks with ``@hookimpl``::

    from orderhub.core.hookspecs import hookimpl

    @hookimpl
    def orderhub_register_connectors(register):
        register(MyShopConnector)

The ``register`` argument of each registration hook is typed (``ConnectorRegistrar`` and the
others below), so a type checker tells a plugin author what the hook takes.

pluggy is synchronous: a notification hook may return an awaitable, and the hub awaits it.
Connector operations are *not* hooks: the hub calls a connector's methods directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeAlias

import pluggy

from orderhub.core.connectors import Connector
from orderhub.core.events import OrderChanged, ShipmentChanged, StockChanged
from orderhub.core.extensions import AutomationAction, OrderCheck
from orderhub.core.routing.rules import FilterRule, SortRule

PROJECT = "orderhub"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

ConnectorRegistrar: TypeAlias = Callable[[type[Connector]], None]
"""``register`` of `orderhub_register_connectors`: takes a connector class."""
CheckRegistrar: TypeAlias = Callable[[OrderCheck], None]
"""``register`` of `orderhub_register_checks`: takes a check instance."""
RoutingRuleRegistrar: TypeAlias = Callable[[type[FilterRule] | type[SortRule]], None]
"""``register`` of `orderhub_register_routing_rules`: takes a rule class."""
ActionRegistrar: TypeAlias = Callable[[AutomationAction], None]
"""``register`` of `orderhub_register_actions`: takes an action instance."""


@hookspec
def orderhub_register_connectors(register: ConnectorRegistrar) -> None:
    """Register connector classes by calling ``register(ConnectorClass)`` once per class.

    A connector class declares ``name``, ``kind`` (a ``ConnectorKind``), ``capabilities``
    (a frozenset of ``Capability``) and ``Settings`` (a msgspec Struct for its per-connection
    settings), and implements the methods its capabilities require
    (``orderhub.core.connectors.CAPABILITY_METHODS``). The hub instantiates it once per
    configured connection. Registering two classes under one name is an error.
    """


@hookspec
def orderhub_register_checks(register: CheckRegistrar) -> None:
    """Register pre-processing checks (``orderhub.core.extensions.OrderCheck``) by calling
    ``register(check)`` with an instance.

    A check has a ``name`` and ``check(context) -> HoldRequest | None`` (or an awaitable of
    it). ``context`` is an ``orderhub.core.extensions.CheckContext``: the order, stock
    available and incoming per SKU for its channel, the customer's recent orders and the
    channel's settings for checks (``context.channel_policy[name]``). Returning
    ``HoldRequest(reason=..., detail=...)`` puts the order on hold; ``detail`` is what the
    operator reads, so say what is wrong and what would fix it.

    Checks run before routing through ``orderhub.core.preprocess.run_checks_async``, after
    the built-in ones (``orderhub.core.preprocess``) and in registration order: every check
    runs, every hold is kept, and a check that raises holds the order with the error, naming
    the check. Keep checks free of side effects: an edited order is checked again. Use it
    for fraud scoring, address validation services, custom business rules.
    """


@hookspec
def orderhub_register_routing_rules(register: RoutingRuleRegistrar) -> None:
    """Register routing rule classes by calling ``register(RuleClass)``.

    A rule class has a unique ``name`` (what a channel writes in its routing ``rules`` list)
    and exactly one of:

    - ``check(candidate, request) -> Verdict(keep=..., reason=...)``: a filter that keeps or
      drops one candidate location;
    - ``rank(candidate, request, remaining) -> Rank(key=..., reason=...)``: a sort; lower
      keys go first, and sorts listed earlier win over later ones. ``remaining`` maps each
      SKU to the units still needing a location (it shrinks while a split is built).

    ``candidate`` is an ``orderhub.core.routing.Candidate`` (stock, incoming lots, capacity
    left, cost, coordinates, kind, capabilities); ``request`` an
    ``orderhub.core.routing.RoutingRequest`` (the order, its demand per line, pickup or not).
    Every ``reason`` lands in the order's routing trace, so write it for an operator
    ("does not deliver to US-CA"). A rule that is a msgspec Struct gets the parameters of its
    config entry (``{rule = "my_rule", limit = 3}``) validated strictly; another class is
    called with them as keywords. Rules must be pure: ``POST /routing/simulate`` runs them
    without changing anything. See ``orderhub.core.routing.rules`` for the built-ins.
    """


@hookspec
def orderhub_register_actions(register: ActionRegistrar) -> None:
    """Register automation actions (``orderhub.core.extensions.AutomationAction``) by calling
    ``register(action)`` with an instance.

    An action has a ``name`` and ``run(order, params)`` (or an awaitable of it). Nothing runs
    actions yet: the hub collects them and lists each plugin's action names in
    ``GET /plugins`` (and ``orderhub plugins``), so an installation can see what automation
    its plugins bring. The hook is kept, not removed, because automation is one of the next
    areas (issue 9) and plugins written now keep working when triggers arrive; its contract
    (an instance with ``name`` and ``run``) is what triggers will call.
    """


@hookspec
def orderhub_order_changed(event: OrderChanged) -> Awaitable[None] | None:
    """Called after an order change committed (created, status changed, edited, cancelled).

    For notifications and side effects outside OrderHub: e-mail, chat, analytics. It runs
    after the commit, so it cannot stop the change; raise nothing you want to matter.
    """


@hookspec
def orderhub_stock_changed(event: StockChanged) -> Awaitable[None] | None:
    """Called after on-hand stock of one SKU at one location changed, once committed.

    Emitted today for every on-hand change made through the hub's stock service, which
    writes a ledger row of one of these kinds:

    - ``adjustment``: ``POST /stock/{sku}/{location}/adjustments``, the console, short picks;
    - ``set``: ``PUT /stock/{sku}/{location}`` (also when only the safety stock changes) and
      spreadsheet stock imports;
    - ``count``: ``POST /stock/counts`` and stock levels a channel reports;
    - ``receipt``: ``POST /stock/{sku}/{location}/receipts``;
    - ``transfer_in``: the receiving side of ``POST /stock/transfers`` when the units
      arrive at once;
    - ``shipment`` of units that were never reserved.

    Not emitted (yet): changes of reserved units alone (allocation, release, cancellation),
    the sending side of a transfer, and shipments that consume reservations. ``event``
    carries the level after the change: ``on_hand``, ``reserved`` and ``available``.
    """


@hookspec
def orderhub_shipment_changed(event: ShipmentChanged) -> Awaitable[None] | None:
    """Called after a shipment was created or its tracking status moved."""
