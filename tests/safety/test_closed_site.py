"""A closed study-site is read-only: its adverse events can be read but not changed."""

import pytest
import time_machine
from rest_framework.test import APIClient

from core.exceptions import RecordLocked
from safety import services
from safety.models import AdverseEvent, AdverseEventStatus
from tests.api.errors import error_of
from tests.safety.conftest import NOW, event_fields
from trials.models import StudySiteStatus

pytestmark = pytest.mark.django_db


@time_machine.travel(NOW, tick=False)
def test_closed_site_refuses_adverse_event_writes_and_changes_nothing(tenant, safety_user):
    sae = services.adverse_event_report(
        actor=tenant.coordinator, subject=tenant.subject, submit=True, **event_fields()
    )
    draft = services.adverse_event_report(
        actor=tenant.coordinator, subject=tenant.subject, **event_fields(term="Fracture")
    )
    tenant.study_site.status = StudySiteStatus.CLOSED
    tenant.study_site.save(update_fields=["status"])

    with pytest.raises(RecordLocked):
        services.adverse_event_report(
            actor=tenant.coordinator, subject=tenant.subject, **event_fields(term="Sepsis")
        )
    with pytest.raises(RecordLocked):
        services.adverse_event_submit(actor=tenant.coordinator, adverse_event=draft)
    with pytest.raises(RecordLocked):
        services.adverse_event_correct(
            actor=tenant.coordinator, adverse_event=draft, reason="Typo", term="Fall"
        )
    with pytest.raises(RecordLocked):
        services.adverse_event_follow_up(
            actor=tenant.coordinator, adverse_event=sae, awareness_at=NOW, outcome="recovered"
        )
    assert AdverseEvent.objects.count() == 2
    draft.refresh_from_db()
    assert (draft.status, draft.term) == (AdverseEventStatus.DRAFT, "Fracture")

    client = APIClient()
    client.force_authenticate(safety_user)
    assert client.get(f"/api/v1/adverse-events/{sae.pk}/").status_code == 200
    response = client.post(f"/api/v1/adverse-events/{sae.pk}/acknowledge/")
    assert response.status_code == 409
    assert error_of(response)["code"] == "read_only"
    sae.refresh_from_db()
    assert sae.status == AdverseEventStatus.REPORTED and sae.acknowledged_at is None
