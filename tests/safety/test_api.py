import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from safety.models import AdverseEvent, AdverseEventStatus
from tests.api.errors import error_of
from tests.factories import SubjectFactory
from tests.factories.safety import AdverseEventFactory, SeriousAdverseEventFactory
from tests.safety.conftest import NOW

pytestmark = pytest.mark.django_db
LIST_URL = reverse("api_adverse_event-list")


def url(name: str, ae) -> str:
    return reverse(f"api_adverse_event-{name}", kwargs={"adverse_event_id": ae.pk})


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def payload(tenant, **overrides) -> dict:
    data = {
        "subject": tenant.subject.pk,
        "term": "Myocardial infarction",
        "onset_date": "2026-03-09",
        "severity": "severe",
        "seriousness_criteria": ["life_threatening", "hospitalization"],
        "relatedness": "possible",
        "outcome": "recovering",
        "awareness_at": "2026-03-10T07:00:00Z",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("extra", [2, 20])
def test_list_query_count_is_constant(
    api, tenant, safety_user, extra, django_assert_max_num_queries
):
    for _ in range(extra):
        subject = SubjectFactory(study_site=tenant.study_site)
        SeriousAdverseEventFactory(subject=subject, recorded_by=tenant.coordinator)
        AdverseEventFactory(subject=subject, recorded_by=tenant.coordinator)
    for user in (tenant.coordinator, safety_user):
        api.force_login(user)
        with django_assert_max_num_queries(6):
            response = api.get(LIST_URL, {"serious": "true", "ordering": "-onset_date"})
        assert response.status_code == 200
        assert response.json()["count"] == extra


@time_machine.travel(NOW, tick=False)
def test_site_creates_and_submits_safety_acknowledges(api, tenant, safety_user):
    api.force_login(tenant.coordinator)
    response = api.post(LIST_URL, payload(tenant), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["kind"] == "SAE"
    assert body["due_at"] == "2026-03-11T07:00:00Z"
    assert body["clock"] == {
        "state": "running",
        "due_at": "2026-03-11T07:00:00Z",
        "seconds": 19 * 3600,
        "label": "19 h 00 min left",
    }
    ae = AdverseEvent.objects.get(pk=body["id"])

    assert api.post(url("acknowledge", ae)).status_code == 403
    submitted = api.post(url("submit", ae))
    assert submitted.status_code == 200
    assert submitted.json()["reported_at"] == "2026-03-10T12:00:00Z"
    assert submitted.json()["is_late"] is False
    assert error_of(api.post(url("submit", ae)))["code"] == "invalid_transition"

    api.force_login(safety_user)
    response = api.post(url("acknowledge", ae))
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledged_by"] == "Alpha Safety Officer"
    assert api.post(url("acknowledge", ae)).status_code == 409


@time_machine.travel(NOW, tick=False)
def test_a_late_submission_is_flagged_in_the_api(api, tenant):
    api.force_login(tenant.coordinator)
    response = api.post(
        LIST_URL, payload(tenant, awareness_at="2026-03-09T06:00:00Z", submit=True), format="json"
    )
    assert response.status_code == 201
    assert response.json()["is_late"] is True
    assert response.json()["clock"]["state"] == "late"
    late = api.get(LIST_URL, {"late": "true"}).json()
    assert [row["id"] for row in late["results"]] == [response.json()["id"]]
    assert api.get(LIST_URL, {"late": "false"}).json()["count"] == 0


@time_machine.travel(NOW, tick=False)
def test_refusals_answer_with_the_error_shape_and_change_nothing(api, tenant, other_tenant):
    api.force_login(tenant.coordinator)
    missing_awareness = api.post(LIST_URL, payload(tenant, awareness_at=None), format="json")
    assert missing_awareness.status_code == 400
    assert "awareness_at" in error_of(missing_awareness)["fields"]
    future = api.post(LIST_URL, payload(tenant, onset_date="2026-03-11"), format="json")
    assert "onset_date" in error_of(future)["fields"]
    theirs = api.post(LIST_URL, payload(tenant, subject=other_tenant.subject.pk), format="json")
    assert error_of(theirs)["fields"] == {"subject": ["Unknown subject."]}
    api.force_login(tenant.cra)
    assert api.post(LIST_URL, payload(tenant), format="json").status_code == 403
    api.force_login(tenant.sponsor_viewer)
    assert api.post(LIST_URL, payload(tenant), format="json").status_code == 403
    assert AdverseEvent.objects.count() == 0


def test_follow_ups_and_corrections(api, tenant, other_tenant):
    sae = SeriousAdverseEventFactory(
        subject=tenant.subject,
        recorded_by=tenant.coordinator,
        status=AdverseEventStatus.REPORTED,
        reported_at=dt.datetime(2026, 2, 2, 12, 0, tzinfo=dt.UTC),
        reported_by=tenant.coordinator,
    )
    api.force_login(tenant.coordinator)
    response = api.post(
        url("follow-ups", sae),
        {"awareness_at": "2026-02-05T10:00:00Z", "outcome": "recovered", "submit": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["initial"] == sae.pk
    assert response.json()["follow_up_number"] == 1
    assert response.json()["reference"] == f"AE-{sae.pk} FU1"
    listed = api.get(url("follow-ups", sae)).json()
    assert [row["follow_up_number"] for row in listed] == [1]
    assert AdverseEvent.objects.get(pk=sae.pk).outcome == "recovering"

    no_reason = api.patch(url("detail", sae), {"term": "Sepsis"}, format="json")
    assert "reason" in error_of(no_reason)["fields"]
    submitted = api.patch(url("detail", sae), {"term": "Sepsis", "reason": "x"}, format="json")
    assert submitted.status_code == 409
    recorded = AdverseEventFactory(subject=tenant.subject, recorded_by=tenant.coordinator)
    fixed = api.patch(url("detail", recorded), {"severity": "moderate", "reason": "re-graded"})
    assert fixed.status_code == 200 and fixed.json()["severity"] == "moderate"

    api.force_login(other_tenant.coordinator)
    assert api.get(url("detail", sae)).status_code == 404
    assert api.get(url("follow-ups", sae)).status_code == 404
