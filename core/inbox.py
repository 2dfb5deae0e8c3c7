"""The work inbox: what is waiting on the signed-in user, gathered from the apps.

Each app registers a provider in its ``AppConfig.ready()``. A provider takes the actor and
returns ``InboxItem`` rows built from that app's selectors (so tenancy comes from
trials.access), with a constant number of queries and at most ``CAP`` rows. The dashboards app
renders them on one page, most urgent and newest first.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone

CAP = 200

# Urgency: higher is more urgent.
OVERDUE = 30
DUE_SOON = 20
WAITING = 10
FYI = 0


@dataclass(frozen=True)
class InboxAction:
    """A one-click action: a POST to the owning app's existing endpoint."""

    label: str
    url: str
    hx: bool = True


@dataclass(frozen=True)
class InboxItem:
    key: str  # unique across the inbox, e.g. "monitoring.visit_confirm:12"
    kind: str  # one of the provider's registered kinds
    title: str
    url: str
    cro_name: str
    study_label: str
    due: datetime | date | None = None
    urgency: int = WAITING
    cro_id: int | None = None
    study_id: int | None = None
    detail: str = ""
    action: InboxAction | None = None
    since: datetime | None = None

    @property
    def due_at(self) -> datetime | None:
        if self.due is None:
            return None
        if isinstance(self.due, datetime):
            return self.due
        return timezone.make_aware(datetime.combine(self.due, time.min))


Provider = Callable[[object], list[InboxItem]]


@dataclass(frozen=True)
class _Registration:
    name: str
    provider: Provider
    kinds: dict[str, str]  # kind → label shown in the filter
    org_kinds: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)


_providers: list[_Registration] = []


def register(
    name: str,
    provider: Provider,
    *,
    kinds: dict[str, str],
    org_kinds: frozenset[str] = frozenset(),
    roles: frozenset[str] = frozenset(),
) -> None:
    if all(existing.name != name for existing in _providers):
        _providers.append(_Registration(name, provider, kinds, org_kinds, roles))
        _providers.sort(key=lambda r: r.name)


def providers_for(org_kind: str | None, roles: set[str]) -> list[_Registration]:
    return [
        r
        for r in _providers
        if (not r.org_kinds or org_kind in r.org_kinds) and (not r.roles or r.roles & roles)
    ]


def kinds_for(org_kind: str | None, roles: set[str]) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for registration in providers_for(org_kind, roles):
        kinds.update(registration.kinds)
    return kinds


def sort_key(item: InboxItem) -> tuple:
    """Most urgent first; then the nearest due date; then the newest."""
    due = item.due_at
    since = item.since
    return (
        -item.urgency,
        due is None,
        due.timestamp() if due else 0,
        -(since.timestamp()) if since else 0,
        item.key,
    )


def items_for(actor, org_kind: str | None, roles: set[str]) -> list[InboxItem]:
    items = [
        item
        for registration in providers_for(org_kind, roles)
        for item in registration.provider(actor)[:CAP]
    ]
    return sorted(items, key=sort_key)


def urgency_for(due: datetime | date | None, today: date, soon_days: int = 3) -> int:
    if due is None:
        return WAITING
    day = timezone.localtime(due).date() if isinstance(due, datetime) else due
    if day < today:
        return OVERDUE
    if (day - today).days <= soon_days:
        return DUE_SOON
    return WAITING
