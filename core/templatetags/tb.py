"""Template helpers shared by every page: relative dates with the exact date alongside."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@register.filter
def relative(value) -> str:
    """'today', 'in 3 days', '2 hours ago' … for a date or an aware datetime."""
    if value in (None, ""):
        return ""
    now = timezone.now()
    if isinstance(value, dt.datetime):
        seconds = (value - now).total_seconds()
        if abs(seconds) < 24 * 3600:
            hours, minutes = int(abs(seconds) // 3600), int(abs(seconds) % 3600 // 60)
            span = _plural(hours, "hour") if hours else _plural(max(minutes, 1), "minute")
            return f"in {span}" if seconds > 0 else f"{span} ago"
        value = timezone.localtime(value).date()
    days = (value - timezone.localdate()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {_plural(days, 'day')}" if days > 0 else f"{_plural(-days, 'day')} ago"


@register.filter
def when(value) -> str:
    """The exact date (and time in the user's zone) with the relative form beside it."""
    if value in (None, ""):
        return "—"
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value)
        exact = local.strftime("%Y-%m-%d %H:%M %Z")
        iso = value.isoformat()
    else:
        exact = value.isoformat()
        iso = exact
    return format_html(
        '<time datetime="{}">{}</time> <span class="text-muted small">({})</span>',
        iso,
        exact,
        relative(value),
    )
