import datetime as dt
import re

import pytest

from tests.factories import SubjectFactory, SubjectVisitFactory, VisitDefinitionFactory
from tests.factories.trials import enrolling_study_site
from trials import services
from trials.models import Subject, SubjectStatus, SubjectVisitStatus


def _grow(tenant, n):
    definition = VisitDefinitionFactory(study=tenant.study)
    for _ in range(n):
        subject = SubjectFactory(study_site=tenant.study_site, status=SubjectStatus.ENROLLED)
        SubjectVisitFactory(subject=subject, definition=definition)


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [2, 30])
def test_enrollment_log_query_count_is_constant(
    client, tenant, extra, django_assert_max_num_queries
):
    _grow(tenant, extra)
    for user in (tenant.coordinator, tenant.pm):
        client.force_login(user)
        with django_assert_max_num_queries(14):
            response = client.get(
                f"/study-sites/{tenant.study_site.pk}/subjects/?status=enrolled&ordering=next_visit"
            )
        assert response.status_code == 200
    with django_assert_max_num_queries(14):
        response = client.get(f"/study-sites/{tenant.study_site.pk}/subjects/export.csv")
    assert (
        b"".join(response.streaming_content).count(b"\n") == extra + 2
    )  # header + the fixture subject


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [2, 30])
def test_metrics_pages_query_count_is_constant(
    client, tenant, extra, django_assert_max_num_queries
):
    _grow(tenant, extra)
    client.force_login(tenant.sponsor_viewer)
    with django_assert_max_num_queries(16):
        assert client.get(f"/study-sites/{tenant.study_site.pk}/enrollment/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(f"/studies/{tenant.study.pk}/enrollment/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("visits", [1, 12])
def test_subject_page_query_count_is_constant(
    client, tenant, visits, django_assert_max_num_queries
):
    for _ in range(visits):
        SubjectVisitFactory(subject=tenant.subject)
    client.force_login(tenant.coordinator)
    with django_assert_max_num_queries(16):
        response = client.get(f"/subjects/{tenant.subject.pk}/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_register_form_offers_no_identifier_fields(client, tenant):
    enrolling_study_site(tenant)
    client.force_login(tenant.coordinator)
    page = client.get(f"/study-sites/{tenant.study_site.pk}/subjects/").content.decode()
    assert "Register a subject at screening" in page
    inputs = re.findall(r'name="([^"]+)"', page)
    assert "screening_date" in inputs and "consent_version" in inputs
    for forbidden in ("name", "birth", "dob", "initials", "address", "phone", "mrn"):
        assert not [i for i in inputs if forbidden in i.lower() and i != "csrfmiddlewaretoken"]
    client.force_login(tenant.cra)
    page = client.get(f"/study-sites/{tenant.study_site.pk}/subjects/").content.decode()
    assert "Register a subject at screening" not in page


@pytest.mark.django_db
def test_coordinator_registers_and_bad_input_keeps_what_was_typed(client, tenant, frozen_today):
    enrolling_study_site(tenant)
    client.force_login(tenant.coordinator)
    url = f"/study-sites/{tenant.study_site.pk}/subjects/register/"
    response = client.post(
        url,
        {
            "screening_date": "2026-03-02",
            "consent_date": "2026-03-05",
            "consent_version": "v3.0",
            "sex": "female",
            "age_band": "45-64",
            "race": "black",
            "ethnicity": "not_hispanic",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Consent must be signed on or before the screening date." in page
    assert 'value="v3.0"' in page
    response = client.post(
        url,
        {
            "screening_date": "2026-03-02",
            "consent_date": "2026-03-01",
            "consent_version": "v3.0",
            "sex": "female",
            "age_band": "45-64",
            "race": "black",
            "ethnicity": "not_hispanic",
        },
    )
    subject = Subject.objects.get(study_site=tenant.study_site, consent_version="v3.0")
    assert response.status_code == 302 and response.url == f"/subjects/{subject.pk}/"


@pytest.mark.django_db
def test_cro_user_cannot_post_to_the_log(client, tenant, frozen_today):
    enrolling_study_site(tenant)
    client.force_login(tenant.pm)
    before = Subject.objects.count()
    response = client.post(
        f"/study-sites/{tenant.study_site.pk}/subjects/register/",
        {
            "screening_date": "2026-03-02",
            "consent_date": "2026-03-01",
            "consent_version": "v3.0",
            "sex": "female",
            "age_band": "45-64",
            "race": "black",
            "ethnicity": "not_hispanic",
        },
    )
    assert response.status_code == 403
    assert Subject.objects.count() == before


@pytest.mark.django_db
def test_visit_recorded_in_place_with_out_of_window_prompt(client, tenant, frozen_today):
    enrolling_study_site(tenant)
    subject = services.subject_register(
        actor=tenant.coordinator,
        study_site=tenant.study_site,
        screening_date=dt.date(2026, 3, 2),
        consent_date=dt.date(2026, 3, 1),
        consent_version="v3",
    )
    services.subject_transition(
        actor=tenant.coordinator,
        subject=subject,
        to_status="enrolled",
        enrollment_date=dt.date(2026, 3, 10),
    )
    visit = subject.visits.get(definition__code="W2")
    client.force_login(tenant.coordinator)
    url = f"/subject-visits/{visit.pk}/record/"
    form = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Record visit W2" in form and "<html" not in form
    data = {f"v{visit.pk}-outcome": "completed", f"v{visit.pk}-actual_date": "2026-03-30"}
    prompt = client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    assert "outside the visit window" in prompt
    visit.refresh_from_db()
    assert visit.status == SubjectVisitStatus.SCHEDULED
    data[f"v{visit.pk}-confirm_out_of_window"] = "True"
    row = client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    assert "Out of window" in row and "Protocol deviation: no note yet." in row
    visit.refresh_from_db()
    assert visit.status == SubjectVisitStatus.COMPLETED and visit.out_of_window

    correction = client.post(
        url,
        {
            f"v{visit.pk}-status": "completed",
            f"v{visit.pk}-actual_date": "2026-03-25",
            f"v{visit.pk}-reason": "",
        },
        headers={"HX-Request": "true"},
    )
    assert "This field is required" in correction.content.decode()
    client.post(
        url,
        {
            f"v{visit.pk}-status": "completed",
            f"v{visit.pk}-actual_date": "2026-03-25",
            f"v{visit.pk}-reason": "Date misread from the source",
        },
        headers={"HX-Request": "true"},
    )
    visit.refresh_from_db()
    assert visit.actual_date == dt.date(2026, 3, 25) and not visit.out_of_window
    audit = client.get(f"/subjects/{subject.pk}/audit/").content.decode()
    assert "Date misread from the source" in audit


@pytest.mark.django_db
def test_subject_transition_page_flow(client, tenant, frozen_today):
    enrolling_study_site(tenant)
    client.force_login(tenant.coordinator)
    subject = tenant.subject
    response = client.post(
        f"/subjects/{subject.pk}/status/",
        {"status-to_status": "screen_failed", "status-reason": ""},
    )
    assert response.status_code == 400
    assert "Give the reason" in response.content.decode()
    response = client.post(
        f"/subjects/{subject.pk}/status/",
        {"status-to_status": "enrolled", "status-enrollment_date": "2026-03-01"},
    )
    assert response.status_code == 302
    page = client.get(f"/subjects/{subject.pk}/").content.decode()
    assert "Enrolled" in page and "Week 2" in page
