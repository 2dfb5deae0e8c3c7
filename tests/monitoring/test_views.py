import datetime as dt

import pytest
from django.utils import timezone

from core.models import Signature
from monitoring import services
from monitoring.models import ActionItem, CalendarFeed, MonitoringVisit, VisitReport, VisitStatus
from tests.factories import PASSWORD, CRAAssignmentFactory, StudySiteFactory
from tests.factories.monitoring import FILLED_SECTIONS, plan, visit_at

pytestmark = pytest.mark.django_db


def _grow(tenant, n: int) -> None:
    for i in range(n):
        study_site = StudySiteFactory(study=tenant.study)
        CRAAssignmentFactory(study_site=study_site, cra=tenant.cra)
        visit = services.visit_plan(
            actor=tenant.cra,
            study_site=study_site,
            visit_type="imv",
            mode="remote",
            planned_at=timezone.now() + dt.timedelta(days=2 + i),
        )
        services.action_item_raise(
            actor=tenant.cra,
            study_site=study_site,
            visit=visit,
            description=f"Item {i}",
            category="isf",
            owner="site",
            due_date=timezone.localdate() + dt.timedelta(days=i),
        )


@pytest.mark.parametrize("extra", [2, 20])
def test_list_pages_run_a_constant_number_of_queries(
    client, tenant, extra, django_assert_max_num_queries
):
    _grow(tenant, extra)
    for user in (tenant.cra, tenant.coordinator, tenant.pm):
        client.force_login(user)
        with django_assert_max_num_queries(14):
            response = client.get("/monitoring/visits/?sort=date")
        assert response.status_code == 200
        with django_assert_max_num_queries(14):
            response = client.get("/monitoring/action-items/")
        assert response.status_code == 200
        assert ("Item 1" in response.content.decode()) == (user != tenant.coordinator)


def test_dashboard_panels_run_a_constant_number_of_queries(client, tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts() -> dict:
        result = {}
        for user in (tenant.cra, tenant.coordinator, tenant.pm):
            client.force_login(user)
            with CaptureQueriesContext(connection) as captured:
                response = client.get("/")
            assert response.status_code == 200
            result[user.full_name] = (len(captured), response.content.decode())
        return result

    visit_at(tenant, VisitStatus.SUBMITTED)
    _grow(tenant, 2)
    small = counts()
    _grow(tenant, 20)
    large = counts()
    assert {k: v[0] for k, v in small.items()} == {k: v[0] for k, v in large.items()}
    assert "Reports awaiting my approval" in large[tenant.pm.full_name][1]
    assert "My monitoring" in large[tenant.cra.full_name][1]
    assert "Visits to confirm" in large[tenant.coordinator.full_name][1]


def test_visit_list_filters(client, tenant):
    visit_at(tenant, VisitStatus.CONFIRMED)
    plan(tenant, visit_type="cov")
    client.force_login(tenant.cra)
    rows = client.get("/monitoring/visits/?visit_type=cov").content.decode().split("<tbody>")[1]
    assert "Close-out (COV)" in rows
    assert "Interim monitoring (IMV)" not in rows
    rows = client.get("/monitoring/visits/?status=confirmed").content.decode().split("<tbody>")[1]
    assert "Interim monitoring (IMV)" in rows and "Close-out (COV)" not in rows


def test_cra_plans_a_visit_in_the_browser_form(client, tenant):
    client.force_login(tenant.cra)
    when = (timezone.now() + dt.timedelta(days=9)).strftime("%Y-%m-%dT10:00")
    response = client.post(
        "/monitoring/visits/new/",
        {
            "study_site": tenant.study_site.pk,
            "visit_type": "imv",
            "mode": "on_site",
            "planned_at": when,
            "duration_minutes": 240,
            "agenda": "SDV",
        },
    )
    visit = MonitoringVisit.objects.get()
    assert response.status_code == 302 and response.url == visit.get_absolute_url()


def test_plan_form_keeps_input_and_shows_errors(client, tenant):
    client.force_login(tenant.cra)
    response = client.post(
        "/monitoring/visits/new/",
        {
            "study_site": tenant.study_site.pk,
            "visit_type": "imv",
            "mode": "on_site",
            "planned_at": "2001-01-01T10:00",
            "duration_minutes": 240,
            "agenda": "Keep me",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose a date and time from now on." in body and "Keep me" in body
    assert not MonitoringVisit.objects.exists()


def test_coordinator_cannot_open_the_plan_page(client, tenant):
    client.force_login(tenant.coordinator)
    assert client.get("/monitoring/visits/new/").status_code == 403


def test_site_sees_confirm_button_and_confirms(client, tenant):
    visit = plan(tenant)
    client.force_login(tenant.coordinator)
    body = client.get(visit.get_absolute_url()).content.decode()
    assert "Confirm this date" in body
    assert "Visit report" not in body
    response = client.post(f"/monitoring/visits/{visit.pk}/confirm/")
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMED
    response = client.post(f"/monitoring/visits/{visit.pk}/confirm/")
    assert response.status_code == 409
    letter = client.get(f"/monitoring/visits/{visit.pk}/confirmation-letter/").content.decode()
    assert "Monitoring visit confirmation" in letter and tenant.coordinator.full_name in letter


def test_section_saves_with_htmx_and_returns_only_the_section(client, tenant):
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    client.force_login(tenant.cra)
    response = client.post(
        f"/monitoring/visits/{visit.pk}/report/section/",
        {"section": "attendees", "attendees-names": "PI and coordinator"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="section-attendees"' in body and "Section saved." in body
    assert "<html" not in body
    assert VisitReport.objects.get().sections["attendees"]["names"] == "PI and coordinator"
    response = client.post(
        f"/monitoring/visits/{visit.pk}/report/section/",
        {"section": "sdv", "sdv-data_points_verified": "9", "sdv-data_points_total": "3"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "Cannot be more than the data points due." in response.content.decode()


def test_submit_with_missing_sections_shows_what_is_missing(client, tenant):
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    services.visit_report_section_save(
        actor=tenant.cra, visit=visit, section="attendees", data={"names": "PI"}
    )
    client.force_login(tenant.cra)
    response = client.post(
        f"/monitoring/visits/{visit.pk}/report/submit/", {"sign-password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Fill in the required sections before submitting" in response.content.decode()
    assert not Signature.objects.exists()


def test_review_page_approve_by_pm_and_letter_acknowledged(client, tenant):
    visit = visit_at(tenant, VisitStatus.SUBMITTED)
    client.force_login(tenant.cra)
    body = client.get(f"/monitoring/visits/{visit.pk}/review/").content.decode()
    assert "Sign and approve" not in body
    assert (
        client.post(
            f"/monitoring/visits/{visit.pk}/review/approve/", {"approve-password": PASSWORD}
        ).status_code
        == 403
    )
    client.force_login(tenant.pm)
    body = client.get(f"/monitoring/visits/{visit.pk}/review/").content.decode()
    assert "Sign and approve" in body and FILLED_SECTIONS["ae_review"]["summary"] in body
    response = client.post(
        f"/monitoring/visits/{visit.pk}/review/approve/", {"approve-password": "nope"}
    )
    assert response.status_code == 400
    response = client.post(
        f"/monitoring/visits/{visit.pk}/review/approve/", {"approve-password": PASSWORD}
    )
    assert response.status_code == 302
    client.force_login(tenant.coordinator)
    assert client.get(f"/monitoring/visits/{visit.pk}/review/").status_code == 403
    body = client.get(f"/monitoring/visits/{visit.pk}/letter/").content.decode()
    assert "Monitoring visit follow-up" in body and "Week 4 visit late" in body
    client.post(f"/monitoring/visits/{visit.pk}/letter/acknowledge/")
    body = client.get(f"/monitoring/visits/{visit.pk}/letter/").content.decode()
    assert "Acknowledged" in body and "Acknowledge letter" not in body


def test_audit_trail_shows_every_report_version(client, tenant):
    visit = visit_at(tenant, VisitStatus.APPROVED)
    services.visit_report_correct(actor=tenant.cra, visit=visit, reason="Typo in SDV")
    client.force_login(tenant.pm)
    body = client.get(f"/monitoring/visits/{visit.pk}/audit/").content.decode()
    assert "Typo in SDV" in body
    assert body.count("Visit report #") >= 2


def test_action_item_pages_resolve_and_close(client, tenant):
    item = services.action_item_raise(
        actor=tenant.cra,
        study_site=tenant.study_site,
        description="Archive the old ICF",
        category="consent",
        owner="site",
        due_date=timezone.localdate(),
    )
    client.force_login(tenant.coordinator)
    response = client.post(f"/monitoring/action-items/{item.pk}/resolve/", {"resolve-note": ""})
    assert response.status_code == 400
    client.post(f"/monitoring/action-items/{item.pk}/resolve/", {"resolve-note": "Archived"})
    assert client.post(f"/monitoring/action-items/{item.pk}/close/").status_code == 403
    client.force_login(tenant.cra)
    client.post(f"/monitoring/action-items/{item.pk}/close/")
    item.refresh_from_db()
    assert item.status == "closed"
    assert client.post(f"/monitoring/action-items/{item.pk}/close/").status_code == 409


def test_site_sees_action_items_across_cros(client, tenant, other_tenant):
    from tests.factories import StudyFactory

    study = StudyFactory(cro=other_tenant.cro, sponsor=other_tenant.sponsor)
    study_site = StudySiteFactory(study=study, site=tenant.site)
    CRAAssignmentFactory(study_site=study_site, cra=other_tenant.cra)
    services.action_item_raise(
        actor=other_tenant.cra,
        study_site=study_site,
        description="Beta CRO item for Alpha Clinic",
        category="isf",
        owner="site",
        due_date=timezone.localdate(),
    )
    services.action_item_raise(
        actor=tenant.cra,
        study_site=tenant.study_site,
        description="Alpha CRO item",
        category="isf",
        owner="site",
        due_date=timezone.localdate(),
    )
    client.force_login(tenant.coordinator)
    body = client.get("/monitoring/action-items/").content.decode()
    assert "Beta CRO item for Alpha Clinic" in body and "Alpha CRO item" in body
    client.force_login(tenant.cra)
    body = client.get("/monitoring/action-items/").content.decode()
    assert "Beta CRO item" not in body
    assert ActionItem.objects.count() == 2


def test_calendar_feed_shows_only_visible_visits_and_can_be_revoked(client, tenant, other_tenant):
    mine = plan(tenant)
    theirs = plan(other_tenant)
    client.force_login(tenant.cra)
    client.post("/monitoring/calendar/new/")
    feed = CalendarFeed.objects.get(user=tenant.cra, revoked_at__isnull=True)
    page = client.get("/monitoring/calendar/").content.decode()
    assert feed.token in page
    client.logout()
    response = client.get(f"/monitoring/calendar/{feed.token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert f"monitoring-visit-{mine.pk}@" in body
    assert f"monitoring-visit-{theirs.pk}@" not in body
    assert "BEGIN:VCALENDAR" in body and tenant.study.protocol_number in body
    # replacing the address revokes the old one
    client.force_login(tenant.cra)
    client.post("/monitoring/calendar/new/")
    client.logout()
    assert client.get(f"/monitoring/calendar/{feed.token}.ics").status_code == 404
    new = CalendarFeed.objects.get(user=tenant.cra, revoked_at__isnull=True)
    assert client.get(f"/monitoring/calendar/{new.token}.ics").status_code == 200
    client.force_login(tenant.cra)
    client.post("/monitoring/calendar/revoke/")
    client.logout()
    assert client.get(f"/monitoring/calendar/{new.token}.ics").status_code == 404
    assert client.get("/monitoring/calendar/not-a-token.ics").status_code == 404


def test_calendar_feed_follows_current_access(client, tenant):
    from trials.models import CRAAssignment

    visit = plan(tenant)
    feed = services.calendar_feed_create(actor=tenant.coordinator)
    assert (
        f"monitoring-visit-{visit.pk}@"
        in client.get(f"/monitoring/calendar/{feed.token}.ics").content.decode()
    )
    tenant.coordinator.memberships.update(is_active=False)
    body = client.get(f"/monitoring/calendar/{feed.token}.ics").content.decode()
    assert f"monitoring-visit-{visit.pk}@" not in body
    assert CRAAssignment.objects.exists()
