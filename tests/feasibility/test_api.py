import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import SiteOrganizationFactory
from tests.factories.feasibility import standard_question
from tests.feasibility.conftest import items_by_key
from trials.models import StudySite

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_full_flow_over_the_api(api, tenant, candidate):
    api.force_authenticate(tenant.pm)
    response = api.post(
        "/api/v1/feasibility-questionnaires/",
        {"study": tenant.study.pk, "title": "API round"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    qid = response.json()["id"]
    response = api.post(
        f"/api/v1/feasibility-questionnaires/{qid}/items/",
        {
            "question": standard_question("irb-type").pk,
            "weight": 10,
            "rule": {"points": {"Local": 100, "Both": 60}},
        },
        format="json",
    )
    assert response.status_code == 201 and len(response.json()["items"]) == 1
    item_id = response.json()["items"][0]["id"]
    bad_rule = api.post(
        f"/api/v1/feasibility-questionnaires/{qid}/items/",
        {
            "question": standard_question("freezer-minus-80").pk,
            "weight": 5,
            "rule": {"expect": "maybe"},
        },
        format="json",
    )
    assert bad_rule.status_code == 400 and "rule" in bad_rule.json()["error"]["fields"]
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = api.post(
        f"/api/v1/feasibility-questionnaires/{qid}/send/",
        {"sites": [candidate["site"].pk], "due_date": due},
        format="json",
    )
    assert response.status_code == 201
    rid = response.json()[0]["id"]

    api.force_authenticate(candidate["coordinator"])
    detail = api.get(f"/api/v1/feasibility-requests/{rid}/").json()
    assert "cro_notes" not in detail
    response = api.post(
        f"/api/v1/feasibility-requests/{rid}/submit/",
        {"answers": {str(item_id): "Both"}},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert (
        api.post(f"/api/v1/feasibility-requests/{rid}/submit/", {}, format="json").status_code
        == 409
    )
    assert api.post(f"/api/v1/feasibility-requests/{rid}/shortlist/").status_code == 403

    api.force_authenticate(tenant.pm)
    detail = api.get(f"/api/v1/feasibility-requests/{rid}/").json()
    assert detail["score_points"] == "6.00" and detail["answers"][0]["points"] == "6.00"
    response = api.post(
        f"/api/v1/feasibility-requests/{rid}/select/", {"site_number": "303"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "selected"
    assert StudySite.objects.get(site=candidate["site"], study=tenant.study).status == "selected"


def test_site_sees_prefill_offers_in_the_api(api, tenant, questionnaire, candidate, sent):
    api.force_authenticate(candidate["coordinator"])
    answers = api.get(f"/api/v1/feasibility-requests/{sent.pk}/").json()["answers"]
    by_key = {a["key"]: a for a in answers}
    assert by_key["investigational-pharmacy"]["prefill"]["source"] == "profile"
    assert by_key["irb-type"]["prefill"] is None
    keys = items_by_key(questionnaire)
    response = api.post(
        f"/api/v1/feasibility-requests/{sent.pk}/answers/",
        {"answers": {str(keys["patients-seen-per-year"]): "many"}},
        format="json",
    )
    assert response.status_code == 400
    assert f"item_{keys['patients-seen-per-year']}" in response.json()["error"]["fields"]


def test_decline_over_the_api(api, tenant, questionnaire, candidate, sent):
    api.force_authenticate(tenant.pm)
    assert (
        api.post(f"/api/v1/feasibility-requests/{sent.pk}/decline/", {}, format="json").status_code
        == 400
    )
    response = api.post(
        f"/api/v1/feasibility-requests/{sent.pk}/decline/",
        {"reason": "No time to wait"},
        format="json",
    )
    assert response.json()["status"] == "declined"


def test_api_tenancy(api, tenant, other_tenant, questionnaire, candidate, sent):
    for outsider in (
        other_tenant.pm,
        other_tenant.coordinator,
        tenant.coordinator,
        tenant.sponsor_viewer,
    ):
        api.force_authenticate(outsider)
        assert api.get(f"/api/v1/feasibility-requests/{sent.pk}/").status_code == 404
        assert api.get(f"/api/v1/feasibility-questionnaires/{questionnaire.pk}/").status_code == 404
        listed = api.get("/api/v1/feasibility-requests/").json()["results"]
        assert sent.pk not in [r["id"] for r in listed]
    api.force_authenticate(other_tenant.pm)
    response = api.post(
        "/api/v1/feasibility-questionnaires/",
        {"study": tenant.study.pk, "title": "Sneaky"},
        format="json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize("extra", [1, 20])
def test_api_lists_run_a_constant_number_of_queries(
    api, tenant, questionnaire, candidate, sent, extra, django_assert_max_num_queries
):
    from feasibility import services

    services.questionnaire_send(
        actor=tenant.pm,
        questionnaire=questionnaire,
        sites=[SiteOrganizationFactory() for _ in range(extra)],
        due_date=timezone.localdate() + dt.timedelta(days=9),
    )
    for number in range(extra):
        services.questionnaire_create(actor=tenant.pm, study=tenant.study, title=f"More {number}")
    api.force_authenticate(tenant.pm)
    for url in (
        "/api/v1/feasibility-requests/",
        "/api/v1/feasibility-questionnaires/",
        "/api/v1/feasibility-questions/",
    ):
        with django_assert_max_num_queries(8):
            response = api.get(url)
        assert response.status_code == 200
