"""Money: a Decimal amount with an ISO 4217 currency, never a float.

Rounding rule (used everywhere in payments):
- every line is quantized to its currency's minor unit with ROUND_HALF_UP (halves round away
  from zero, so a reversal line is exactly the negative of the line it reverses);
- a total is the sum of already rounded lines (never the rounding of an unrounded sum);
- holdback is computed per line: ``holdback = round_half_up(gross × percent / 100)`` and
  ``net = gross − holdback``, so ``holdback + net == gross`` to the cent on every line and
  therefore on every total.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Active ISO 4217 codes we accept. The database stores two decimal places, so currencies with
# three minor digits (BHD, KWD, OMR, JOD, TND, LYD, IQD) are deliberately not offered.
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        [
            "AED",
            "ARS",
            "AUD",
            "BGN",
            "BRL",
            "CAD",
            "CHF",
            "CNY",
            "COP",
            "CZK",
            "DKK",
            "EGP",
            "EUR",
            "GBP",
            "HKD",
            "HUF",
            "ILS",
            "INR",
            "MAD",
            "MXN",
            "MYR",
            "NOK",
            "NZD",
            "PEN",
            "PHP",
            "PLN",
            "RON",
            "RUB",
            "SAR",
            "SEK",
            "SGD",
            "THB",
            "TRY",
            "TWD",
            "UAH",
            "USD",
            "ZAR",
        ],
        2,
    ),
    **dict.fromkeys(["CLP", "ISK", "JPY", "KRW", "VND"], 0),
}
CURRENCY_CHOICES = [(code, code) for code in sorted(MINOR_UNITS)]
MAX_AMOUNT = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2)


class MoneyError(ValueError):
    pass


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


def quantum(currency: str) -> Decimal:
    if currency not in MINOR_UNITS:
        raise MoneyError(f"{currency!r} is not a currency we accept (ISO 4217).")
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Quantize to the currency's minor unit, ROUND_HALF_UP; always returned with 2 places so
    it compares and stores like the database column."""
    if not isinstance(amount, Decimal):
        raise MoneyError("Money amounts must be Decimal, never float.")
    rounded = amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)
    return rounded.quantize(Decimal("0.01"))


def parse_amount(value, currency: str) -> Decimal:
    """A user-entered amount as Decimal in the currency's minor unit; refuses floats, NaN,
    infinities and more precision than the currency has."""
    if isinstance(value, float | bool):
        raise MoneyError("Enter the amount as a number such as 125.00.")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError("Enter the amount as a number such as 125.00.") from exc
    if not amount.is_finite():
        raise MoneyError("Enter the amount as a number such as 125.00.")
    if amount != round_money(amount, currency):
        places = MINOR_UNITS[currency]
        raise MoneyError(f"{currency} amounts have at most {places} decimal places.")
    if abs(amount) > MAX_AMOUNT:
        raise MoneyError("This amount is too large.")
    return round_money(amount, currency)


def holdback_split(gross: Decimal, percent: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(holdback, net) for one line: holdback rounded half-up, net = gross − holdback."""
    holdback = round_money(gross * percent / Decimal(100), currency)
    return holdback, gross - holdback


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, Decimal):
            raise MoneyError("Money amounts must be Decimal, never float.")
        object.__setattr__(self, "amount", round_money(self.amount, self.currency))

    def __add__(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise MoneyError(f"Cannot add {other.currency} to {self.currency}.")
        return Money(self.amount + other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        places = MINOR_UNITS[self.currency]
        return f"{self.currency} {self.amount:,.{places}f}"

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(Decimal(0), currency)

    @classmethod
    def total(cls, amounts, currency: str) -> "Money":
        """Sum of already rounded lines."""
        result = cls.zero(currency)
        for amount in amounts:
            result = result + (amount if isinstance(amount, Money) else cls(amount, currency))
        return result


def format_money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        amount = Decimal(0)
    return str(Money(Decimal(amount), currency))
