import datetime as dt

import pytest

from tests.factories import SubjectFactory
from trials import metrics
from trials.models import SubjectStatus


def _subjects(study_site, n, **fields):
    for _ in range(n):
        SubjectFactory(
            study_site=study_site,
            status=SubjectStatus.ENROLLED,
            enrollment_date=dt.date(2026, 2, 1),
            **fields,
        )


def _row(result, key):
    return next(r for d in result.dimensions for r in d.rows if r.key == key)


@pytest.mark.django_db
def test_counts_rate_and_goals(tenant, frozen_today):
    tenant.study.diversity_goals = {"race:black": 15, "sex:female": 40}
    tenant.study.save()
    _subjects(tenant.study_site, 6, race="black", sex="female")
    _subjects(tenant.study_site, 14, race="white", sex="male")
    SubjectFactory(study_site=tenant.study_site, status=SubjectStatus.SCREEN_FAILED)
    result = metrics.study_site_enrollment(actor=tenant.coordinator, study_site=tenant.study_site)
    assert (result.screened, result.enrolled, result.screen_failed, result.in_screening) == (
        22,
        20,
        1,
        1,
    )
    assert result.screen_failure_rate == pytest.approx(4.8)
    black = _row(result, "race:black")
    assert (black.count, black.percent, black.behind_goal) == (6, 30.0, False)
    female = _row(result, "sex:female")
    assert female.behind_goal is True  # 30% against a 40% goal
    assert result.behind_goal_count == 1
    assert result.chart is not None


@pytest.mark.django_db
def test_small_groups_are_hidden_outside_the_site(tenant, frozen_today):
    _subjects(tenant.study_site, 3, race="asian")
    _subjects(tenant.study_site, 10, race="white")
    _subjects(tenant.study_site, 7, race="black")
    inside = metrics.study_site_enrollment(actor=tenant.coordinator, study_site=tenant.study_site)
    assert _row(inside, "race:asian").count == 3
    for outsider in (tenant.pm, tenant.sponsor_viewer, tenant.cra):
        outside = metrics.study_site_enrollment(actor=outsider, study_site=tenant.study_site)
        assert _row(outside, "race:asian").count is None
        # the only hidden cell would be derivable from the total: the next smallest is hidden too
        assert _row(outside, "race:black").count is None
        assert _row(outside, "race:white").count == 10
        shown = [r.count for d in outside.dimensions for r in d.rows if r.count]
        assert all(c >= metrics.SMALL_CELL for c in shown)


@pytest.mark.django_db
def test_study_metrics_cover_only_visible_sites(client, tenant, other_tenant, frozen_today):
    _subjects(tenant.study_site, 5, race="black")
    client.force_login(tenant.sponsor_viewer)
    page = client.get(f"/studies/{tenant.study.pk}/enrollment/").content.decode()
    assert "Enrolled vs target over time" in page and "<svg" in page
    client.force_login(other_tenant.pm)
    assert client.get(f"/studies/{tenant.study.pk}/enrollment/").status_code == 404
