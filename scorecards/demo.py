"""Invented demo data for the scorecards: the monthly snapshots of the last 12 months for the
demo study-sites, computed with the same as-of functions the task uses. Called from
dashboards.demo inside its transaction; idempotent (a month already written is skipped)."""

from datetime import date

from scorecards.services import scorecard_snapshots_backfill
from trials.models import StudySite

MONTHS = 12


def seed(*, today: date) -> dict[str, int]:
    demo_study_sites = StudySite.objects.filter(study__cro__name__endswith=" (demo)")
    written = scorecard_snapshots_backfill(months=MONTHS, study_sites=demo_study_sites, today=today)
    return {"scorecard snapshots": written}
