from decimal import Decimal

from django import template

from payments.money import MINOR_UNITS, format_money

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """``{{ amount|money:currency }}`` → ``USD 1,250.00`` (Decimal, never float)."""
    if currency not in MINOR_UNITS:
        return f"{amount} {currency}"
    return format_money(Decimal(amount or 0), currency)
