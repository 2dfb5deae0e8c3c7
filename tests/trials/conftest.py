import datetime as dt

import pytest
import time_machine

TODAY = dt.date(2026, 4, 1)


@pytest.fixture
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 4, 1, 15, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


@pytest.fixture
def events():
    """Domain events published by trials (delivered after commit), as (name, payload)."""
    from core.events import _subscribers, subscribe

    seen: list[tuple[str, dict]] = []
    handlers = {}
    for name in (
        "subject_visit.completed",
        "subject_visit.reverted",
        "subject.screen_failed",
        "milestone.reached",
    ):
        handlers[name] = lambda name=name, **payload: seen.append((name, payload))
        subscribe(name, handlers[name])
    yield seen
    for name, handler in handlers.items():
        _subscribers[name].remove(handler)
