from decimal import Decimal

from django import template

from payments.money import MINOR_UNITS, format_money

register = template.Library()

BADGE = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-primary",
    "changes_requested": "text-bg-warning",
    "awaiting_second_approval": "text-bg-info",
    "approved": "text-bg-success",
    "rejected": "text-bg-danger",
    "paid": "text-bg-dark",
    "open": "text-bg-warning",
    "accepted": "text-bg-success",
}


@register.filter
def money(amount, currency: str) -> str:
    """``{{ amount|money:currency }}`` → ``USD 1,250.00`` (Decimal, never float)."""
    if currency not in MINOR_UNITS:
        return f"{amount} {currency}"
    return format_money(Decimal(amount or 0), currency)


@register.filter
def badge_class(status: str) -> str:
    return BADGE.get(status, "text-bg-secondary")
