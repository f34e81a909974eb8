"""Choosing a carrier service for a parcel from the rates every carrier gave, by rule.

Pure: `rateshop` collects the quotes and records what this returns. The rules, in order:

1. never a slower service than the customer paid for: the order's shipping line code maps
   to a most number of transit days (`[fulfillment.shipping].service_levels`); a service
   that takes longer, or does not say how long it takes, is out;
2. prices are compared in one currency: the order's when some rates are in it;
3. when the order has a promised date, only services arriving by then stay; if none does,
   the fastest is chosen (and the reasons say the promise is at risk);
4. the merchant's preferred carriers for the destination country or service level are
   chosen over the others when one of them is left;
5. the cheapest of what is left; ties go to the faster service.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import msgspec

from orderhub.core.connectors import Rate
from orderhub.core.money import Money

CARRIER_DAYS = frozenset({0, 1, 2, 3, 4})
"""Weekdays (Monday = 0) on which transit days are counted."""


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    """One carrier connection's rate for one parcel."""

    connection: str
    rate: Rate


class Considered(msgspec.Struct, kw_only=True):
    """A quote as the choice saw it: its estimated arrival and why it stayed or went."""

    connection: str
    carrier: str
    service: str
    price: Money
    transit_days: int | None
    arrives_on: date | None
    eligible: bool
    reason: str
    rate_ref: str | None = None


class RateChoice(msgspec.Struct, kw_only=True):
    chosen: Quote | None
    arrives_on: date | None
    reasons: list[str]
    considered: list[Considered]
    errors: dict[str, str] = {}
    """Carrier connection -> why it gave no rate (filled in by `rateshop`)."""


class ShippingTerms(msgspec.Struct, frozen=True, kw_only=True):
    """What the order asks of its carrier."""

    ship_date: date
    currency: str
    service_level: str | None = None
    max_transit_days: int | None = None
    promised: date | None = None
    preferred: tuple[str, ...] = ()
    """Carrier connection ids or carrier names (compared without case)."""


def add_carrier_days(start: date, days: int) -> date:
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() in CARRIER_DAYS:
            left -= 1
    return day


def carrier_days_between(start: date, end: date) -> int:
    days = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() in CARRIER_DAYS:
            days += 1
    return days


def arrival(rate: Rate, ship_date: date) -> date | None:
    """The carrier's date when it gave one (and it is not before the parcel leaves), else
    the transit days counted from the ship date."""
    if rate.estimated_delivery is not None and rate.estimated_delivery >= ship_date:
        return rate.estimated_delivery
    if rate.transit_days is not None:
        return add_carrier_days(ship_date, rate.transit_days)
    return None


def _transit(rate: Rate, ship_date: date) -> int | None:
    if rate.transit_days is not None:
        return rate.transit_days
    if rate.estimated_delivery is not None and rate.estimated_delivery >= ship_date:
        return carrier_days_between(ship_date, rate.estimated_delivery)
    return None


def _label(quote: Quote) -> str:
    return f"{quote.connection} {quote.rate.carrier} {quote.rate.service} ({quote.rate.price})"


def _speed_verdict(quote: Quote, terms: ShippingTerms) -> str | None:
    """Why a quote is slower than what the customer paid for; None when it is fast enough."""
    limit = terms.max_transit_days
    if limit is None:
        return None
    days = _transit(quote.rate, terms.ship_date)
    level = terms.service_level
    if days is None:
        return f"transit time unknown; {level} was paid for (at most {limit} days)"
    if days > limit:
        return f"{days} days is slower than the {level} paid for (at most {limit} days)"
    return None


def choose_rate(quotes: Sequence[Quote], terms: ShippingTerms) -> RateChoice:
    considered = {
        id(q): Considered(
            connection=q.connection,
            carrier=q.rate.carrier,
            service=q.rate.service,
            price=q.rate.price,
            transit_days=_transit(q.rate, terms.ship_date),
            arrives_on=arrival(q.rate, terms.ship_date),
            eligible=False,
            reason="",
            rate_ref=q.rate.rate_ref,
        )
        for q in quotes
    }
    reasons: list[str] = []

    def drop(quote: Quote, why: str) -> None:
        considered[id(quote)].reason = why

    def result(chosen: Quote | None) -> RateChoice:
        for quote in quotes:
            entry = considered[id(quote)]
            entry.eligible = entry.reason == ""
            if quote is chosen:
                entry.reason = "chosen"
            elif entry.eligible:
                entry.reason = "eligible, not chosen"
        return RateChoice(
            chosen=chosen,
            arrives_on=arrival(chosen.rate, terms.ship_date) if chosen else None,
            reasons=reasons,
            considered=list(considered.values()),
        )

    if not quotes:
        reasons.append("no carrier gave a rate")
        return result(None)

    left: list[Quote] = []
    for quote in quotes:
        verdict = _speed_verdict(quote, terms)
        if verdict:
            drop(quote, verdict)
        else:
            left.append(quote)
    if terms.max_transit_days is not None:
        reasons.append(
            f"{terms.service_level} was paid for: at most {terms.max_transit_days} transit days"
        )
    if not left:
        reasons.append("no service is as fast as what the customer paid for")
        return result(None)

    currencies = {q.rate.price.currency for q in left}
    if len(currencies) > 1:
        currency = terms.currency if terms.currency in currencies else sorted(currencies)[0]
        for quote in [q for q in left if q.rate.price.currency != currency]:
            drop(quote, f"priced in {quote.rate.price.currency}, compared in {currency}")
        left = [q for q in left if q.rate.price.currency == currency]
        reasons.append(f"rates came in {', '.join(sorted(currencies))}: compared in {currency}")

    if terms.promised is not None:
        on_time = [
            q
            for q in left
            if (when := arrival(q.rate, terms.ship_date)) is not None and when <= terms.promised
        ]
        if on_time:
            for quote in [q for q in left if q not in on_time]:
                drop(quote, f"would not arrive by the promised {terms.promised.isoformat()}")
            left = on_time
            reasons.append(f"only services arriving by {terms.promised.isoformat()}")
        else:
            fastest = min(left, key=lambda q: _speed_key(q, terms))
            reasons.append(
                f"no service arrives by the promised {terms.promised.isoformat()}: "
                f"the fastest is chosen, {_label(fastest)}"
            )
            for quote in left:
                if quote is not fastest:
                    drop(quote, "slower than the fastest, and the promise is at risk")
            return result(fastest)

    wanted = {name.lower() for name in terms.preferred}
    if wanted:
        preferred = [
            q for q in left if q.connection.lower() in wanted or q.rate.carrier.lower() in wanted
        ]
        if preferred:
            for quote in [q for q in left if q not in preferred]:
                drop(quote, f"not a preferred carrier ({', '.join(terms.preferred)})")
            left = preferred
            reasons.append(f"preferred carriers: {', '.join(terms.preferred)}")
        else:
            reasons.append(f"no rate from the preferred {', '.join(terms.preferred)}")

    chosen = min(left, key=lambda q: (q.rate.price.amount, *_speed_key(q, terms)))
    reasons.append(f"cheapest: {_label(chosen)}")
    return result(chosen)


def _speed_key(quote: Quote, terms: ShippingTerms) -> tuple[date, int, str, str]:
    when = arrival(quote.rate, terms.ship_date) or date.max
    days = _transit(quote.rate, terms.ship_date)
    return (when, days if days is not None else 10_000, quote.connection, quote.rate.service)
