"""Named domain events, delivered after the transaction that raised them commits.

An app that must react to another's event against the dependency direction subscribes in its
``AppConfig.ready()``; the publisher never imports the subscriber.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

Handler = Callable[..., Any]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def publish(event: str, **payload: Any) -> None:
    """Deliver ``payload`` (ids, never model instances) to each subscriber after commit."""
    for handler in list(_subscribers.get(event, ())):
        transaction.on_commit(lambda handler=handler: handler(**payload))
