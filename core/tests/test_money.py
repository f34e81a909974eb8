"""Money: exact parsing from providers' decimal strings, exponents, refusals, arithmetic."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from orderhub.core.money import Money, MoneyError, currency_exponent, total


@pytest.mark.parametrize(
    ("value", "currency", "amount"),
    [
        ("19.99", "EUR", 1999),
        ("0.10", "EUR", 10),
        ("0.1", "USD", 10),
        ("-0.5", "EUR", -50),
        ("1e3", "EUR", 100000),
        ("1.000", "EUR", 100),  # trailing zeros beyond the exponent are exact
        ("0", "EUR", 0),
        ("-0", "EUR", 0),
        ("0E-999999999", "EUR", 0),
        ("  12.30 ", "GBP", 1230),
        (42, "EUR", 4200),
        (Decimal("7.25"), "EUR", 725),
        ("1000", "JPY", 1000),
        ("1.0", "JPY", 1),
        ("12.345", "KWD", 12345),
        ("0.001", "BHD", 1),
        ("1.2345", "CLF", 12345),
        ("12345678901234567.89", "EUR", 1234567890123456789),
        ("92233720368547758.07", "EUR", 2**63 - 1),
    ],
)
def test_parse_is_exact(value: object, currency: str, amount: int) -> None:
    money = Money.parse(value, currency)  # type: ignore[arg-type]
    assert money.amount == amount
    assert money.currency == currency


def test_parse_upper_cases_the_currency() -> None:
    assert Money.parse("1.50", "eur") == Money(amount=150, currency="EUR")


def test_parse_does_not_round_numbers_longer_than_the_decimal_context() -> None:
    # 30 significant digits: a Decimal context of 28 would silently round this.
    with pytest.raises(MoneyError, match="too large"):
        Money.parse("1234567890123456789012345678.91", "EUR")
    assert Money.parse("9999999999999999.99", "EUR").amount == 999999999999999999


@pytest.mark.parametrize(
    ("value", "currency", "message"),
    [
        ("0.001", "USD", "more than 2 decimals for USD"),
        ("19.999", "EUR", "more than 2 decimals for EUR"),
        ("1.5", "JPY", "more than 0 decimals for JPY"),
        ("0.0001", "KWD", "more than 3 decimals for KWD"),
        ("1E-999999999", "EUR", "more than 2 decimals"),
        (19.99, "EUR", "floats are not accepted"),
        (True, "EUR", "bools are not accepted"),
        ("abc", "EUR", "not a decimal amount"),
        ("", "EUR", "not a decimal amount"),
        ("1,50", "EUR", "not a decimal amount"),
        (None, "EUR", "not a decimal amount"),
        ("NaN", "EUR", "not a finite amount"),
        ("Infinity", "EUR", "not a finite amount"),
        ("-inf", "EUR", "not a finite amount"),
        ("1e400000000", "EUR", "too large"),
        ("92233720368547758.08", "EUR", "too large"),
        ("1.00", "EURO", "not an ISO 4217 currency code"),
        ("1.00", "E1R", "not an ISO 4217 currency code"),
        ("1.00", "", "not an ISO 4217 currency code"),
    ],
)
def test_parse_refuses(value: object, currency: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        Money.parse(value, currency)  # type: ignore[arg-type]


def test_money_error_is_a_value_error() -> None:
    assert issubclass(MoneyError, ValueError)


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("EUR", 2), ("usd", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4)],
)
def test_currency_exponent(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1999, "EUR", "19.99"),
        (5, "EUR", "0.05"),
        (-5, "EUR", "-0.05"),
        (-150, "EUR", "-1.50"),
        (0, "EUR", "0.00"),
        (1000, "JPY", "1000"),
        (-1000, "JPY", "-1000"),
        (12345, "KWD", "12.345"),
        (5, "CLF", "0.0005"),
        (2**63 - 1, "EUR", "92233720368547758.07"),
    ],
)
def test_to_string_and_to_decimal_are_exact(amount: int, currency: str, text: str) -> None:
    money = Money(amount=amount, currency=currency)
    assert money.to_string() == text
    assert money.to_decimal() == Decimal(text)
    assert Money.parse(money.to_string(), currency) == money
    assert str(money) == f"{text} {currency}"


def test_arithmetic() -> None:
    a = Money.parse("10.50", "EUR")
    b = Money.parse("0.75", "EUR")
    assert a + b == Money(amount=1125, currency="EUR")
    assert a - b == Money(amount=975, currency="EUR")
    assert b - a == Money(amount=-975, currency="EUR")
    assert a * 3 == Money(amount=3150, currency="EUR")
    assert 3 * a == a * 3
    assert b < a
    assert b <= a
    assert a <= a
    assert a > b
    assert not a < a


def test_zero_and_total() -> None:
    assert Money.zero("jpy") == Money(amount=0, currency="JPY")
    amounts = [Money.parse(v, "EUR") for v in ("1.10", "2.20", "3.30")]
    assert total(amounts, "EUR") == Money(amount=660, currency="EUR")
    assert total([], "EUR") == Money(amount=0, currency="EUR")
    with pytest.raises(MoneyError):
        Money.zero("XX")


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_currency_mismatch_is_refused(combine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MoneyError, match="currency mismatch: (EUR vs USD|USD vs EUR)"):
        combine(Money.parse("1", "EUR"), Money.parse("1", "USD"))


def test_total_refuses_another_currency() -> None:
    with pytest.raises(MoneyError, match="currency mismatch"):
        total([Money.parse("1", "USD")], "EUR")


def test_combining_with_other_types_is_refused() -> None:
    money = Money.parse("1", "EUR")
    with pytest.raises(TypeError):
        money + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        money * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        money * Money.parse("2", "EUR")  # type: ignore[operator]


def test_money_is_frozen_and_hashable() -> None:
    money = Money.parse("1", "EUR")
    with pytest.raises(AttributeError):
        money.amount = 5  # type: ignore[misc]
    assert {money, Money(amount=100, currency="EUR")} == {money}


def test_money_json_round_trip() -> None:
    money = Money.parse("19.99", "EUR")
    encoded = msgspec.json.encode(money)
    assert encoded == b'{"amount":1999,"currency":"EUR"}'
    assert msgspec.json.decode(encoded, type=Money) == money
