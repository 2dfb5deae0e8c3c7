import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from monitoring.models import FollowUpLetter, MonitoringVisit, VisitStatus
from tests.api.errors import error_of
from tests.factories import PASSWORD, CRAAssignmentFactory, StudySiteFactory
from tests.factories.monitoring import FILLED_SECTIONS, plan, visit_at

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_full_workflow_through_the_api(tenant):
    cra, site, pm = api(tenant.cra), api(tenant.coordinator), api(tenant.pm)
    planned_at = (timezone.now() + dt.timedelta(days=5)).isoformat()
    response = cra.post(
        "/api/v1/monitoring-visits/",
        {"study_site": tenant.study_site.pk, "visit_type": "imv", "planned_at": planned_at},
    )
    assert response.status_code == 201, response.json()
    visit_id = response.json()["id"]
    base = f"/api/v1/monitoring-visits/{visit_id}"
    assert site.post(f"{base}/confirm/").json()["status"] == "confirmed"
    response = site.post(f"{base}/confirm/")
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = cra.post(f"{base}/complete/", {"actual_date": future})
    assert response.status_code == 400 and "actual_date" in error_of(response)["fields"]
    response = cra.post(f"{base}/complete/", {"actual_date": timezone.localdate().isoformat()})
    assert response.json()["status"] == "completed"
    assert response.json()["report_due_date"]
    for key, values in FILLED_SECTIONS.items():
        response = cra.patch(f"{base}/report/", {"section": key, "values": values}, format="json")
        assert response.status_code == 200, response.json()
    assert response.json()["missing_sections"] == {}
    response = cra.post(
        f"{base}/report/findings/", {"category": "deviation", "description": "Late"}
    )
    assert response.status_code == 201
    assert site.get(f"{base}/report/").status_code == 403
    response = cra.post(f"{base}/submit/", {"password": PASSWORD})
    assert response.json()["status"] == "submitted"
    response = cra.post(f"{base}/approve/", {"password": PASSWORD})
    assert response.status_code == 403
    response = pm.post(f"{base}/return/", {"comments": "Add SDV ids"})
    assert response.json()["status"] == "returned"
    cra.post(f"{base}/submit/", {"password": PASSWORD})
    response = pm.post(f"{base}/approve/", {"password": PASSWORD})
    assert response.json()["status"] == "approved"
    response = cra.patch(
        f"{base}/report/", {"section": "attendees", "values": {"names": "x"}}, format="json"
    )
    assert response.status_code == 409
    assert site.post(f"{base}/acknowledge-letter/").status_code == 200
    assert FollowUpLetter.objects.get(visit_id=visit_id).status == "acknowledged"
    report = cra.get(f"{base}/report/").json()
    assert report["status"] == "approved" and report["findings"][0]["description"] == "Late"


def test_sponsor_viewer_reads_but_never_writes(tenant):
    visit = plan(tenant)
    viewer = api(tenant.sponsor_viewer)
    assert viewer.get(f"/api/v1/monitoring-visits/{visit.pk}/").status_code == 200
    assert viewer.post(f"/api/v1/monitoring-visits/{visit.pk}/confirm/").status_code == 403
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_coordinator_cannot_plan_and_other_tenant_gets_404(tenant, other_tenant):
    response = api(tenant.coordinator).post(
        "/api/v1/monitoring-visits/",
        {
            "study_site": tenant.study_site.pk,
            "visit_type": "imv",
            "planned_at": (timezone.now() + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 403
    visit = plan(tenant)
    outsider = api(other_tenant.coordinator)
    assert outsider.get(f"/api/v1/monitoring-visits/{visit.pk}/").status_code == 404
    assert outsider.post(f"/api/v1/monitoring-visits/{visit.pk}/confirm/").status_code == 404
    response = api(other_tenant.cra).post(
        "/api/v1/monitoring-visits/",
        {
            "study_site": tenant.study_site.pk,
            "visit_type": "imv",
            "planned_at": (timezone.now() + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 400 and "study_site" in error_of(response)["fields"]
    assert MonitoringVisit.objects.count() == 1


def test_action_items_api(tenant):
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    cra, site = api(tenant.cra), api(tenant.coordinator)
    response = cra.post(
        "/api/v1/action-items/",
        {
            "visit": visit.pk,
            "description": "File the monitoring log",
            "category": "isf",
            "owner": "site",
            "due_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 201, response.json()
    item_id = response.json()["id"]
    assert response.json()["study_site"]["id"] == tenant.study_site.pk
    assert site.post(f"/api/v1/action-items/{item_id}/close/").status_code == 403
    assert (
        site.post(f"/api/v1/action-items/{item_id}/resolve/", {"note": "Filed"}).json()["status"]
        == "resolved"
    )
    assert cra.post(f"/api/v1/action-items/{item_id}/close/").json()["status"] == "closed"
    assert cra.post(f"/api/v1/action-items/{item_id}/close/").status_code == 409
    response = cra.post(f"/api/v1/action-items/{item_id}/reopen/", {"reason": ""})
    assert response.status_code == 400
    assert (
        cra.post(f"/api/v1/action-items/{item_id}/reopen/", {"reason": "Incomplete"}).json()[
            "status"
        ]
        == "open"
    )
    listed = site.get("/api/v1/action-items/?status=open").json()
    assert [i["id"] for i in listed["results"]] == [item_id]


@pytest.mark.parametrize("extra", [2, 20])
def test_api_lists_query_budget(tenant, extra, django_assert_max_num_queries):
    for i in range(extra):
        study_site = StudySiteFactory(study=tenant.study)
        CRAAssignmentFactory(study_site=study_site, cra=tenant.cra)
        from monitoring import services

        visit = services.visit_plan(
            actor=tenant.cra,
            study_site=study_site,
            visit_type="imv",
            mode="on_site",
            planned_at=timezone.now() + dt.timedelta(days=3 + i),
        )
        services.action_item_raise(
            actor=tenant.cra,
            study_site=study_site,
            visit=visit,
            description=f"Item {i}",
            category="isf",
            owner="cra",
            due_date=timezone.localdate(),
        )
    client = api(tenant.cra)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/monitoring-visits/?sort=date")
    assert response.json()["count"] == extra
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/action-items/")
    assert response.json()["count"] == extra
