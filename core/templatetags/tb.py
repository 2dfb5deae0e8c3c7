"""Template helpers shared by every page: relative dates with the exact date alongside, status
colours, sortable column headers and breadcrumbs."""

import datetime as dt

from django import template
from django.urls import reverse
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
    # The exact text comes first, untagged, so that it reads (and copies, and is searched) as
    # one piece with what precedes it; the <time> element carries the machine-readable value.
    return format_html(
        '{} <time class="tb-when text-muted small" datetime="{}">({})</time>',
        exact,
        iso,
        relative(value),
    )


# One colour per status word, on every page (templates/includes/status_badge.html). The
# meaning of a colour is the same wherever it shows:
#   secondary  not started yet, nothing expected of anyone right now
#   primary    under way, moving forward
#   info       with the other side: submitted, answered, waiting for a review
#   warning    needs someone's action: open, returned, changes requested, expiring soon
#   danger     went wrong or is missing: rejected, expired, missed, screen failed
#   success    done and good: approved, accepted, acknowledged, completed, enrolling
#   dark       ended: closed, paid, withdrawn, declined, revoked
#   light      no longer applies: cancelled, superseded
STATUS_COLOURS = {
    # not started
    "planning": "secondary",
    "candidate": "secondary",
    "planned": "secondary",
    "scheduled": "secondary",
    "screening": "secondary",
    "pending": "secondary",
    "draft": "secondary",
    "recorded": "secondary",
    "upcoming": "secondary",
    "read": "secondary",
    # under way
    "startup": "primary",
    "selected": "primary",
    "contracted": "primary",
    "confirmed": "primary",
    "follow_up": "primary",
    "in_progress": "primary",
    "shortlisted": "primary",
    "sent": "primary",
    "report_drafted": "primary",
    # with the other side
    "submitted": "info",
    "answered": "info",
    "reported": "info",
    "resolved": "info",
    "awaiting_second_approval": "info",
    # needs action
    "open": "warning",
    "reopened": "warning",
    "proposed": "warning",
    "returned": "warning",
    "changes_requested": "warning",
    "expiring": "warning",
    "window_open": "warning",
    "unread": "warning",
    "to_do": "warning",
    "out_of_window": "warning",
    "disputed": "warning",
    # went wrong
    "rejected": "danger",
    "expired": "danger",
    "missing": "danger",
    "missed": "danger",
    "screen_failed": "danger",
    "overdue": "danger",
    "behind_goal": "danger",
    "late": "danger",
    # done and good
    "activated": "success",
    "enrolling": "success",
    "enrolled": "success",
    "completed": "success",
    "approved": "success",
    "accepted": "success",
    "acknowledged": "success",
    "current": "success",
    "on_track": "success",
    "saved": "success",
    "reconciled": "success",
    # ended
    "closed": "dark",
    "paid": "dark",
    "withdrawn": "dark",
    "declined": "dark",
    "revoked": "dark",
    "inactive": "dark",
    # no longer applies
    "cancelled": "light",
    "superseded": "light",
}


@register.filter
def status_colour(value) -> str:
    """The Bootstrap colour of a status word (``secondary`` for one not in the mapping)."""
    return STATUS_COLOURS.get(str(value or ""), "secondary")


@register.simple_tag(takes_context=True)
def sort_input(context) -> str:
    """A hidden ``sort`` field so that submitting a filter form keeps the chosen order."""
    sorting = context.get("sorting")
    if sorting is None or not sorting.value:
        return ""
    return format_html('<input type="hidden" name="{}" value="{}">', sorting.param, sorting.value)


@register.inclusion_tag("includes/sort_header.html", takes_context=True)
def sort_header(context, key: str, label: str, css_class: str = "") -> dict:
    """A column header: a link that sorts by ``key`` when the page is sortable
    (``sorting`` in the context, see core/sorting.py), plain text otherwise."""
    sorting = context.get("sorting")
    request = context.get("request")
    if sorting is None or request is None:
        return {"label": label, "css_class": css_class, "sortable": False}
    query = request.GET.copy()
    query.pop("page", None)
    query[sorting.param] = sorting.next_value(key)
    return {
        "label": label,
        "css_class": css_class,
        "sortable": True,
        "href": f"?{query.urlencode()}",
        "aria_sort": sorting.aria_sort(key),
    }


@register.filter
def cat(value, arg) -> str:
    """``{{ "#"|cat:item.pk }}``: the two joined as text (``add`` would try numbers first)."""
    return f"{value}{arg}"


@register.inclusion_tag("includes/breadcrumbs.html")
def breadcrumbs(*parts) -> dict:
    """``{% breadcrumbs "Studies" "study_list" study.protocol_number study "Site 3" %}``:
    pairs of (label, where it leads), then the current page's label. "Where" is a URL name,
    a path, or an object with ``get_absolute_url``; an empty one gives plain text."""
    *pairs, current = parts or ("",)
    crumbs = []
    for label, target in zip(pairs[::2], pairs[1::2], strict=True):
        crumbs.append({"label": label, "url": _crumb_url(target)})
    return {"crumbs": crumbs, "current": current}


def _crumb_url(target) -> str:
    if not target:
        return ""
    if hasattr(target, "get_absolute_url"):
        return target.get_absolute_url()
    target = str(target)
    if target.startswith(("/", "?", "#")):
        return target
    return reverse(target)
