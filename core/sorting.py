"""Sortable list pages: ``?sort=field`` or ``?sort=-field`` from a whitelist per view.

A view names the columns a user may sort by and the model fields behind each one::

    SORTS = {"protocol": "protocol_number", "status": ("status", "protocol_number")}
    studies, sorting = sort_queryset(request, studies, SORTS)

An unknown or malformed key is ignored: the queryset keeps its own (selector) order, or
``default`` when one is given. The primary key always ends the ordering so that pages
never overlap. ``sorting`` goes into the template context, where
``{% sort_header "protocol" "Protocol" %}`` (core/templatetags/tb.py) draws a column header
with ``aria-sort`` and a link that keeps every other query parameter (filters) but the page,
``{% include "includes/pagination.html" %}`` keeps ``sort`` across pages, and
``{% sort_input %}`` keeps it when a filter form is submitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

PARAM = "sort"


@dataclass(frozen=True)
class Sorting:
    """The order a list page shows: ``key`` ("" for the page's default) and direction."""

    key: str = ""
    descending: bool = False
    param: str = PARAM

    @property
    def value(self) -> str:
        """What ``?sort=`` holds for this order ("" when the default applies)."""
        if not self.key:
            return ""
        return f"-{self.key}" if self.descending else self.key

    def aria_sort(self, key: str) -> str | None:
        """The ``aria-sort`` value of the column ``key``: only the sorted column has one."""
        if key != self.key:
            return None
        return "descending" if self.descending else "ascending"

    def next_value(self, key: str) -> str:
        """Where a click on the header of ``key`` leads: ascending first, then toggling."""
        if key == self.key and not self.descending:
            return f"-{key}"
        return key


def parse(raw: str | None, keys: Mapping[str, object]) -> tuple[str, bool] | None:
    """``"-date"`` → ``("date", True)`` when ``date`` is whitelisted; otherwise None."""
    raw = (raw or "").strip()
    descending = raw.startswith("-")
    key = raw[1:] if descending else raw
    if not key or key not in keys:
        return None
    return key, descending


def _fields(spec: str | Sequence[str]) -> tuple[str, ...]:
    return (spec,) if isinstance(spec, str) else tuple(spec)


def _reverse(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def order_fields(spec: str | Sequence[str], descending: bool) -> list[str]:
    """The ``order_by`` arguments for a whitelisted key, pk last as the tie-breaker (in the
    direction of the first field, so that an index on (field, id) serves either way)."""
    fields = list(_fields(spec))
    if descending:
        fields = [_reverse(f) for f in fields]
    return [*fields, "-pk" if fields[0].startswith("-") else "pk"]


def sort_queryset(
    request,
    queryset: QuerySet,
    keys: Mapping[str, str | Sequence[str]],
    *,
    default: str = "",
    param: str = PARAM,
) -> tuple[QuerySet, Sorting]:
    """Order ``queryset`` by the request's ``?sort=`` when it names a key of ``keys``.

    ``default`` (a key, "-" allowed) applies when the request names none; without it the
    queryset keeps the order its selector gave it and no column is marked as sorted.
    """
    chosen = parse(request.GET.get(param), keys) or parse(default, keys)
    if chosen is None:
        return queryset, Sorting(param=param)
    key, descending = chosen
    return (
        queryset.order_by(*order_fields(keys[key], descending)),
        Sorting(key=key, descending=descending, param=param),
    )
