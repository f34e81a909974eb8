"""Money as integer minor units plus an ISO 4217 currency.

Providers send amounts as decimal strings ("19.99"); floats never touch an amount here.
Conversion is exact and refuses anything that does not fit the currency's exponent, so a
rounding surprise becomes a clear error at the edge instead of a wrong invoice later.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import msgspec

# ISO 4217 exponents that differ from the default of 2. Everything else uses 2.
_EXPONENTS: dict[str, int] = {
    # zero-decimal currencies
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # three-decimal currencies
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # four-decimal units of account
    "CLF": 4,
    "UYW": 4,
}


_MAX_AMOUNT = 2**63 - 1
"""Largest amount in minor units: the store keeps amounts in signed 64-bit columns."""
_MAX_DIGITS = len(str(_MAX_AMOUNT))


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in its currency."""


def currency_exponent(currency: str) -> int:
    """Number of minor-unit digits of an ISO 4217 currency code."""
    code = currency.upper()
    if len(code) != 3 or not code.isalpha():
        raise MoneyError(f"not an ISO 4217 currency code: {currency!r}")
    return _EXPONENTS.get(code, 2)


class Money(msgspec.Struct, frozen=True, kw_only=True):
    """An amount in the smallest unit of its currency (cents for EUR, yen for JPY)."""

    amount: int
    currency: str

    @classmethod
    def parse(cls, value: str | int | Decimal, currency: str) -> Money:
        """Exact conversion from a provider's decimal string ("19.99", "1e3", "-0.5").

        Refuses more fractional digits than the currency has ("0.001" USD), floats, booleans
        and amounts beyond a signed 64-bit number of minor units (what the store can hold).
        The arithmetic is on integers: no decimal context can round the amount.
        """
        if isinstance(value, float | bool):
            raise MoneyError(
                f"{type(value).__name__}s are not accepted for money; pass a decimal string"
            )
        exponent = currency_exponent(currency)
        try:
            dec = Decimal(value) if not isinstance(value, Decimal) else value
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise MoneyError(f"not a decimal amount: {value!r}") from exc
        if not dec.is_finite():
            raise MoneyError(f"not a finite amount: {value!r}")
        sign, digits, dec_exponent = dec.as_tuple()
        coefficient = int("".join(map(str, digits)))
        shift = int(dec_exponent) + exponent
        too_precise = f"{value!r} has more than {exponent} decimals for {currency.upper()}"
        if coefficient == 0:
            amount = 0
        elif shift >= 0:
            if len(digits) + shift > _MAX_DIGITS:
                raise MoneyError(f"{value!r} is too large an amount")
            amount = coefficient * 10**shift
        else:
            if -shift > len(digits):
                raise MoneyError(too_precise)
            amount, remainder = divmod(coefficient, 10**-shift)
            if remainder:
                raise MoneyError(too_precise)
        if abs(amount) > _MAX_AMOUNT:
            raise MoneyError(f"{value!r} is too large an amount")
        return cls(amount=-amount if sign else amount, currency=currency.upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        currency_exponent(currency)
        return cls(amount=0, currency=currency.upper())

    def to_decimal(self) -> Decimal:
        return Decimal(f"{self.amount}E-{currency_exponent(self.currency)}")

    def to_string(self) -> str:
        """The decimal string providers expect ("19.99", "1000" for JPY), computed exactly."""
        exponent = currency_exponent(self.currency)
        if exponent == 0:
            return str(self.amount)
        whole, fraction = divmod(abs(self.amount), 10**exponent)
        sign = "-" if self.amount < 0 else ""
        return f"{sign}{whole}.{fraction:0{exponent}d}"

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int):
            raise TypeError("money multiplies by whole quantities only")
        return Money(amount=self.amount * quantity, currency=self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        return f"{self.to_string()} {self.currency}"


def total(amounts: list[Money], currency: str) -> Money:
    """Sum amounts of one currency; the currency is needed for an empty list."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
