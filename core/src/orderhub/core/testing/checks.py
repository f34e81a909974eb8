"""What the conformance kit checks, as functions returning readable problems (empty: fine).

Each function looks at one thing, so a connector author can call it directly and a failing
kit test can say exactly what is wrong.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from orderhub.core.connection import SettingsError, decode_settings
from orderhub.core.connectors import (
    CAPABILITY_METHODS,
    KIND_PROTOCOLS,
    OPTIONAL_PROTOCOLS,
    THROTTLE_REPORT_FIELDS,
    Capability,
    ConnectorKind,
    SharedRateBudget,
    TrackingUpdater,
    WebhookReceiver,
    WebhookRequest,
)
from orderhub.core.events import (
    ConnectionRevoked,
    OrderCancelObserved,
    OrderObserved,
    RefundObserved,
    StockObserved,
    TrackingObserved,
)
from orderhub.core.model.common import Address
from orderhub.core.model.fulfillment import TrackingStatus
from orderhub.core.model.orders import Order
from orderhub.core.money import Money, MoneyError, currency_exponent

SYNC_METHODS = frozenset({"verify_webhook", "decode_webhook"})
"""Pure methods the hub calls inline while answering a webhook; every other one is async."""

ALWAYS_REQUIRED = ("health", "aclose")
"""Methods every connector has, whatever it declares."""

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
"""A connector name doubles as the id of its default connection, so it follows the same rule."""

UNKNOWN_SETTINGS_KEY = "conformance_unknown_key"


def declared_methods(connector_class: type) -> list[str]:
    """The methods a connector must have: `health`, `aclose` and those of its capabilities."""
    names = list(ALWAYS_REQUIRED)
    for capability in sorted(getattr(connector_class, "capabilities", ()), key=str):
        if isinstance(capability, Capability):
            names.extend(n for n in CAPABILITY_METHODS[capability] if n not in names)
    return names


def name_problems(connector_class: type) -> list[str]:
    name = getattr(connector_class, "name", None)
    if isinstance(name, str) and not NAME_PATTERN.match(name):
        return [f"name {name!r}: use lower-case letters, digits, '-' and '_' (max 63)"]
    return []


def async_problems(connector_class: type) -> list[str]:
    """Declared methods that are async where the hub expects sync, or the other way round."""
    problems: list[str] = []
    for name in declared_methods(connector_class):
        method = getattr(connector_class, name, None)
        if not callable(method):
            problems.append(f"{name} is missing")
            continue
        is_async = inspect.iscoroutinefunction(method)
        if name in SYNC_METHODS and is_async:
            problems.append(f"{name} must be a plain (sync) method: the hub calls it inline")
        elif name not in SYNC_METHODS and not is_async:
            problems.append(f"{name} must be declared with `async def`")
    return problems


def _protocol_members(protocol: type) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if klass.__module__ in ("typing", "builtins", "typing_extensions"):
            continue
        for name, value in vars(klass).items():
            if inspect.isfunction(value) and not name.startswith("_"):
                members[name] = value
    return members


def _accepts_call_of(implementation: Any, specification: Any) -> bool:
    """Whether `implementation` accepts every call the protocol method allows."""
    try:
        impl = inspect.signature(implementation)
        spec = inspect.signature(specification)
    except (TypeError, ValueError):
        return True  # builtins without a signature: nothing to compare
    params = [p for p in spec.parameters.values() if p.name != "self"]
    positional = [
        object()
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    keywords = {
        p.name: object()
        for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is p.empty
    }
    optional = {
        p.name: object()
        for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is not p.empty
    }
    try:
        impl.bind(None, *positional)
        impl.bind(None, **keywords)
        impl.bind(None, **keywords, **optional)
    except TypeError:
        return False
    return True


def _bare(function: Any) -> str:
    """A signature without annotations, for messages: "(self, cursor)"."""
    signature = inspect.signature(function)
    return str(
        signature.replace(
            parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
            return_annotation=signature.empty,
        )
    )


def protocol_problems(connector_class: type) -> list[str]:
    """How the class falls short of its kind's protocol (``KIND_PROTOCOLS``).

    Its capabilities must belong to its kind (webhook reception fits every kind), the methods
    it implements must accept the calls the protocol describes, and its constructor must take
    ``(connection, *, http=None)``.
    """
    kind = getattr(connector_class, "kind", None)
    if not isinstance(kind, ConnectorKind):
        return ["kind is not a ConnectorKind"]
    protocol = KIND_PROTOCOLS[kind]
    members = _protocol_members(protocol) | _protocol_members(WebhookReceiver)
    problems: list[str] = []
    for capability in sorted(getattr(connector_class, "capabilities", ()), key=str):
        if not isinstance(capability, Capability):
            continue
        foreign = [n for n in CAPABILITY_METHODS[capability] if n not in members]
        if foreign:
            problems.append(
                f"capability {capability.value} is not part of a {kind.value} connector "
                f"({', '.join(foreign)} not in {protocol.__name__})"
            )
    for name, specification in members.items():
        implementation = getattr(connector_class, name, None)
        if callable(implementation) and not _accepts_call_of(implementation, specification):
            problems.append(
                f"{name}{_bare(implementation)} does not accept the calls of "
                f"{protocol.__name__}.{name}{_bare(specification)}"
            )
    try:
        inspect.signature(connector_class).bind(object(), http=None)
    except (TypeError, ValueError):
        problems.append("the constructor must accept (connection, *, http=None)")
    return problems


def _member_problems(connector_class: type, protocol: type, name: str) -> list[str]:
    """How one member of an optional protocol differs from the protocol's declaration."""
    specification = inspect.getattr_static(protocol, name)
    implementation = getattr(connector_class, name)
    where = f"{name} ({protocol.__name__})"
    if isinstance(specification, property):
        if callable(implementation) and not isinstance(
            inspect.getattr_static(connector_class, name), property
        ):
            return [f"{where} must be a property or an attribute, not a method"]
        return []
    if not callable(implementation):
        return [f"{where} must be a method"]
    wants_async = inspect.iscoroutinefunction(specification)
    if inspect.iscoroutinefunction(implementation) != wants_async:
        return [f"{where} must be declared with `{'async def' if wants_async else 'def'}`"]
    if not _accepts_call_of(implementation, specification):
        return [
            f"{name}{_bare(implementation)} does not accept the calls of "
            f"{protocol.__name__}.{name}{_bare(specification)}"
        ]
    return []


def _status_problems(connector_class: type) -> list[str]:
    """Whether the hub can build the status `observe_throttle` takes from its annotation."""
    cls: Any = connector_class  # claims SharedRateBudget: optional_problems checked it
    try:
        hints = typing.get_type_hints(cls.observe_throttle)
    except Exception as exc:
        return [f"observe_throttle's annotations do not resolve ({exc})"]
    status_type = hints.get("status")
    if not isinstance(status_type, type):
        return ["observe_throttle(status) must annotate `status` with the status type to build"]
    try:
        msgspec.convert({field: 1.0 for field in THROTTLE_REPORT_FIELDS}, status_type)
    except (msgspec.ValidationError, TypeError) as exc:
        return [
            f"observe_throttle's status type {status_type.__name__} cannot be built from "
            f"{', '.join(THROTTLE_REPORT_FIELDS)}: {exc}"
        ]
    return []


def optional_problems(connector_class: type) -> list[str]:
    """How the class falls short of the optional protocols it claims (``OPTIONAL_PROTOCOLS``).

    Defining any member of one claims it: then every member must be there, sync or async
    and accepting the calls as the protocol declares them.
    """
    problems: list[str] = []
    for protocol, names in OPTIONAL_PROTOCOLS.items():
        present = [name for name in names if hasattr(connector_class, name)]
        if not present:
            continue
        missing = [name for name in names if name not in present]
        if missing:
            problems.append(
                f"implements {', '.join(present)} of {protocol.__name__} but not "
                + ", ".join(missing)
            )
        for name in present:
            problems += _member_problems(connector_class, protocol, name)
        if protocol is SharedRateBudget and "observe_throttle" in present:
            problems += _status_problems(connector_class)
        if protocol is TrackingUpdater and Capability.PUSH_FULFILLMENT not in getattr(
            connector_class, "capabilities", ()
        ):
            problems.append(
                "update_tracking corrects a confirmed fulfillment: it needs push_fulfillment"
            )
    return problems


def settings_problems(connector_class: type, settings: Any) -> list[str]:
    """Whether `settings` is a valid Settings value that config can express and that rejects
    unknown keys (a misspelt key must fail at start, not be silently ignored)."""
    settings_type = getattr(connector_class, "Settings", None)
    if not (isinstance(settings_type, type) and issubclass(settings_type, msgspec.Struct)):
        return ["Settings must be a msgspec.Struct subclass"]
    if type(settings) is not settings_type:
        return [
            f"settings() returned {type(settings).__name__}, not the connector's "
            f"{settings_type.__name__}"
        ]
    problems: list[str] = []
    raw = msgspec.to_builtins(settings)
    try:
        decoded = decode_settings(settings_type, raw, "settings")
    except SettingsError as exc:
        problems.append(f"the settings do not survive a config round trip: {exc}")
    else:
        if decoded != settings:
            problems.append("the settings change in a config round trip (to_builtins -> decode)")
    try:
        decode_settings(settings_type, {**raw, UNKNOWN_SETTINGS_KEY: "x"}, "settings")
    except SettingsError:
        pass
    else:
        problems.append(
            f"{settings_type.__name__} accepts unknown keys: declare it with "
            "forbid_unknown_fields=True so a misspelt setting fails at start"
        )
    return problems


def sample_problems(samples: Any) -> list[str]:
    """Whether webhook samples look like what the hub hands over."""
    if not isinstance(samples, Sequence) or isinstance(samples, str | bytes) or not samples:
        return ["webhook_samples() must return a non-empty list of WebhookRequest"]
    problems: list[str] = []
    for index, sample in enumerate(samples):
        if not isinstance(sample, WebhookRequest):
            problems.append(f"sample {index} is a {type(sample).__name__}, not a WebhookRequest")
            continue
        upper = [name for name in sample.headers if name != name.lower()]
        if upper:
            problems.append(
                f"sample {index}: header names must be lower-case, as the hub passes them "
                f"({', '.join(upper)}); build samples with orderhub.core.testing.webhook_request"
            )
    return problems


# ------------------------------------------------------------------- canonical data


def aware_problems(value: datetime | None, where: str) -> list[str]:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        return [f"{where} is a naive datetime; give it a time zone (UTC)"]
    return []


def _text(value: Any, where: str) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [f"{where} must be a non-empty string"]
    return []


def _money(value: Money | None, currency: str | None, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, Money):
        return [f"{where} must be Money"]
    try:
        currency_exponent(value.currency)
    except MoneyError as exc:
        return [f"{where}: {exc}"]
    if value.currency != value.currency.upper():
        return [f"{where}: currency {value.currency!r} must be upper-case"]
    if currency is not None and value.currency != currency:
        return [f"{where} is in {value.currency}, the order in {currency}"]
    return []


def _address(address: Address | None, where: str) -> list[str]:
    if address is None or address.country is None:
        return []
    country = address.country
    if not (len(country) == 2 and country.isalpha() and country.isupper()):
        return [f"{where}.country {country!r} must be an ISO 3166-1 alpha-2 code ('FR')"]
    return []


def order_problems(order: Order, connection_id: str) -> list[str]:
    """What is wrong with an order a connector produced, field path first."""
    problems: list[str] = []
    if order.connection != connection_id:
        problems.append(
            f"order.connection is {order.connection!r}, not the connection id {connection_id!r}"
        )
    problems += _text(order.external_id, "order.external_id")
    problems += _text(order.number, "order.number")
    if order.id is not None:
        problems.append("order.id must stay None: OrderHub assigns its own ids")
    try:
        currency_exponent(order.currency)
        if order.currency != order.currency.upper():
            problems.append(f"order.currency {order.currency!r} must be upper-case")
    except MoneyError as exc:
        problems.append(f"order.currency: {exc}")
    currency = order.currency
    problems += aware_problems(order.placed_at, "order.placed_at")
    problems += aware_problems(order.source_updated_at, "order.source_updated_at")
    if not order.lines:
        problems.append("order.lines is empty")
    for i, line in enumerate(order.lines):
        where = f"order.lines[{i}]"
        if line.sku is not None:
            problems += _text(line.sku, f"{where}.sku")
        if line.quantity <= 0:
            problems.append(f"{where}.quantity must be positive, not {line.quantity}")
        for field in ("allocated", "backordered", "shipped", "cancelled", "returned"):
            value = getattr(line, f"quantity_{field}")
            if not 0 <= value <= line.quantity:
                problems.append(f"{where}.quantity_{field} {value} is outside 0..{line.quantity}")
        if line.id:
            problems.append(f"{where}.id must stay empty: OrderHub assigns line ids")
        problems += _money(line.unit_price, currency, f"{where}.unit_price")
        problems += _money(line.total_discount, currency, f"{where}.total_discount")
        for j, tax in enumerate(line.taxes):
            problems += _money(tax.amount, currency, f"{where}.taxes[{j}].amount")
    for i, shipping in enumerate(order.shipping_lines):
        problems += _money(shipping.price, currency, f"order.shipping_lines[{i}].price")
    for i, discount in enumerate(order.discounts):
        problems += _money(discount.amount, currency, f"order.discounts[{i}].amount")
    for i, tax in enumerate(order.taxes):
        problems += _money(tax.amount, currency, f"order.taxes[{i}].amount")
    for i, payment in enumerate(order.payments):
        problems += _money(payment.amount, currency, f"order.payments[{i}].amount")
        problems += aware_problems(payment.processed_at, f"order.payments[{i}].processed_at")
    if order.totals is not None:
        for field in ("subtotal", "shipping", "discounts", "tax", "total"):
            problems += _money(getattr(order.totals, field), currency, f"order.totals.{field}")
    problems += _address(order.shipping_address, "order.shipping_address")
    problems += _address(order.billing_address, "order.billing_address")
    for i, hold in enumerate(order.holds):
        problems += aware_problems(hold.placed_at, f"order.holds[{i}].placed_at")
    return problems


def change_problems(change: Any, connection_id: str) -> list[str]:
    """What is wrong with one inbound change a connector produced for `connection_id`."""
    kind = type(change).__name__

    def same_connection(value: str) -> list[str]:
        if value != connection_id:
            return [f"{kind}.connection is {value!r}, not the connection id {connection_id!r}"]
        return []

    if isinstance(change, OrderObserved):
        if not isinstance(change.order, Order):
            return ["OrderObserved.order must be an Order"]
        return order_problems(change.order, connection_id)
    if isinstance(change, OrderCancelObserved):
        return (
            same_connection(change.connection)
            + _text(change.external_id, f"{kind}.external_id")
            + aware_problems(change.at, f"{kind}.at")
        )
    if isinstance(change, RefundObserved):
        problems = (
            same_connection(change.connection)
            + _text(change.order_external_id, f"{kind}.order_external_id")
            + _text(change.refund_id, f"{kind}.refund_id")
            + _money(change.amount, None, f"{kind}.amount")
            + aware_problems(change.at, f"{kind}.at")
        )
        if isinstance(change.amount, Money) and change.amount.amount < 0:
            problems.append(f"{kind}.amount must not be negative (a refund is a positive sum)")
        problems += [
            f"{kind}.line_quantities[{line!r}] must be positive, not {quantity}"
            for line, quantity in change.line_quantities.items()
            if quantity <= 0
        ]
        return problems
    if isinstance(change, StockObserved):
        problems = same_connection(change.connection) + _text(
            change.location_ref, f"{kind}.location_ref"
        )
        if not (change.sku or change.item_ref):
            problems.append(f"{kind} needs a sku or an item_ref")
        return problems + aware_problems(change.at, f"{kind}.at")
    if isinstance(change, TrackingObserved):
        event = change.event
        problems = _text(event.tracking_number, f"{kind}.event.tracking_number")
        problems += _text(event.carrier, f"{kind}.event.carrier")
        problems += aware_problems(event.occurred_at, f"{kind}.event.occurred_at")
        if not isinstance(event.status, TrackingStatus):
            problems.append(f"{kind}.event.status must be a TrackingStatus")
        return problems
    if isinstance(change, ConnectionRevoked):
        return same_connection(change.connection) + _text(change.reason, f"{kind}.reason")
    return [f"{kind} is not an inbound change (orderhub.core.events.InboundChange)"]


def changes_problems(changes: Any, connection_id: str) -> list[str]:
    """`change_problems` for a whole decode result, which must be a sequence."""
    if not isinstance(changes, Sequence) or isinstance(changes, str | bytes | Mapping):
        return [f"decode must return a sequence of changes, not {type(changes).__name__}"]
    problems: list[str] = []
    for index, change in enumerate(changes):
        problems += [f"change {index}: {p}" for p in change_problems(change, connection_id)]
    return problems
