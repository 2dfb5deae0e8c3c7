"""Panels gathered from the apps: on the dashboards, and on record pages of a lower app.

An app registers a panel in its ``AppConfig.ready()``; the page renders the panels of its slot
that fit the signed-in user's organization kind and role.

- slot "dashboard": ``build(request)``, rendered by the dashboards app.
- slot "subject": ``build(request, subject)``, rendered on the subject page (trials), so the
  subject's queries and adverse events show there without trials importing those apps.

``build`` returns the template context (or ``None`` to hide the panel) and must run a
constant number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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
