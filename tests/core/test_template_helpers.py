import datetime as dt
import zoneinfo

import time_machine
from django.utils import timezone

from core.templatetags.tb import relative, when

NOON = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)


@time_machine.travel(NOON, tick=False)
def test_relative_dates():
    assert relative(dt.date(2026, 6, 10)) == "today"
    assert relative(dt.date(2026, 6, 11)) == "tomorrow"
    assert relative(dt.date(2026, 6, 9)) == "yesterday"
    assert relative(dt.date(2026, 6, 13)) == "in 3 days"
    assert relative(dt.date(2026, 6, 3)) == "7 days ago"
    assert relative(None) == ""


@time_machine.travel(NOON, tick=False)
def test_relative_datetimes_within_a_day_use_hours():
    assert relative(NOON + dt.timedelta(hours=3, minutes=10)) == "in 3 hours"
    assert relative(NOON - dt.timedelta(minutes=20)) == "20 minutes ago"
    assert relative(NOON + dt.timedelta(days=2, hours=1)) == "in 2 days"


@time_machine.travel(NOON, tick=False)
def test_when_shows_the_users_zone_and_the_relative_form():
    with timezone.override(zoneinfo.ZoneInfo("America/Chicago")):
        html = when(NOON + dt.timedelta(hours=1))
    assert "2026-06-10 08:00 CDT" in html
    assert "(in 1 hour)" in html
    assert when(None) == "—"
