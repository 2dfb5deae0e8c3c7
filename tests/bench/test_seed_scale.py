import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization, OrganizationKind
from core.models import Notification
from dashboards.scale import ScalePlan
from queries.models import DataQuery
from trials.models import StudySite, Subject, SubjectVisit

pytestmark = pytest.mark.django_db


def test_tiny_scale_builds_the_planned_counts():
    call_command("seed_scale", scale=0.0005)

    plan = ScalePlan.of(
        studies=50,
        sites_per_study=100,
        subjects=100_000,
        visits=1_000_000,
        queries=300_000,
        scale=0.0005,
    )
    assert (plan.studies, plan.sites_per_study, plan.subjects) == (2, 2, 50)
    assert StudySite.objects.count() == 4
    assert Subject.objects.count() == 50
    assert SubjectVisit.objects.count() == 500
    assert DataQuery.objects.count() == 150
    assert Notification.objects.filter(kind="bench.synthetic").exists()
    assert set(
        Organization.objects.filter(kind=OrganizationKind.CRO).values_list("name", flat=True)
    ) == {"Bench CRO A (bench)", "Bench CRO B (bench)"}
    assert not Organization.objects.exclude(name__endswith="(bench)").exists()


def test_one_percent_keeps_rows_per_study_site_of_the_full_run():
    full = ScalePlan.of(
        studies=50,
        sites_per_study=100,
        subjects=100_000,
        visits=1_000_000,
        queries=300_000,
        scale=1.0,
    )
    one_percent = ScalePlan.of(
        studies=50,
        sites_per_study=100,
        subjects=100_000,
        visits=1_000_000,
        queries=300_000,
        scale=0.01,
    )
    assert (full.study_sites, one_percent.study_sites) == (5000, 50)
    assert full.subjects / full.study_sites == one_percent.subjects / one_percent.study_sites
    assert full.visits_per_subject == one_percent.visits_per_subject == 10


def test_refuses_a_database_with_non_bench_data_unless_forced():
    Organization.objects.create(kind=OrganizationKind.SITE, name="Real Site", country="US")

    with pytest.raises(CommandError, match="non-bench organizations"):
        call_command("seed_scale", scale=0.0005)
    assert not Subject.objects.exists()

    call_command("seed_scale", scale=0.0005, force=True)
    assert Subject.objects.count() == 50


def test_refuses_to_build_the_data_set_twice():
    call_command("seed_scale", scale=0.0005)

    with pytest.raises(CommandError, match="already in this database"):
        call_command("seed_scale", scale=0.0005)
    assert Subject.objects.count() == 50
