import datetime as dt

import pytest

from tests.api.errors import error_of
from tests.factories import SubjectFactory, SubjectVisitFactory
from tests.factories.trials import enrolling_study_site
from trials.models import Subject


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [2, 30])
def test_lists_query_count_is_constant(
    api_client, tenant, other_tenant, extra, django_assert_max_num_queries
):
    for _ in range(extra):
        SubjectVisitFactory(subject=SubjectFactory(study_site=tenant.study_site))
    api_client.force_login(tenant.coordinator)
    with django_assert_max_num_queries(8):
        response = api_client.get("/api/v1/subjects/?page_size=100")
    assert response.json()["count"] == extra + 1
    assert response.json()["results"][0]["demographics"] is not None
    with django_assert_max_num_queries(8):
        response = api_client.get("/api/v1/subject-visits/?page_size=100")
    assert response.json()["count"] == extra + 1
    api_client.force_login(tenant.pm)
    row = api_client.get("/api/v1/subjects/").json()["results"][0]
    assert row["demographics"] is None
    assert "name" not in row and "birth_date" not in row


@pytest.mark.django_db
def test_register_enroll_and_complete_through_the_api(api_client, tenant, frozen_today):
    enrolling_study_site(tenant)
    api_client.force_login(tenant.coordinator)
    response = api_client.post(
        "/api/v1/subjects/",
        {
            "study_site": tenant.study_site.pk,
            "screening_date": "2026-03-02",
            "consent_date": "2026-03-01",
            "consent_version": "v3.0",
            "name": "Jane Doe",
        },
        format="json",
    )
    assert response.status_code == 400 and "name" in error_of(response)["fields"]
    response = api_client.post(
        "/api/v1/subjects/",
        {
            "study_site": tenant.study_site.pk,
            "screening_date": "2026-03-02",
            "consent_date": "2026-03-01",
            "consent_version": "v3.0",
        },
        format="json",
    )
    assert response.status_code == 201
    subject_id = response.json()["id"]
    response = api_client.post(
        f"/api/v1/subjects/{subject_id}/transition/",
        {"to_status": "withdrawn", "reason": "x"},
        format="json",
    )
    assert response.status_code == 409
    response = api_client.post(
        f"/api/v1/subjects/{subject_id}/transition/",
        {"to_status": "enrolled", "enrollment_date": "2026-03-10"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["visit_count"] == 3
    visits = api_client.get(
        f"/api/v1/subject-visits/?subject={subject_id}&ordering=target_date"
    ).json()["results"]
    week2 = next(v for v in visits if v["definition"]["code"] == "W2")
    response = api_client.post(
        f"/api/v1/subject-visits/{week2['id']}/complete/",
        {"actual_date": "2026-03-30"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["out_of_window"] is True
    response = api_client.post(
        f"/api/v1/subject-visits/{week2['id']}/correct/", {"status": "missed"}, format="json"
    )
    assert response.status_code == 400 and "reason" in error_of(response)["fields"]
    response = api_client.post(
        f"/api/v1/subject-visits/{week2['id']}/correct/",
        {"status": "missed", "reason": "Visit did not happen"},
        format="json",
    )
    assert response.json()["status"] == "missed"


@pytest.mark.django_db
def test_cro_and_sponsor_read_but_never_write(api_client, tenant, frozen_today):
    enrolling_study_site(tenant)
    before = Subject.objects.count()
    for user in (tenant.pm, tenant.sponsor_viewer):
        api_client.force_login(user)
        assert api_client.get(f"/api/v1/subjects/{tenant.subject.pk}/").status_code == 200
        response = api_client.post(
            "/api/v1/subjects/",
            {
                "study_site": tenant.study_site.pk,
                "screening_date": "2026-03-02",
                "consent_date": "2026-03-01",
                "consent_version": "v3.0",
            },
            format="json",
        )
        assert response.status_code == 403
        response = api_client.post(
            f"/api/v1/subject-visits/{tenant.subject_visit.pk}/missed/", {}, format="json"
        )
        assert response.status_code == 403
    assert Subject.objects.count() == before


@pytest.mark.django_db
def test_enrollment_metrics_endpoint_suppresses_small_cells(api_client, tenant):
    for _ in range(3):
        SubjectFactory(
            study_site=tenant.study_site,
            status="enrolled",
            enrollment_date=dt.date(2026, 2, 1),
            race="asian",
        )
    api_client.force_login(tenant.sponsor_viewer)
    body = api_client.get(f"/api/v1/study-sites/{tenant.study_site.pk}/enrollment-metrics/").json()
    race = next(d for d in body["dimensions"] if d["name"] == "race")
    asian = next(r for r in race["rows"] if r["key"] == "race:asian")
    assert asian["count"] is None and asian["suppressed"] is True
    body = api_client.get(f"/api/v1/studies/{tenant.study.pk}/enrollment-metrics/").json()
    assert body["enrolled"] == 3 and body["per_site"][0]["enrolled"] == 3
