"""Aggregates counted at most once a minute per person.

Some numbers sum every row a person may see (a CRO's unpaid items, its unresolved queries); no
index makes them constant. Such a number is kept in the cache for ``ttl`` seconds, per person
and per the inputs that change it, together with when it was counted, so the page can say how
old it is."""

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.core.cache import cache
from django.utils import timezone

T = TypeVar("T")

TTL_SECONDS = 60


def counted(
    name: str, actor, compute: Callable[[], T], *parts, ttl: int = TTL_SECONDS
) -> tuple[T, datetime]:
    """``compute()`` and when it ran, reused for ``ttl`` seconds by the same person with the same
    ``parts``. The key holds the user's join time as well as the id, because a new test
    database (or a restored one) hands out the same ids again."""
    identity = (name, actor.pk, actor.date_joined.isoformat(), *parts)
    key = f"counted:{name}:" + hashlib.sha256(repr(identity).encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        cached = (compute(), timezone.now())
        cache.set(key, cached, ttl)
    return cached
