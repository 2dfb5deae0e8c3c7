"""The monthly snapshots: written by an idempotent beat task with the as-of functions,
append-only, and backfilled by the demo data."""

import datetime as dt

import pytest
from django.db import IntegrityError, ProgrammingError, transaction

from core.exceptions import ApplicationError
from scorecards import tasks
from scorecards.measures import scorecards, today
from scorecards.models import MEASURE_FIELDS, ScorecardSnapshot
from scorecards.services import (
    last_complete_month,
    previous_months,
    scorecard_snapshots_backfill,
    scorecard_snapshots_write,
)
from tests.factories import UserFactory
from tests.scorecards.builders import busy_study_site, enrolling
from trials.models import StudySite

pytestmark = pytest.mark.django_db
MONTH = dt.date(2026, 6, 1)
LATER = dt.date(2026, 8, 3)


def _rows() -> list[dict]:
    return list(ScorecardSnapshot.objects.order_by("study_site_id", "month").values())


def test_a_snapshot_holds_the_measures_as_of_the_last_day_of_the_month(tenant):
    study_site = busy_study_site(tenant.study, raised_by=UserFactory(), base=dt.date(2026, 6, 30))

    written = scorecard_snapshots_write(month=dt.date(2026, 6, 17), today=LATER)

    snapshot = ScorecardSnapshot.objects.get(study_site=study_site)
    expected = scorecards(StudySite.objects.filter(pk=study_site.pk), as_of=dt.date(2026, 6, 30))
    assert written == 2  # the busy study-site and the tenant's own
    assert (snapshot.month, snapshot.as_of) == (MONTH, dt.date(2026, 6, 30))
    assert {f: getattr(snapshot, f) for f in MEASURE_FIELDS} == expected[study_site.pk].values()
    assert snapshot.enrollment is not None and snapshot.visit_to_payment_days is not None


def test_writing_a_month_twice_gives_the_same_rows(tenant):
    busy_study_site(tenant.study, raised_by=UserFactory(), base=dt.date(2026, 6, 30))
    scorecard_snapshots_write(month=MONTH, today=LATER)
    first = _rows()

    assert scorecard_snapshots_write(month=MONTH, today=LATER) == 0
    assert _rows() == first


def test_the_beat_task_writes_last_month_once(tenant):
    enrolling(tenant.study)

    first = tasks.scorecard_snapshots_write.delay().get()
    rows = _rows()
    second = tasks.scorecard_snapshots_write.delay().get()

    assert first == 2 and second == 0
    assert _rows() == rows
    assert {row["month"] for row in rows} == {last_complete_month(today())}


def test_a_month_that_is_not_over_is_not_snapshotted(tenant):
    with pytest.raises(ApplicationError, match="not over yet"):
        scorecard_snapshots_write(month=dt.date(2026, 8, 1), today=dt.date(2026, 8, 31))
    assert not ScorecardSnapshot.objects.exists()


def test_snapshots_are_never_changed_or_deleted(tenant):
    scorecard_snapshots_write(month=MONTH, today=LATER)
    snapshot = ScorecardSnapshot.objects.get(study_site=tenant.study_site)

    with pytest.raises(ProgrammingError, match="pgtrigger"), transaction.atomic():
        ScorecardSnapshot.objects.filter(pk=snapshot.pk).update(enrollment=99)
    with pytest.raises(ProgrammingError, match="pgtrigger"), transaction.atomic():
        ScorecardSnapshot.objects.filter(pk=snapshot.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        ScorecardSnapshot.objects.create(
            study_site=tenant.study_site, month=MONTH, as_of=dt.date(2026, 6, 30)
        )
    assert ScorecardSnapshot.objects.get(pk=snapshot.pk).enrollment == snapshot.enrollment


def test_the_backfill_writes_each_missing_month_of_the_last_twelve(tenant):
    scorecard_snapshots_write(month=dt.date(2026, 5, 1), today=LATER)

    written = scorecard_snapshots_backfill(months=12, today=LATER)

    months = previous_months(LATER, 12)
    assert months[0] == dt.date(2025, 8, 1) and months[-1] == dt.date(2026, 7, 1)
    assert written == 11
    assert sorted(ScorecardSnapshot.objects.values_list("month", flat=True)) == months
    assert scorecard_snapshots_backfill(months=12, today=LATER) == 0


def test_the_snapshot_task_is_on_the_beat_schedule():
    from config.celery import app

    entries = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "scorecards.tasks.scorecard_snapshots_write" in entries


def test_the_demo_data_backfills_twelve_months_for_the_demo_study_sites():
    from dashboards.demo import demo_seed

    demo_seed()
    demo_sites = StudySite.objects.filter(study__cro__name__endswith=" (demo)").count()
    count = ScorecardSnapshot.objects.count()
    again = demo_seed()

    assert demo_sites and count == 12 * demo_sites
    assert again.created.get("scorecard snapshots", 0) == 0
    assert ScorecardSnapshot.objects.count() == count
