"""Money adds up exactly (Hypothesis): Decimal per line, ROUND_HALF_UP, holdback per line."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.money import Money, MoneyError, holdback_split, parse_amount, round_money

cents = st.integers(min_value=-10_000_000, max_value=10_000_000).map(
    lambda c: Decimal(c).scaleb(-2)
)
percents = st.integers(min_value=0, max_value=2000).map(lambda p: Decimal(p).scaleb(-2))


@given(st.lists(cents, max_size=60), percents)
def test_holdback_plus_net_is_gross_for_any_set_of_lines(lines, percent):
    split = [holdback_split(gross, percent, "USD") for gross in lines]
    gross_total = Money.total(lines, "USD")
    holdback_total = Money.total([h for h, _ in split], "USD")
    net_total = Money.total([n for _, n in split], "USD")
    assert holdback_total + net_total == gross_total
    assert gross_total.amount == sum(lines, Decimal(0))
    for (holdback, net), gross in zip(split, lines, strict=True):
        assert holdback + net == gross
        assert holdback == holdback.quantize(Decimal("0.01"))
        assert abs(holdback) <= abs(gross)


@given(cents, percents)
def test_a_reversal_withholds_exactly_the_negative(gross, percent):
    holdback, net = holdback_split(gross, percent, "USD")
    assert holdback_split(-gross, percent, "USD") == (-holdback, -net)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=999))
def test_quantity_times_unit_is_rounded_once_to_the_cent(unit_cents, quantity):
    unit = Decimal(unit_cents).scaleb(-2)
    amount = round_money(unit * quantity, "USD")
    assert amount == unit * quantity


def test_half_cents_round_up_away_from_zero():
    assert holdback_split(Decimal("333.35"), Decimal("10"), "USD") == (
        Decimal("33.34"),
        Decimal("300.01"),
    )
    assert round_money(Decimal("-0.005"), "USD") == Decimal("-0.01")
    assert round_money(Decimal("1000.5"), "JPY") == Decimal("1001.00")


@pytest.mark.parametrize("value", [1.5, "abc", "NaN", "Infinity", "1.234", "", "1e20"])
def test_bad_amounts_are_refused(value):
    with pytest.raises(MoneyError):
        parse_amount(value, "USD")


def test_currencies_never_mix_and_floats_are_refused():
    with pytest.raises(MoneyError):
        Money(Decimal("1.00"), "USD") + Money(Decimal("1.00"), "EUR")
    with pytest.raises(MoneyError):
        Money(1.0, "USD")
    with pytest.raises(MoneyError):
        round_money(Decimal("1"), "XYZ")
    assert str(Money(Decimal("1234.5"), "EUR")) == "EUR 1,234.50"
