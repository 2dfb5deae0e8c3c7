"""The study overview (page and API): sites by status, enrollment against the plan, query and
payment aging, diversity against the goals — on hand-built data with known answers — who may
see it, the plan set on the study page, and a query count that does not grow with the data."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from dashboards import overview
from monitoring.models import VisitStatus, VisitType
from queries.models import DataQueryStatus
from tests.factories import (
    MilestoneFactory,
    StudyFactory,
    StudySiteFactory,
    StudyTeamMemberFactory,
    SubjectFactory,
    member,
)
from tests.factories.monitoring import MonitoringVisitFactory
from tests.factories.payments import EarningFactory, budget_for
from tests.factories.queries import DataQueryFactory
from trials import services as trial_services
from trials.models import Milestone, MilestoneKind, StudySiteStatus, SubjectStatus, TeamRole

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 15)
NOON = dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC)


def _plan(study, *, fpi=dt.date(2026, 1, 1), lpi=dt.date(2026, 5, 1), subjects=12):
    study.planned_subjects = subjects
    study.save(update_fields=["planned_subjects"])
    MilestoneFactory(study=study, kind=MilestoneKind.FPI, planned_date=fpi)
    MilestoneFactory(study=study, kind=MilestoneKind.LPI, planned_date=lpi)


def _enrolled(study_site, day, status=SubjectStatus.ENROLLED, **fields):
    return SubjectFactory(
        study_site=study_site,
        status=status,
        screening_date=day,
        consent_date=day,
        enrollment_date=day,
        **fields,
    )


def _sites(tenant):
    """Five study-sites of the tenant's study, one per interesting status:

    101 (the tenant's): moved candidate → … → enrolling through the service, target 12;
    102 loaded enrolling, SIV on 15 Dec 2025, target 8; 103 loaded activated, no SIV, target 5;
    104 candidate; 105 closed."""
    a = tenant.study_site
    for status in ("selected", "contracted", "activated", "enrolling"):
        trial_services.study_site_transition(actor=tenant.pm, study_site=a, to_status=status)
    a.refresh_from_db()
    b = StudySiteFactory(
        study=tenant.study, site_number="102", status=StudySiteStatus.ENROLLING, enrollment_target=8
    )
    MilestoneFactory(
        study=tenant.study,
        study_site=b,
        kind=MilestoneKind.SIV,
        planned_date=dt.date(2025, 12, 10),
        actual_date=dt.date(2025, 12, 15),
    )
    c = StudySiteFactory(
        study=tenant.study, site_number="103", status=StudySiteStatus.ACTIVATED, enrollment_target=5
    )
    d = StudySiteFactory(study=tenant.study, site_number="104")
    e = StudySiteFactory(study=tenant.study, site_number="105", status=StudySiteStatus.CLOSED)
    return a, b, c, d, e


@pytest.fixture
def study(tenant, without_checklists):
    """The tenant's study with a plan (12 subjects, FPI 1 Jan → LPI 1 May 2026), five sites
    and six subjects enrolled: 2 in January, 1 in February, 3 in March."""
    _plan(tenant.study)
    a, b, c, d, e = _sites(tenant)
    _enrolled(a, dt.date(2026, 1, 10))
    _enrolled(a, dt.date(2026, 1, 10))
    _enrolled(a, dt.date(2026, 3, 5))
    SubjectFactory(study_site=a, status=SubjectStatus.SCREEN_FAILED)
    _enrolled(b, dt.date(2026, 2, 20))
    _enrolled(b, dt.date(2026, 3, 5))
    _enrolled(b, dt.date(2026, 3, 5), status=SubjectStatus.COMPLETED)
    return tenant.study, (a, b, c, d, e)


def test_sites_by_status_with_activation_enrollment_queries_and_last_visit(tenant, study):
    study_obj, (a, b, c, d, e) = study
    now = timezone.now()
    on_a = SubjectFactory(study_site=a, subject_identifier="A-Q")
    on_b = SubjectFactory(study_site=b, subject_identifier="B-Q")
    DataQueryFactory(subject=on_a, raised_by=tenant.cra)
    DataQueryFactory(subject=on_a, raised_by=tenant.cra, status=DataQueryStatus.ANSWERED)
    DataQueryFactory(
        subject=on_a, raised_by=tenant.cra, status=DataQueryStatus.CLOSED, resolved_at=now
    )
    DataQueryFactory(subject=on_b, raised_by=tenant.cra, status=DataQueryStatus.REOPENED)
    DataQueryFactory(
        subject=on_b, raised_by=tenant.cra, status=DataQueryStatus.CANCELLED, resolved_at=now
    )

    def visit(study_site, status, actual, **fields):
        return MonitoringVisitFactory(
            study_site=study_site,
            cra=tenant.cra,
            status=status,
            actual_date=actual,
            planned_at=dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC),
            **fields,
        )

    visit(a, VisitStatus.APPROVED, dt.date(2026, 2, 10))
    latest = visit(a, VisitStatus.COMPLETED, dt.date(2026, 3, 1))
    visit(a, VisitStatus.CANCELLED, dt.date(2026, 3, 10), cancel_reason="Site closed that day")
    visit(a, VisitStatus.CONFIRMED, None)
    visit(b, VisitStatus.PLANNED, None, visit_type=VisitType.SIV)

    data = overview.study_overview(actor=tenant.pm, study=study_obj, today=TODAY)

    counts = {s.status: s.count for s in data.status_counts}
    assert counts == {
        "candidate": 1,
        "selected": 0,
        "contracted": 0,
        "activated": 1,
        "enrolling": 2,
        "closed": 1,
    }
    assert [s.status for s in data.status_counts] == list(StudySiteStatus.values)
    rows = {row.site_number: row for row in data.sites}
    assert list(rows) == ["101", "102", "103", "104", "105"]
    # 101 turned activated through the service: the date of that audit event.
    event = (
        apps.get_model("trials", "StudySiteEvent")
        .objects.filter(pgh_obj_id=a.pk, status="activated")
        .get()
    )
    assert rows["101"].activated_on == timezone.localtime(event.pgh_created_at).date()
    assert rows["102"].activated_on == dt.date(2025, 12, 15)  # loaded active: its SIV
    assert rows["103"].activated_on is None  # loaded active, no SIV recorded
    assert rows["104"].activated_on is None
    assert (rows["101"].enrolled, rows["101"].target, rows["101"].percent_of_target) == (
        3,
        12,
        25.0,
    )
    assert (rows["102"].enrolled, rows["102"].target, rows["102"].percent_of_target) == (
        3,
        8,
        37.5,
    )
    assert (rows["101"].open_queries, rows["102"].open_queries, rows["103"].open_queries) == (
        2,
        1,
        0,
    )
    assert (rows["101"].last_visit_on, rows["101"].last_visit_id) == (
        dt.date(2026, 3, 1),
        latest.pk,
    )
    assert rows["101"].last_visit_type == "Interim monitoring (IMV)"
    assert rows["102"].last_visit_on is None  # planned, not yet done
    assert (data.enrolled, data.site_targets) == (6, 12 + 8 + 5 + 12 + 12)


def test_enrollment_curve_per_month_and_week_against_the_linear_plan(tenant, study):
    study_obj, _ = study
    data = overview.study_overview(actor=tenant.pm, study=study_obj, today=TODAY, period="month")
    assert data.plan.complete
    assert data.period == "month"
    assert [(p.period_start, p.enrolled, p.planned) for p in data.curve] == [
        (dt.date(2026, 1, 1), 2, 3.0),  # plan at 31 Jan: 12 × 30/120
        (dt.date(2026, 2, 1), 3, 5.8),  # 28 Feb: 12 × 58/120
        (dt.date(2026, 3, 1), 6, 7.3),  # today, 15 Mar: 12 × 73/120
        (dt.date(2026, 4, 1), None, 11.9),  # ahead: the plan only
        (dt.date(2026, 5, 1), None, 12.0),  # the planned last patient in: the target
    ]
    assert data.planned_to_date == 7.3
    assert data.percent_of_plan == 82.2
    assert data.behind_plan_by == 1.3

    weekly = overview.study_overview(actor=tenant.pm, study=study_obj, today=TODAY, period="week")
    assert weekly.period == "week"
    first, second = weekly.curve[:2]
    # 1 Jan 2026 is a Thursday: weeks start on Mondays.
    assert (first.period_start, first.period_end, first.enrolled, first.planned) == (
        dt.date(2025, 12, 29),
        dt.date(2026, 1, 4),
        0,
        0.3,
    )
    assert (second.period_start, second.enrolled, second.planned) == (dt.date(2026, 1, 5), 2, 1.0)
    assert weekly.curve[-1].period_start == dt.date(2026, 4, 27)  # the week of the LPI
    # Without a period: weekly for a curve up to about six months (1 Jan → 1 May here).
    assert overview.study_overview(actor=tenant.pm, study=study_obj, today=TODAY).period == "week"


def test_without_a_complete_plan_the_curve_shows_enrollment_only(tenant, without_checklists):
    study = tenant.study
    MilestoneFactory(study=study, kind=MilestoneKind.FPI, planned_date=dt.date(2026, 1, 1))
    _enrolled(tenant.study_site, dt.date(2025, 6, 2))
    data = overview.study_overview(actor=tenant.pm, study=study, today=TODAY)
    assert not data.plan.complete  # no planned last patient in
    assert data.planned_to_date is None and data.percent_of_plan is None
    assert data.period == "month"  # June 2025 to March 2026
    assert data.curve[0].period_start == dt.date(2025, 6, 1)
    assert data.curve[-1].period_start == dt.date(2026, 3, 1)
    assert {p.planned for p in data.curve} == {None}
    assert data.curve[-1].enrolled == 1


def test_query_aging_buckets_count_unresolved_queries_by_days_since_raised(tenant):
    now = timezone.now()
    subject = tenant.subject

    def raised(days, status=DataQueryStatus.OPEN, **fields):
        when = now - dt.timedelta(days=days, hours=1)
        return DataQueryFactory(
            subject=subject, raised_by=tenant.cra, status=status, raised_at=when, **fields
        )

    raised(2)  # 0–4 days, waiting on the site
    raised(7, DataQueryStatus.ANSWERED)  # 5–9, on the CRO
    raised(15, DataQueryStatus.REOPENED)  # 10–29, on the site
    raised(40)  # 30+, on the site
    raised(45, DataQueryStatus.ANSWERED)  # 30+, on the CRO
    raised(50, DataQueryStatus.CLOSED, resolved_at=now)  # resolved: not aging
    raised(3, DataQueryStatus.CANCELLED, resolved_at=now)
    data = overview.study_overview(actor=tenant.pm, study=tenant.study, today=TODAY)
    assert [(b.label, b.waiting_on_site, b.waiting_on_cro) for b in data.query_aging] == [
        ("0–4 days", 1, 0),
        ("5–9 days", 0, 1),
        ("10–29 days", 1, 0),
        ("30+ days", 1, 1),
    ]
    assert data.open_queries == 5


def test_payment_aging_buckets_unpaid_money_by_days_past_terms(tenant):
    version = budget_for(
        tenant.study_site, created_by=tenant.finance, effective_date=dt.date(2025, 1, 1)
    )  # 30 days' terms
    for amount, days_ago in (("1.00", 10), ("2.00", 40), ("4.00", 75), ("8.00", 110)):
        EarningFactory(
            study_site=tenant.study_site,
            budget_version=version,
            amount=Decimal(amount),
            event_date=TODAY - dt.timedelta(days=days_ago),
        )
    EarningFactory(
        study_site=tenant.study_site,
        budget_version=version,
        amount=Decimal("16.00"),
        event_date=TODAY - dt.timedelta(days=200),
    )
    data = overview.study_overview(actor=tenant.sponsor_viewer, study=tenant.study, today=TODAY)
    (usd,) = data.payment_aging
    assert usd.currency == "USD"
    assert {key: amount for key, _, amount in usd.buckets} == {
        "not_due": Decimal("1.00"),
        "d0_30": Decimal("2.00"),
        "d31_60": Decimal("4.00"),
        "d61_90": Decimal("8.00"),
        "d90_plus": Decimal("16.00"),
    }
    assert (usd.total, usd.overdue, usd.items) == (Decimal("31.00"), Decimal("30.00"), 5)


def test_diversity_goals_hide_groups_under_five_outside_the_site(client, tenant):
    study = tenant.study
    study.diversity_goals = {"race:white": 50, "race:black": 20, "race:asian": 10}
    study.save(update_fields=["diversity_goals"])
    for index, race in enumerate(["white"] * 7 + ["black"] * 3 + ["asian"] * 2):
        _enrolled(tenant.study_site, dt.date(2026, 2, 1 + index), race=race)
    for viewer in (tenant.pm, tenant.sponsor_viewer):
        data = overview.study_overview(actor=viewer, study=study, today=TODAY)
        goals = {row.key: row for row in data.diversity.goals}
        assert (goals["race:white"].count, goals["race:white"].percent) == (7, 58.3)
        assert goals["race:white"].behind_goal is False
        assert goals["race:black"].suppressed and goals["race:black"].count is None
        assert goals["race:asian"].suppressed and goals["race:asian"].count is None
        assert data.diversity.suppressed_small_cells
    client.force_login(tenant.sponsor_viewer)
    page = client.get(reverse("study_overview", kwargs={"study_id": study.pk})).content.decode()
    assert "58.3%" in page
    assert "&lt;5" in page
    assert "(25.0%)" not in page and "(16.7%)" not in page  # 3 and 2 of 12, never shown
    body = client.get(f"/api/v1/studies/{study.pk}/overview/").json()
    by_key = {row["key"]: row for row in body["diversity"]["goals"]}
    assert by_key["race:black"]["count"] is None and by_key["race:black"]["suppressed"]
    assert by_key["race:white"]["count"] == 7


@time_machine.travel(NOON, tick=False)
def test_the_page_shows_the_numbers_and_filters_and_sorts_the_sites(client, tenant, study):
    client.force_login(tenant.pm)
    url = reverse("study_overview", kwargs={"study_id": tenant.study.pk})
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Study overview · ALPHA-001" in page
    assert '<svg viewBox="0 0 640 260"' in page  # the enrollment curve, drawn server-side
    assert "stroke-dasharray" in page  # the plan line
    assert "7.3" in page and "82.2% of plan" in page
    for number in ("101", "102", "103", "104", "105"):
        assert f">{number}</a>" in page
    assert 'data-testid="status-enrolling"' in page

    only_enrolling = client.get(url, {"status": "enrolling"}).content.decode()
    assert ">101</a>" in only_enrolling and ">102</a>" in only_enrolling
    assert ">103</a>" not in only_enrolling and ">104</a>" not in only_enrolling

    by_percent = client.get(url, {"sort": "-percent"}).content.decode()
    assert by_percent.index(">102</a>") < by_percent.index(">101</a>")  # 37.5 % before 25 %

    # An unknown sort key is ignored (site number order); a bad period is shown as an error.
    bad = client.get(url, {"sort": "drop table", "period": "day"})
    assert bad.status_code == 200
    bad_page = bad.content.decode()
    assert "is not one of the available choices" in bad_page
    assert bad_page.index(">101</a>") < bad_page.index(">102</a>") < bad_page.index(">105</a>")


def test_the_api_answers_the_same_numbers(client, tenant, study):
    client.force_login(tenant.sponsor_viewer)
    with time_machine.travel(NOON, tick=False):
        response = client.get(f"/api/v1/studies/{tenant.study.pk}/overview/?period=month")
    assert response.status_code == 200
    body = response.json()
    assert body["study"]["protocol_number"] == "ALPHA-001"
    assert body["as_of"] == "2026-03-15"
    assert {row["status"]: row["count"] for row in body["status_counts"]}["enrolling"] == 2
    sites = {row["site_number"]: row for row in body["sites"]}
    assert sites["102"]["activated_on"] == "2025-12-15"
    assert (sites["102"]["enrolled"], sites["102"]["target"]) == (3, 8)
    assert sites["102"]["last_monitoring_visit"] is None
    enrollment = body["enrollment"]
    assert enrollment["plan"] == {
        "first_patient_in": "2026-01-01",
        "last_patient_in": "2026-05-01",
        "target": 12,
        "complete": True,
        "first_patient_in_actual": None,
    }
    assert [(p["enrolled"], p["planned"]) for p in enrollment["curve"]] == [
        (2, 3.0),
        (3, 5.8),
        (6, 7.3),
        (None, 11.9),
        (None, 12.0),
    ]
    assert body["query_aging"]["open"] == 0
    assert body["payment_aging"] == []

    bad = client.get(f"/api/v1/studies/{tenant.study.pk}/overview/?period=day")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["period"]
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/studies/{study_id}/overview/" in schema


def test_who_sees_the_overview(client, tenant, other_tenant):
    page = reverse("study_overview", kwargs={"study_id": tenant.study.pk})
    api = f"/api/v1/studies/{tenant.study.pk}/overview/"
    cra_lead = member(tenant.cro, Role.CRA, full_name="Alpha Lead CRA")
    StudyTeamMemberFactory(study=tenant.study, user=cra_lead, role=TeamRole.LEAD)
    allowed = [tenant.pm, tenant.cro_admin, tenant.finance, tenant.sponsor_viewer, cra_lead]
    # A site — even one of the study — never sees other sites' numbers; a CRA sees only the
    # sites assigned to them; another tenant sees nothing.
    refused = [
        tenant.coordinator,
        tenant.investigator,
        tenant.site_admin,
        tenant.cra,
        other_tenant.pm,
        other_tenant.cro_admin,
        other_tenant.sponsor_viewer,
        other_tenant.coordinator,
    ]
    for user in allowed:
        client.force_login(user)
        assert client.get(page).status_code == 200, user
        assert client.get(api).status_code == 200, user
    for user in refused:
        client.force_login(user)
        assert client.get(page).status_code == 404, user
        response = client.get(api)
        assert response.status_code == 404, user
        assert tenant.study.protocol_number not in response.content.decode()
    client.logout()
    assert client.get(page).status_code == 302  # to the login page
    assert client.get(api).status_code in (401, 403)


def test_the_study_page_links_to_the_overview_only_for_those_who_may_open_it(client, tenant):
    link = reverse("study_overview", kwargs={"study_id": tenant.study.pk})
    study_page = reverse("study_detail", kwargs={"study_id": tenant.study.pk})
    for user in (tenant.pm, tenant.sponsor_viewer):
        client.force_login(user)
        assert link in client.get(study_page).content.decode()
    for user in (tenant.coordinator, tenant.cra):
        client.force_login(user)
        response = client.get(study_page)
        assert response.status_code == 200
        assert link not in response.content.decode()


def _edit(client, study, **plan):
    return client.post(
        reverse("study_edit", kwargs={"study_id": study.pk}),
        {
            "edit-title": study.title,
            "edit-phase": study.phase,
            "edit-therapeutic_area": study.therapeutic_area,
            "edit-planned_sites": "10",
            "edit-planned_subjects": "120",
            "edit-reason": "Enrollment plan agreed with the sponsor",
            **{f"edit-{key}": value for key, value in plan.items()},
        },
    )


def test_the_lead_sets_the_plan_on_the_study_page_with_an_audit_trail(client, tenant):
    from pghistory.models import Events

    client.force_login(tenant.pm)
    response = _edit(
        client, tenant.study, planned_fpi_date="2026-01-05", planned_lpi_date="2026-12-31"
    )
    assert response.status_code == 302
    fpi = Milestone.objects.get(study=tenant.study, study_site=None, kind=MilestoneKind.FPI)
    lpi = Milestone.objects.get(study=tenant.study, study_site=None, kind=MilestoneKind.LPI)
    assert (fpi.planned_date, lpi.planned_date) == (dt.date(2026, 1, 5), dt.date(2026, 12, 31))
    event = Events.objects.tracks(lpi).get()
    assert event.pgh_context["reason"] == "Enrollment plan agreed with the sponsor"
    assert event.pgh_context["user"] == tenant.pm.pk
    tenant.study.refresh_from_db()
    data = overview.study_overview(actor=tenant.pm, study=tenant.study, today=TODAY)
    assert (data.plan.first_patient_in, data.plan.last_patient_in, data.plan.target) == (
        dt.date(2026, 1, 5),
        dt.date(2026, 12, 31),
        120,
    )
    study_page = client.get(reverse("study_detail", kwargs={"study_id": tenant.study.pk}))
    assert 'value="2026-12-31"' in study_page.content.decode()  # the form shows the plan

    # Moving the LPI: one more event on the milestone, the FPI untouched.
    moved = _edit(
        client, tenant.study, planned_fpi_date="2026-01-05", planned_lpi_date="2027-03-31"
    )
    assert moved.status_code == 302
    lpi.refresh_from_db()
    assert lpi.planned_date == dt.date(2027, 3, 31)
    assert Events.objects.tracks(lpi).count() == 2
    assert Events.objects.tracks(fpi).count() == 1


def test_a_plan_ending_before_it_starts_is_refused_and_nothing_changes(client, tenant):
    client.force_login(tenant.pm)
    response = _edit(
        client, tenant.study, planned_fpi_date="2026-06-01", planned_lpi_date="2026-05-01"
    )
    assert response.status_code == 400
    assert "The last patient comes in after the first one." in response.content.decode()
    assert not Milestone.objects.filter(study=tenant.study).exists()
    tenant.study.refresh_from_db()
    assert tenant.study.planned_subjects == 100  # the rest of the edit was not saved either


def _grow(tenant, sites: int, start: int) -> None:
    """``sites`` more enrolling study-sites of the tenant's study, each with enrolled and
    screen-failed subjects, open and closed queries, two monitoring visits and earnings."""
    now = timezone.now()
    for index in range(start, start + sites):
        study_site = StudySiteFactory(
            study=tenant.study, site_number=f"2{index:02d}", status=StudySiteStatus.ENROLLING
        )
        MilestoneFactory(
            study=tenant.study,
            study_site=study_site,
            kind=MilestoneKind.SIV,
            actual_date=dt.date(2025, 11, 1),
        )
        subjects = [
            _enrolled(study_site, dt.date(2026, 1 + n % 3, 3 + n), race="black") for n in range(3)
        ]
        SubjectFactory(study_site=study_site, status=SubjectStatus.SCREEN_FAILED)
        for n, subject in enumerate(subjects):
            DataQueryFactory(
                subject=subject, raised_by=tenant.cra, raised_at=now - dt.timedelta(days=n * 9)
            )
        DataQueryFactory(
            subject=subjects[0],
            raised_by=tenant.cra,
            status=DataQueryStatus.CLOSED,
            resolved_at=now,
        )
        for day in (5, 20):
            MonitoringVisitFactory(
                study_site=study_site,
                cra=tenant.cra,
                status=VisitStatus.COMPLETED,
                actual_date=dt.date(2026, 2, day),
            )
        version = budget_for(study_site, created_by=tenant.finance)
        for days_ago in (5, 50, 120):
            EarningFactory(
                study_site=study_site,
                budget_version=version,
                event_date=TODAY - dt.timedelta(days=days_ago),
            )


@time_machine.travel(NOON, tick=False)
def test_constant_queries_whatever_the_number_of_sites(client, tenant, without_checklists):
    _plan(tenant.study)
    tenant.study.diversity_goals = {"race:black": 20}
    tenant.study.save(update_fields=["diversity_goals"])
    page = reverse("study_overview", kwargs={"study_id": tenant.study.pk})
    api = f"/api/v1/studies/{tenant.study.pk}/overview/"
    counts = []
    for sites, start in ((4, 0), (4, 4)):  # then doubled
        _grow(tenant, sites, start)
        for user in (tenant.pm, tenant.sponsor_viewer):
            client.force_login(user)
            for url in (page, api):
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                assert response.status_code == 200
                counts.append((user.pk, url, len(queries)))
    small, doubled = counts[: len(counts) // 2], counts[len(counts) // 2 :]
    assert small == doubled
    assert max(n for _, _, n in doubled) <= 30
    body = client.get(api).json()
    assert len(body["sites"]) == 9  # the tenant's own site and the eight added
    assert body["query_aging"]["open"] == 24
    assert body["enrollment"]["enrolled"] == 24


def test_another_study_of_the_same_sponsor_is_not_mixed_in(tenant):
    other = StudyFactory(cro=tenant.cro, sponsor=tenant.sponsor, protocol_number="ALPHA-002")
    _enrolled(StudySiteFactory(study=other, status=StudySiteStatus.ENROLLING), TODAY)
    data = overview.study_overview(actor=tenant.sponsor_viewer, study=tenant.study, today=TODAY)
    assert data.enrolled == 0
    assert [row.site_number for row in data.sites] == ["101"]
