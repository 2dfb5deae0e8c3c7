"""Panels gathered from the apps: on the dashboards, and on record pages of a lower app.

An app registers a panel in its ``AppConfig.ready()``; the page renders the panels of its slot
that fit the signed-in user's organization kind and role.

- slot "dashboard": ``build(request)``, rendered by the dashboards app.
- slot "subject": ``build(request, subject)``, rendered on the subject page (trials), so the
  subject's queries and adverse events show there without trials importing those apps.

``build`` returns the template context (or ``None`` to hide the panel) and must run a
constant number of queries that stay fast whatever the data size: the first few rows (a LIMIT
that an index in the same order can serve) and counts that stop at ``COUNT_CAP`` (shown as
"100+"), never a count or a window over every row the user may see. ``first_rows`` does both in
one SQL query. Join few tables in a panel's query: each joined table multiplies the time
Postgres spends planning it (a LIMIT query over eight tables planned for longer than it ran);
prefetch by id what the rows show instead.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Func, IntegerField, QuerySet, Subquery

# Panel counts stop here: a number on a dashboard needs no more precision than "100+".
COUNT_CAP = 100


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    build: Callable[[Any], dict | None]
    order: int = 50
    kinds: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    # "main" (wide column) or "side" (narrow column)
    column: str = "main"
    slot: str = "dashboard"


_panels: list[Panel] = []


def register(panel: Panel) -> None:
    if all(existing.name != panel.name for existing in _panels):
        _panels.append(panel)
        _panels.sort(key=lambda p: (p.order, p.name))


def panels_for(kind: str | None, roles: set[str], slot: str = "dashboard") -> list[Panel]:
    return [
        panel
        for panel in _panels
        if panel.slot == slot
        and (not panel.kinds or kind in panel.kinds)
        and (not panel.roles or panel.roles & roles)
    ]


def _capped_count_subquery(queryset: QuerySet, cap: int) -> Subquery:
    """``SELECT COUNT(id) FROM t WHERE id IN (SELECT id FROM <queryset> LIMIT cap)``, as a
    scalar subquery: it does not depend on the outer row, so Postgres runs it once."""
    limited = queryset.order_by().values("pk")[:cap]
    counted = (
        queryset.model._base_manager.filter(pk__in=limited)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


def first_rows(queryset: QuerySet, rows: int, cap: int | None = None) -> dict:
    """The first ``rows`` rows of an ordered queryset and its row count up to ``cap``, in one
    SQL query: ``{"rows", "count", "capped", "more"}``.

    Unlike a window count (which makes Postgres join and count every matching row before the
    LIMIT), the count is a separate capped subquery and the rows a plain LIMIT, so both stay
    cheap however many rows match. ``cap`` defaults to ``COUNT_CAP``."""
    cap = cap or COUNT_CAP
    found = list(queryset.annotate(_capped_total=_capped_count_subquery(queryset, cap))[:rows])
    count = found[0]._capped_total if found else 0
    return {
        "rows": found,
        "count": count,
        "capped": count >= cap,
        "more": max(count - len(found), 0),
    }
