"""Writes of the scorecards app: the monthly snapshots (append-only, idempotent)."""

import calendar
from datetime import date, timedelta

from django.db import transaction
from django.db.models import QuerySet

from core.exceptions import ApplicationError
from scorecards.measures import scorecards
from scorecards.measures import today as utc_today
from scorecards.models import MEASURE_FIELDS, ScorecardSnapshot
from trials.models import StudySite


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def last_complete_month(today: date) -> date:
    """The first day of the month before the one ``today`` falls in."""
    return month_start(month_start(today) - timedelta(days=1))


def previous_months(today: date, count: int) -> list[date]:
    """The first days of the ``count`` complete months before ``today``, oldest first."""
    months = [last_complete_month(today)]
    while len(months) < count:
        months.append(last_complete_month(months[-1]))
    return months[::-1]


@transaction.atomic
def scorecard_snapshots_write(
    *, month: date, study_sites: QuerySet[StudySite] | None = None, today: date | None = None
) -> int:
    """Write the scorecard snapshot of ``month`` (measured as of its last day) for every
    study-site (or those in ``study_sites``) that has none yet; return how many were written.

    Idempotent: a study-site that already has the month's row is skipped, and the unique
    constraint makes a concurrent second run insert nothing. A snapshot is written only for a
    month that is over, so it never freezes a half-month."""
    today = today or utc_today()
    month = month_start(month)
    as_of = month_end(month)
    if as_of >= today:
        raise ApplicationError(
            f"{month:%B %Y} is not over yet: its snapshot is written after {as_of:%d %b %Y}.",
            fields={"month": ["Choose a month that has ended."]},
        )
    queryset = StudySite.objects.all() if study_sites is None else study_sites
    missing = queryset.exclude(
        pk__in=ScorecardSnapshot.objects.filter(month=month).values("study_site_id")
    )
    cards = scorecards(missing, as_of=as_of)
    rows = [
        ScorecardSnapshot(
            study_site_id=study_site_id,
            month=month,
            as_of=as_of,
            **{name: card.values()[name] for name in MEASURE_FIELDS},
        )
        for study_site_id, card in sorted(cards.items())
    ]
    if not rows:
        return 0
    existing = ScorecardSnapshot.objects.filter(month=month).count()
    ScorecardSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return ScorecardSnapshot.objects.filter(month=month).count() - existing


def scorecard_snapshots_backfill(
    *, months: int = 12, study_sites: QuerySet[StudySite] | None = None, today: date | None = None
) -> int:
    """Write the snapshots of the last ``months`` complete months that are missing."""
    today = today or utc_today()
    return sum(
        scorecard_snapshots_write(month=month, study_sites=study_sites, today=today)
        for month in previous_months(today, months)
    )
