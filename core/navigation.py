"""The main navigation, gathered from the apps: each app registers its entries in its
``AppConfig.ready()``, so the base layout never names an app's URLs itself."""

from dataclasses import dataclass, field

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    order: int = 50
    # Organization kinds (cro, site, sponsor) that see the entry; empty = everyone.
    kinds: frozenset[str] = field(default_factory=frozenset)
    # Roles that see the entry (any one of them); empty = every role of those kinds.
    roles: frozenset[str] = field(default_factory=frozenset)
    # Other URL names that mark the entry active.
    active_for: frozenset[str] = field(default_factory=frozenset)
    # Entries of one group share a drop-down menu (when more than one of them is shown).
    group: str = ""
    # A URL name answering a small HTML fragment (a count badge) loaded with HTMX after the
    # page, so the layout never computes it while rendering.
    badge: str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    @property
    def badge_url(self) -> str:
        return reverse(self.badge) if self.badge else ""


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if all(existing.url_name != item.url_name for existing in _items):
        _items.append(item)
        _items.sort(key=lambda i: (i.order, i.label))


def items_for(kind: str | None, roles: set[str]) -> list[NavItem]:
    return [
        item
        for item in _items
        if (not item.kinds or kind in item.kinds) and (not item.roles or item.roles & roles)
    ]


@dataclass(frozen=True)
class NavEntry:
    """One place in the navigation bar: a single link, or a menu of a group's links."""

    label: str
    items: tuple[NavItem, ...]

    @property
    def url_names(self) -> set[str]:
        return {n for item in self.items for n in (item.url_name, *item.active_for)}


def entries_for(kind: str | None, roles: set[str]) -> list[NavEntry]:
    entries: list[NavEntry] = []
    by_group: dict[str, list[NavItem]] = {}
    for item in items_for(kind, roles):
        if item.group:
            if item.group not in by_group:
                by_group[item.group] = []
                entries.append(NavEntry(item.group, ()))
            by_group[item.group].append(item)
        else:
            entries.append(NavEntry(item.label, (item,)))
    return [NavEntry(e.label, tuple(by_group[e.label])) if not e.items else e for e in entries]
