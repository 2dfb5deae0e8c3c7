import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from queries import services
from queries.models import DataQuery
from tests.api.errors import error_of
from tests.factories import SubjectFactory
from tests.factories.queries import DataQueryFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api_data_query-list")
IMPORT_URL = reverse("api_data_query-import")


@pytest.fixture
def api():
    return APIClient()


def url(name: str, query) -> str:
    return reverse(f"api_data_query-{name}", kwargs={"data_query_id": query.pk})


@pytest.mark.parametrize("extra", [2, 25])
@pytest.mark.parametrize("who", ["coordinator", "cra"])
def test_list_query_count_is_constant(api, tenant, extra, who, django_assert_max_num_queries):
    for index in range(extra):
        subject = SubjectFactory(study_site=tenant.study_site) if index % 2 else tenant.subject
        DataQueryFactory(subject=subject, raised_by=tenant.cra)
    api.force_authenticate(getattr(tenant, who))
    with django_assert_max_num_queries(6):
        response = api.get(LIST_URL, {"page_size": 100})
    assert response.status_code == 200
    assert response.json()["count"] == extra


def test_create_then_the_whole_workflow(api, tenant):
    api.force_authenticate(tenant.cra)
    created = api.post(
        LIST_URL,
        {
            "subject": tenant.subject.pk,
            "subject_visit": tenant.subject_visit.pk,
            "form_name": "Vital signs",
            "field_name": "Weight",
            "text": "Weight 7 kg?",
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "open"
    assert body["subject"] == {
        "id": tenant.subject.pk,
        "subject_identifier": tenant.subject.subject_identifier,
    }
    assert body["subject_visit"] == {"id": tenant.subject_visit.pk, "code": "SCR"}
    assert body["aging"] == {
        "days_open": 0,
        "days_waiting_on_site": 0,
        "days_waiting_on_cro": 0,
        "waiting_on": "site",
    }
    query = DataQuery.objects.get(pk=body["id"])

    api.force_authenticate(tenant.coordinator)
    answered = api.post(url("answer", query), {"text": "Typo: 70 kg."})
    assert answered.status_code == 200 and answered.json()["status"] == "answered"

    api.force_authenticate(tenant.cra)
    reopened = api.post(url("reopen", query), {"text": "Source says 71."})
    assert reopened.json()["status"] == "reopened"
    api.force_authenticate(tenant.investigator)
    api.post(url("answer", query), {"text": "Corrected to 71."})
    api.force_authenticate(tenant.pm)
    closed = api.post(url("close", query), {})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    thread = api.get(url("messages", query)).json()["results"]
    assert [m["action"] for m in thread] == ["raise", "answer", "reopen", "answer", "close"]
    assert thread[1]["author"] == "Alpha Coordinator"


def test_a_refused_transition_answers_409_in_the_error_shape(api, tenant, query):
    api.force_authenticate(tenant.cra)
    response = api.post(url("close", query), {"text": "too early"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"


def test_a_wrong_role_answers_403_and_a_missing_text_400(api, tenant, query):
    api.force_authenticate(tenant.cra)
    assert api.post(url("answer", query), {"text": "mine"}).status_code == 403
    api.force_authenticate(tenant.coordinator)
    response = api.post(url("answer", query), {"text": ""})
    assert response.status_code == 400 and "text" in error_of(response)["fields"]
    api.force_authenticate(tenant.sponsor_viewer)
    assert api.post(url("answer", query), {"text": "x"}).status_code == 403
    assert query.messages.count() == 1


def test_site_staff_cannot_raise_and_another_tenants_subject_is_a_field_error(
    api, tenant, other_tenant
):
    payload = {"subject": tenant.subject.pk, "form_name": "Labs", "text": "Check"}
    api.force_authenticate(tenant.coordinator)
    assert api.post(LIST_URL, payload).status_code == 403
    api.force_authenticate(other_tenant.cra)
    response = api.post(LIST_URL, payload)
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"subject": ["Choose a subject you can see."]}
    assert not DataQuery.objects.exists()


def test_another_tenant_gets_404(api, tenant, other_tenant, query):
    api.force_authenticate(other_tenant.coordinator)
    assert api.get(url("detail", query)).status_code == 404
    assert api.post(url("answer", query), {"text": "x"}).status_code == 404
    assert api.get(LIST_URL).json()["count"] == 0


def test_list_filters(api, tenant, query):
    other = DataQueryFactory(subject=tenant.subject, raised_by=tenant.cra)
    services.data_query_answer(actor=tenant.coordinator, data_query=other, text="ok")
    api.force_authenticate(tenant.coordinator)

    def ids(**params):
        response = api.get(LIST_URL, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(waiting_on="site") == [query.pk]
    assert ids(waiting_on="cro") == [other.pk]
    assert ids(status="answered") == [other.pk]
    assert ids(ordering="raised_at") == [query.pk, other.pk]
    assert ids(study=tenant.study.pk + 1000) == []
    assert api.get(LIST_URL, {"status": "bogus"}).status_code == 400


def test_csv_import_reports_lines(api, tenant):
    api.force_authenticate(tenant.cra)
    subject = tenant.subject.subject_identifier
    content = (
        "subject_id,visit_code,form,field,text,external_id\n"
        f"{subject},SCR,Labs,,Potassium missing,EDC-1\n"
        f"NOPE,,Labs,,Check,EDC-2\n"
    )
    response = api.post(
        IMPORT_URL,
        {"study": tenant.study.pk, "file": SimpleUploadedFile("e.csv", content.encode())},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["rows"], body["imported"], body["rejected"]) == (2, 1, 1)
    assert body["errors"] == [{"line": 3, "reason": "subject NOPE is not in this study"}]
    assert body["created_ids"] == [DataQuery.objects.get().pk]


def test_csv_import_refuses_site_staff_and_other_tenants(api, tenant, other_tenant):
    file = SimpleUploadedFile("e.csv", b"subject_id,form,text,external_id\n")
    api.force_authenticate(tenant.coordinator)
    response = api.post(IMPORT_URL, {"study": tenant.study.pk, "file": file}, format="multipart")
    assert response.status_code == 403
    api.force_authenticate(other_tenant.cra)
    file.seek(0)
    response = api.post(IMPORT_URL, {"study": tenant.study.pk, "file": file}, format="multipart")
    assert response.status_code == 404
