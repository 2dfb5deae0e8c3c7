"""Per-study report due days: a page and an API for project managers and study leads."""

import pytest
from rest_framework.test import APIClient

from monitoring.models import MonitoringSettings
from monitoring.services import report_due_days
from tests.api.errors import error_of
from tests.factories import StudyFactory, StudyTeamMemberFactory
from trials.models import TeamRole

pytestmark = pytest.mark.django_db


def _post(client, tenant, **data):
    prefix = f"s{tenant.study.pk}"
    return client.post(
        f"/monitoring/settings/{tenant.study.pk}/",
        {f"{prefix}-{key}": value for key, value in data.items()},
    )


def test_pm_changes_the_due_days_with_a_reason(client, tenant):
    client.force_login(tenant.pm)
    visits = client.get("/monitoring/visits/").content.decode()
    assert 'href="/monitoring/settings/"' in visits
    page = client.get("/monitoring/settings/")
    assert page.status_code == 200
    assert tenant.study.protocol_number in page.content.decode()
    assert "currently <strong>10 days</strong>" in page.content.decode()

    response = _post(client, tenant, report_due_days=14, reason="Sponsor asked for two weeks")
    assert response.status_code == 302 and response["Location"] == "/monitoring/settings/"
    assert report_due_days(tenant.study.pk) == 14
    event = MonitoringSettings.pgh_event_model.objects.filter(pgh_obj__study=tenant.study).last()
    assert event.pgh_context.metadata["reason"] == "Sponsor asked for two weeks"
    assert (
        "currently <strong>14 days</strong>" in client.get("/monitoring/settings/").content.decode()
    )


def test_bad_input_keeps_the_entry_and_changes_nothing(client, tenant):
    client.force_login(tenant.pm)
    response = _post(client, tenant, report_due_days=14, reason="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and 'value="14"' in html
    response = _post(client, tenant, report_due_days=120, reason="Longer")
    assert response.status_code == 400
    assert "less than or equal to 90" in response.content.decode()
    assert not MonitoringSettings.objects.exists()


def test_only_pm_or_lead_may_change(client, tenant, other_tenant):
    client.force_login(tenant.cra)
    assert 'href="/monitoring/settings/"' not in client.get("/monitoring/visits/").content.decode()
    assert client.get("/monitoring/settings/").status_code == 403
    assert _post(client, tenant, report_due_days=3, reason="Faster").status_code == 403
    client.force_login(tenant.coordinator)
    assert _post(client, tenant, report_due_days=3, reason="Faster").status_code == 403
    client.force_login(other_tenant.pm)
    assert _post(client, tenant, report_due_days=3, reason="Faster").status_code == 404
    assert not MonitoringSettings.objects.exists()

    StudyTeamMemberFactory(study=tenant.study, user=tenant.cra, role=TeamRole.LEAD)
    client.force_login(tenant.cra)
    assert _post(client, tenant, report_due_days=3, reason="Faster").status_code == 302
    assert report_due_days(tenant.study.pk) == 3


@pytest.mark.parametrize("extra", [0, 5])
def test_settings_page_query_budget(client, tenant, extra, django_assert_max_num_queries):
    StudyFactory.create_batch(extra, cro=tenant.cro)
    client.force_login(tenant.pm)
    with django_assert_max_num_queries(12):
        response = client.get("/monitoring/settings/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 1 + extra


def test_settings_api(tenant, other_tenant):
    api = APIClient()
    api.force_authenticate(tenant.pm)
    listed = api.get("/api/v1/monitoring-settings/").json()["results"]
    assert listed == [
        {
            "study": tenant.study.pk,
            "protocol_number": tenant.study.protocol_number,
            "report_due_days": 10,
            "can_edit": True,
        }
    ]
    url = f"/api/v1/monitoring-settings/{tenant.study.pk}/"
    response = api.patch(url, {"report_due_days": 7}, format="json")
    assert response.status_code == 400 and "reason" in error_of(response)["fields"]
    response = api.patch(url, {"report_due_days": 7, "reason": "Faster review"}, format="json")
    assert response.status_code == 200 and response.json()["report_due_days"] == 7

    api.force_authenticate(tenant.cra)
    assert api.get(url).json() == {**response.json(), "can_edit": False}
    response = api.patch(url, {"report_due_days": 2, "reason": "Mine"}, format="json")
    assert response.status_code == 403
    api.force_authenticate(tenant.sponsor_viewer)
    assert api.patch(url, {"report_due_days": 2, "reason": "x"}, format="json").status_code == 403
    api.force_authenticate(other_tenant.pm)
    assert api.get(url).status_code == 404
    assert api.patch(url, {"report_due_days": 2, "reason": "x"}, format="json").status_code == 404
    assert report_due_days(tenant.study.pk) == 7
