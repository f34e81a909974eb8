"""Contract prices for carriers whose APIs do not quote: DHL Parcel DE and Colissimo.

Neither the Parcel DE Shipping API nor the Colissimo label web service has a rating call:
business customers pay the prices of their contract, by product, weight band and
destination. The merchant writes those bands into the connection's settings and the
connector quotes from them, so rate shopping can compare them with carriers that do quote.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from orderhub.core.connectors import Rate, RateRequest
from orderhub.core.money import Money, MoneyError


class RateBand(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One line of a contract price list."""

    service: str
    """The carrier's product code ("V01PAK", "DOM"); it becomes `Rate.service`."""
    price: str
    """Price per parcel as a decimal string ("5.49")."""
    max_weight_grams: int
    currency: str = "EUR"
    countries: list[str] = []
    """Destination countries (ISO 3166-1 alpha-2) the band applies to; empty means all."""
    transit_days: int | None = None

    def __post_init__(self) -> None:
        try:
            Money.parse(self.price, self.currency)
        except MoneyError as exc:
            raise ValueError(f"rate band {self.service}: {exc}") from exc
        if self.max_weight_grams <= 0:
            raise ValueError(f"rate band {self.service}: max_weight_grams must be positive")

    def fits(self, country: str | None, weight_grams: int) -> bool:
        if self.countries and (country or "").upper() not in {c.upper() for c in self.countries}:
            return False
        return weight_grams <= self.max_weight_grams


def quote(carrier: str, bands: Sequence[RateBand], request: RateRequest) -> list[Rate]:
    """The cheapest fitting band per service, priced for every parcel, cheapest first.

    A service is offered only if every parcel fits one of its bands for the destination.
    """
    country = request.destination.country
    rates: list[Rate] = []
    for service in dict.fromkeys(band.service for band in bands):
        candidates = [band for band in bands if band.service == service]
        total: Money | None = None
        slowest: int | None = None
        for parcel in request.parcels:
            fitting = [band for band in candidates if band.fits(country, parcel.weight_grams)]
            if not fitting:
                total = None
                break
            band = min(fitting, key=lambda b: Money.parse(b.price, b.currency).amount)
            price = Money.parse(band.price, band.currency)
            total = price if total is None else total + price
            if band.transit_days is not None:
                slowest = max(slowest or 0, band.transit_days)
        if total is not None and request.parcels:
            rates.append(Rate(carrier=carrier, service=service, price=total, transit_days=slowest))
    return sorted(rates, key=lambda rate: rate.price.amount)
