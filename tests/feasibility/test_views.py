import datetime as dt

import pytest
from django.utils import timezone

from feasibility import services
from feasibility.models import RequestStatus
from tests.factories import SiteOrganizationFactory
from tests.factories.feasibility import standard_question
from tests.feasibility.conftest import items_by_key
from trials.models import StudySite

pytestmark = pytest.mark.django_db


def _more_requests(tenant, questionnaire, n):
    services.questionnaire_send(
        actor=tenant.pm,
        questionnaire=questionnaire,
        sites=[SiteOrganizationFactory() for _ in range(n)],
        due_date=timezone.localdate() + dt.timedelta(days=9),
    )


@pytest.mark.parametrize("extra", [1, 20])
def test_list_pages_run_a_constant_number_of_queries(
    client, tenant, questionnaire, candidate, sent, extra, django_assert_max_num_queries
):
    _more_requests(tenant, questionnaire, extra)
    for number in range(extra):
        services.questionnaire_create(actor=tenant.pm, study=tenant.study, title=f"Extra {number}")
    client.force_login(tenant.pm)
    for url in (
        "/feasibility/",
        "/feasibility/requests/",
        "/feasibility/questions/",
        f"/feasibility/questionnaires/{questionnaire.pk}/responses/",
        f"/feasibility/questionnaires/{questionnaire.pk}/",
        "/",
    ):
        with django_assert_max_num_queries(16):
            response = client.get(url)
        assert response.status_code == 200, url
    client.force_login(candidate["coordinator"])
    with django_assert_max_num_queries(12):
        response = client.get("/feasibility/requests/")
    assert "Heart failure feasibility" in response.content.decode()


def test_builder_adds_a_scored_question_with_htmx(client, tenant, questionnaire):
    client.force_login(tenant.pm)
    question = standard_question("research-staff")
    response = client.post(
        f"/feasibility/questionnaires/{questionnaire.pk}/items/",
        {
            "item-question": question.pk,
            "item-weight": 5,
            "item-minimum": "4",
            "item-required": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="builder"' in body and "<html" not in body
    assert question.text in body and "Full points when ≥ 4" in body


def test_builder_shows_rule_errors_next_to_the_form(client, tenant, questionnaire):
    client.force_login(tenant.pm)
    question = standard_question("research-staff")
    response = client.post(
        f"/feasibility/questionnaires/{questionnaire.pk}/items/",
        {"item-question": question.pk, "item-weight": 0, "item-minimum": "4"},
    )
    assert response.status_code == 400
    assert "A scored question needs a weight above 0." in response.content.decode()


def test_send_page_sends_and_lists_the_site(client, tenant, questionnaire, candidate):
    client.force_login(tenant.pm)
    page = client.get(f"/feasibility/questionnaires/{questionnaire.pk}/send/").content.decode()
    assert "Candidate Hospital" in page
    assert tenant.site.name not in page  # already in the study
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    response = client.post(
        f"/feasibility/questionnaires/{questionnaire.pk}/send/",
        {"send-sites": [candidate["site"].pk], "send-due_date": due},
        follow=True,
    )
    assert "Sent to 1 site" in response.content.decode()
    response = client.post(
        f"/feasibility/questionnaires/{questionnaire.pk}/send/",
        {"send-sites": [], "send-due_date": "2001-01-01"},
    )
    assert response.status_code == 400


def test_coordinator_sees_prefill_markers_saves_a_draft_and_submits(
    client, tenant, questionnaire, candidate, sent
):
    client.force_login(candidate["coordinator"])
    page = client.get(f"/feasibility/requests/{sent.pk}/").content.decode()
    assert "pre-filled from your site profile" in page
    assert "filled in for you" in page
    keys = items_by_key(questionnaire)
    data = {
        f"item_{keys['investigational-pharmacy']}": "yes",
        f"item_{keys['freezer-minus-80']}": "no",
        f"item_{keys['patients-seen-per-year']}": "12000",
        f"item_{keys['irb-type']}": "",
        "action": "submit",
    }
    response = client.post(f"/feasibility/requests/{sent.pk}/answers/", data)
    assert response.status_code == 400
    assert "Answer this question before submitting." in response.content.decode()
    assert 'value="12000"' in response.content.decode()  # input kept
    data[f"item_{keys['irb-type']}"] = "Local"
    response = client.post(f"/feasibility/requests/{sent.pk}/answers/", data, follow=True)
    assert "Submitted" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == RequestStatus.SUBMITTED
    assert sent.answers.get(key="patients-seen-per-year").source == "profile"


def test_pm_reviews_notes_and_selects_with_htmx(client, tenant, questionnaire, candidate, sent):
    keys = items_by_key(questionnaire)
    services.feasibility_request_answer(
        actor=candidate["coordinator"],
        request=sent,
        answers={
            keys["investigational-pharmacy"]: "yes",
            keys["freezer-minus-80"]: "yes",
            keys["patients-seen-per-year"]: "500",
            keys["irb-type"]: "Local",
        },
        submit=True,
    )
    client.force_login(tenant.pm)
    page = client.get(f"/feasibility/questionnaires/{questionnaire.pk}/responses/").content.decode()
    assert "Candidate Hospital" in page and "70 / 100 (70%)" in page
    client.post(f"/feasibility/requests/{sent.pk}/notes/", {"notes-notes": "Strong pharmacy"})
    review = client.get(f"/feasibility/requests/{sent.pk}/").content.decode()
    assert "Strong pharmacy" in review and "0 / 30" in review
    response = client.post(
        f"/feasibility/requests/{sent.pk}/select/",
        {f"r{sent.pk}-select-site_number": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Check the site number." in response.content.decode()
    response = client.post(
        f"/feasibility/requests/{sent.pk}/select/",
        {f"r{sent.pk}-select-site_number": "202"},
        HTTP_HX_REQUEST="true",
    )
    assert "Site 202" in response.content.decode()
    assert StudySite.objects.get(site=candidate["site"]).status == "selected"
    # The site sees the decision but never the CRO's notes or score.
    client.force_login(candidate["coordinator"])
    page = client.get(f"/feasibility/requests/{sent.pk}/").content.decode()
    assert "selected for this study" in page
    assert "Strong pharmacy" not in page and "70 / 100" not in page


def test_site_people_cannot_reach_cro_pages_and_other_sites_get_404(
    client, tenant, other_tenant, questionnaire, candidate, sent
):
    client.force_login(candidate["coordinator"])
    assert client.get(f"/feasibility/questionnaires/{questionnaire.pk}/").status_code == 404
    assert client.post(f"/feasibility/requests/{sent.pk}/shortlist/").status_code == 403
    client.force_login(tenant.coordinator)
    assert client.get(f"/feasibility/requests/{sent.pk}/").status_code == 404
    client.force_login(tenant.pm)
    assert (
        client.post(f"/feasibility/requests/{sent.pk}/answers/", {"action": "save"}).status_code
        == 403
    )


def test_dashboard_panels(client, tenant, questionnaire, candidate, sent):
    client.force_login(candidate["coordinator"])
    page = client.get("/").content.decode()
    assert "Questionnaires due" in page and "Heart failure feasibility" in page
    keys = items_by_key(questionnaire)
    services.feasibility_request_answer(
        actor=candidate["coordinator"],
        request=sent,
        answers={
            keys["investigational-pharmacy"]: "yes",
            keys["freezer-minus-80"]: "yes",
            keys["patients-seen-per-year"]: "1",
            keys["irb-type"]: "Local",
        },
        submit=True,
    )
    client.force_login(tenant.pm)
    page = client.get("/").content.decode()
    assert "Feasibility responses to review" in page and "Candidate Hospital" in page


def test_question_bank_adds_a_question_and_refuses_duplicates(client, tenant):
    client.force_login(tenant.pm)
    data = {
        "question-text": "Do you have a dedicated research ECG machine?",
        "question-kind": "yes_no",
        "question-reuse_answers": "on",
    }
    response = client.post("/feasibility/questions/", data, follow=True)
    assert "added to your question bank" in response.content.decode()
    response = client.post("/feasibility/questions/", data)
    assert response.status_code == 400
    data["question-text"] = "Do you have an investigational pharmacy?"
    response = client.post("/feasibility/questions/", data)
    assert "already in the bank" in response.content.decode()
    client.force_login(tenant.coordinator)
    assert client.post("/feasibility/questions/", data).status_code == 403


@pytest.mark.parametrize("extra", [1, 15])
def test_dashboard_panels_cost_one_query_each(
    rf, tenant, questionnaire, candidate, sent, extra, django_assert_num_queries
):
    from accounts.selectors import organization_roles
    from feasibility.panels import build_cro_review, build_site_due

    _more_requests(tenant, questionnaire, extra)
    for user, build in ((candidate["coordinator"], build_site_due), (tenant.pm, build_cro_review)):
        request = rf.get("/")
        request.user = user
        organization_roles(user)  # cached per request by the layout already
        with django_assert_num_queries(1):
            build(request)
