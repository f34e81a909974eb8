"""The carrier choice rules, without a database: speed paid for, promise, preference, price."""

from __future__ import annotations

from datetime import date

from orderhub.core.connectors import Rate
from orderhub.core.money import Money
from orderhub.hub.fulfillment.rating import (
    Quote,
    ShippingTerms,
    add_carrier_days,
    arrival,
    choose_rate,
)

MONDAY = date(2025, 3, 3)


def quote(connection: str, carrier: str, service: str, price: str, days: int | None, **kw) -> Quote:
    return Quote(
        connection=connection,
        rate=Rate(
            carrier=carrier,
            service=service,
            price=Money.parse(price, kw.pop("currency", "USD")),
            transit_days=days,
            **kw,
        ),
    )


GROUND = quote("easypost", "USPS", "ParcelSelect", "9.16", 5)
PRIORITY = quote("easypost", "USPS", "Priority", "10.07", 2)
EXPRESS = quote("easypost", "USPS", "Express", "44.55", None)
FEDEX_GROUND = quote("fedex", "fedex", "FEDEX_GROUND", "41.03", 2)
OVERNIGHT = quote("fedex", "fedex", "PRIORITY_OVERNIGHT", "104.77", 1)
ALL = [GROUND, PRIORITY, EXPRESS, FEDEX_GROUND, OVERNIGHT]


def terms(**kw) -> ShippingTerms:
    return ShippingTerms(ship_date=MONDAY, currency="USD", **kw)


def reasons_by_service(choice) -> dict[str, str]:
    return {c.service: c.reason for c in choice.considered}


def test_transit_days_count_carrier_working_days():
    assert add_carrier_days(date(2025, 3, 7), 1) == date(2025, 3, 10)  # Friday -> Monday
    assert arrival(PRIORITY.rate, MONDAY) == date(2025, 3, 5)
    past = Rate(
        carrier="x", service="y", price=Money.parse("1", "USD"), estimated_delivery=date(2024, 1, 1)
    )
    assert arrival(past, MONDAY) is None  # a carrier date before the parcel leaves is ignored


def test_without_rules_the_cheapest_wins_and_every_alternative_is_kept():
    choice = choose_rate(ALL, terms())

    assert choice.chosen is GROUND
    assert choice.arrives_on == date(2025, 3, 10)
    assert len(choice.considered) == 5
    assert reasons_by_service(choice)["ParcelSelect"] == "chosen"
    assert reasons_by_service(choice)["PRIORITY_OVERNIGHT"] == "eligible, not chosen"


def test_never_slower_than_the_service_level_paid_for():
    choice = choose_rate(ALL, terms(service_level="express", max_transit_days=2))

    assert choice.chosen is PRIORITY
    why = reasons_by_service(choice)
    assert why["ParcelSelect"] == "5 days is slower than the express paid for (at most 2 days)"
    assert why["Express"].startswith("transit time unknown")
    assert not next(c for c in choice.considered if c.service == "Express").eligible


def test_nothing_fast_enough_chooses_nothing_and_says_why():
    choice = choose_rate([GROUND], terms(service_level="overnight", max_transit_days=1))

    assert choice.chosen is None
    assert "no service is as fast as what the customer paid for" in choice.reasons


def test_a_promised_date_keeps_only_services_arriving_in_time():
    choice = choose_rate(ALL, terms(promised=date(2025, 3, 5)))  # Wednesday

    assert choice.chosen is PRIORITY  # cheapest of those arriving by Wednesday
    assert (
        reasons_by_service(choice)["ParcelSelect"] == "would not arrive by the promised 2025-03-05"
    )


def test_a_promise_nobody_can_keep_gets_the_fastest_service():
    choice = choose_rate([GROUND, PRIORITY, OVERNIGHT], terms(promised=MONDAY))

    assert choice.chosen is OVERNIGHT
    assert any("no service arrives by the promised 2025-03-03" in r for r in choice.reasons)


def test_preferred_carriers_win_over_cheaper_ones_when_they_qualify():
    choice = choose_rate(ALL, terms(preferred=("FedEx",)))
    assert choice.chosen is FEDEX_GROUND
    assert reasons_by_service(choice)["ParcelSelect"] == "not a preferred carrier (FedEx)"

    # a preferred carrier too slow for what was paid does not qualify
    slow_pref = choose_rate(
        [GROUND, PRIORITY], terms(preferred=("USPS",), service_level="express", max_transit_days=2)
    )
    assert slow_pref.chosen is PRIORITY
    unknown = choose_rate([GROUND, PRIORITY], terms(preferred=("dhl",)))
    assert unknown.chosen is GROUND
    assert "no rate from the preferred dhl" in unknown.reasons


def test_prices_are_compared_in_the_orders_currency():
    euro = quote("dhl", "dhl", "V01PAK", "1.00", 1, currency="EUR")

    choice = choose_rate([GROUND, euro], terms())

    assert choice.chosen is GROUND
    assert reasons_by_service(choice)["V01PAK"] == "priced in EUR, compared in USD"


def test_ties_on_price_go_to_the_faster_service():
    slow = quote("a", "A", "slow", "5.00", 4)
    fast = quote("b", "B", "fast", "5.00", 1)

    assert choose_rate([slow, fast], terms()).chosen is fast


def test_no_quotes_no_choice():
    choice = choose_rate([], terms())
    assert choice.chosen is None and choice.reasons == ["no carrier gave a rate"]
