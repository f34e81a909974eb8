"""The console's Jinja2 environment: autoescaping on, and filters for money, times and
statuses so templates stay free of formatting code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from orderhub.core.money import Money

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}

STATUS_TONES = {
    "pending": "info",
    "on_hold": "warn",
    "allocated": "ok",
    "partially_allocated": "warn",
    "backordered": "warn",
    "released": "info",
    "partially_shipped": "info",
    "shipped": "ok",
    "delivered": "done",
    "completed": "done",
    "cancelled": "muted",
    "partially_returned": "warn",
    "returned": "muted",
    "dead": "bad",
    "failed": "bad",
    "done": "done",
    "processing": "info",
    "active": "ok",
    "consumed": "done",
}


def money(value: Any, currency: str | None = None) -> str:
    """A `Money`, or minor units and a currency, as "€1,234.50"."""
    if not isinstance(value, Money):
        value = Money(amount=int(value), currency=currency or "EUR")
    amount = value.to_decimal()
    symbol = SYMBOLS.get(value.currency)
    text = f"{abs(amount):,.{max(0, -amount.as_tuple().exponent)}f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {value.currency}"


def when(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(fmt)
    return value.strftime("%Y-%m-%d")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """ "5 min ago", "3 h ago", "12 d ago"."""
    if value is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def tone(status: Any) -> str:
    return STATUS_TONES.get(str(status), "info")


def label(value: Any) -> str:
    """An enum value or snake_case key as words: "partially_allocated" -> "partially allocated"."""
    return str(value).replace("_", " ")


def environment(directory: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, when=when, ago=ago, tone=tone, label=label)
    return env
