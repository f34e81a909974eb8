"""Substitutes for a line that cannot be allocated: proposed, or applied where the channel allows.

An applied substitution never rewrites what the customer ordered: the short units of the
original line are cancelled and a new line with the substitute SKU, at the original unit
price, takes their place right after it. What the customer pays does not change: the hub
keeps the order's totals as the channel sent them. The hub assigns the new line its id and
writes `description` and `detail` to the order's history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from orderhub.core.model.catalog import Item
from orderhub.core.model.orders import Order, OrderLine


class SubstitutionPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A channel's stance on substitutes."""

    mode: Literal["off", "propose", "apply"] = "propose"
    """off: never; propose: list them for an operator; apply: replace automatically."""
    whole_quantity: bool = True
    """A substitute must have stock for every short unit (no half-and-half lines)."""


class SubstituteOption(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    name: str
    available: int


class SubstitutionOutcome(msgspec.Struct, kw_only=True):
    """What happened to one short line, ready for the order history."""

    action: Literal["none", "proposed", "applied"]
    line_id: str
    sku: str
    short: int
    options: list[SubstituteOption] = []
    """Substitutes with stock, best first (the item's configured order)."""
    lines: list[OrderLine] = []
    """With `applied`: the order's lines after the change (the new line has id "")."""
    description: str = ""

    @property
    def detail(self) -> dict[str, Any]:
        """Machine-readable history detail."""
        return {
            "line_id": self.line_id,
            "sku": self.sku,
            "short": self.short,
            "action": self.action,
            "options": [option.sku for option in self.options],
            "substitute": self.options[0].sku if self.action == "applied" else None,
        }


def substitute_options(
    item: Item,
    short: int,
    items: Mapping[str, Item],
    available: Mapping[str, int],
    *,
    whole_quantity: bool = True,
) -> list[SubstituteOption]:
    """The item's configured substitutes that are active and in stock, best first."""
    options = []
    for sku in item.substitutes:
        candidate = items.get(sku)
        if sku == item.sku or candidate is None or not candidate.active:
            continue
        have = max(0, available.get(sku, 0))
        if have == 0 or (whole_quantity and have < short):
            continue
        options.append(SubstituteOption(sku=sku, name=candidate.name, available=have))
    return options


def substitute_line(
    order: Order,
    line_id: str,
    short: int,
    *,
    items: Mapping[str, Item],
    available: Mapping[str, int],
    policy: SubstitutionPolicy,
) -> SubstitutionOutcome:
    """Propose or apply a substitute for `short` units of one line that routing could not place.

    `items` holds the line's item and its substitutes; `available` is units available per
    SKU to this order's channel.
    """
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None or line.sku is None:
        raise ValueError(f"order has no line {line_id!r} with a SKU")
    if not 0 < short <= line.quantity_open:
        raise ValueError(f"short quantity {short} is not within the {line.quantity_open} open")
    outcome = SubstitutionOutcome(action="none", line_id=line_id, sku=line.sku, short=short)
    item = items.get(line.sku)
    if policy.mode == "off":
        outcome.description = f"{line.sku} is short by {short}; substitutes are off here"
        return outcome
    if item is None or not item.substitutes:
        outcome.description = f"{line.sku} is short by {short}; it has no configured substitutes"
        return outcome
    outcome.options = substitute_options(
        item, short, items, available, whole_quantity=policy.whole_quantity
    )
    if not outcome.options:
        outcome.description = (
            f"{line.sku} is short by {short}; none of its substitutes "
            f"({', '.join(item.substitutes)}) has enough stock"
        )
        return outcome
    if policy.mode == "propose":
        listed = ", ".join(f"{o.sku} ({o.available} available)" for o in outcome.options)
        outcome.action = "proposed"
        outcome.description = f"{line.sku} is short by {short}; substitutes in stock: {listed}"
        return outcome
    chosen = outcome.options[0]
    qty = min(short, chosen.available)
    outcome.action = "applied"
    outcome.lines = _replace_units(order.lines, line, chosen, qty)
    outcome.description = (
        f"{qty} × {line.sku} replaced by {chosen.sku} ({chosen.name}) at the original price, "
        f"as this channel's policy allows"
    )
    return outcome


def _replace_units(
    lines: list[OrderLine], line: OrderLine, chosen: SubstituteOption, qty: int
) -> list[OrderLine]:
    reduced = msgspec.structs.replace(line, quantity_cancelled=line.quantity_cancelled + qty)
    reduced.quantity_backordered = min(
        reduced.quantity_backordered, reduced.quantity_open - reduced.quantity_allocated
    )
    added = OrderLine(
        sku=chosen.sku,
        name=chosen.name,
        quantity=qty,
        unit_price=line.unit_price,
        taxes=[],
        requires_shipping=line.requires_shipping,
    )
    result = []
    for existing in lines:
        result.append(reduced if existing is line else existing)
        if existing is line:
            result.append(added)
    return result
