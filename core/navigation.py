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

    @property
    def url(self) -> str:
        return reverse(self.url_name)


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
