"""A closed study-site is read-only: its visits and action items can be read but not changed."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.exceptions import RecordLocked
from monitoring import services
from monitoring.models import ActionItem, ActionItemStatus, MonitoringVisit, VisitStatus
from tests.api.errors import error_of
from tests.factories.monitoring import plan
from trials.models import StudySiteStatus

pytestmark = pytest.mark.django_db


def test_closed_site_refuses_monitoring_writes_and_changes_nothing(tenant):
    visit = plan(tenant)
    item = services.action_item_raise(
        actor=tenant.cra,
        study_site=tenant.study_site,
        description="File the signed delegation log",
        category="isf",
        owner="site",
        due_date=timezone.localdate() + dt.timedelta(days=7),
    )
    tenant.study_site.status = StudySiteStatus.CLOSED
    tenant.study_site.save(update_fields=["status"])

    with pytest.raises(RecordLocked):
        plan(tenant)
    with pytest.raises(RecordLocked):
        services.visit_cancel(actor=tenant.cra, visit=visit, reason="No longer needed")
    with pytest.raises(RecordLocked):
        services.action_item_resolve(actor=tenant.coordinator, action_item=item, note="Done")
    assert MonitoringVisit.objects.count() == 1
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN

    client = APIClient()
    client.force_authenticate(tenant.coordinator)
    assert client.get(f"/api/v1/monitoring-visits/{visit.pk}/").status_code == 200
    response = client.post(f"/api/v1/monitoring-visits/{visit.pk}/confirm/")
    assert response.status_code == 409
    assert error_of(response)["code"] == "read_only"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED
    assert ActionItem.objects.get().status == ActionItemStatus.OPEN
