import pytest

from accounts.models import Role
from tests.factories import (
    StudyFactory,
    StudySiteFactory,
    SubjectFactory,
    member,
)
from trials.models import Study, StudySite


def _grow(tenant, n: int) -> None:
    """n more studies of the tenant's CRO, each with its own site and a subject, so list rows
    carry counts."""
    for _ in range(n):
        study = StudyFactory(cro=tenant.cro, sponsor=tenant.sponsor)
        study_site = StudySiteFactory(study=study)
        SubjectFactory(study_site=study_site)


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [2, 25])
def test_study_list_query_count_is_constant(client, tenant, extra, django_assert_max_num_queries):
    _grow(tenant, extra)
    client.force_login(tenant.pm)
    with django_assert_max_num_queries(10):
        response = client.get("/studies/")
    assert response.status_code == 200
    assert tenant.study.protocol_number in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [2, 25])
def test_study_site_list_query_count_is_constant(
    client, tenant, extra, django_assert_max_num_queries
):
    _grow(tenant, extra)
    client.force_login(tenant.pm)
    with django_assert_max_num_queries(10):
        response = client.get("/study-sites/")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [2, 25])
def test_dashboard_query_count_is_constant(client, tenant, extra, django_assert_max_num_queries):
    _grow(tenant, extra)
    for user in (tenant.pm, tenant.coordinator, tenant.sponsor_viewer, tenant.cra):
        client.force_login(user)
        # The dashboard gathers every app's panels; each panel runs a fixed number of queries.
        with django_assert_max_num_queries(30):
            response = client.get("/")
        assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("subjects", [1, 20])
def test_study_site_detail_query_count_is_constant(
    client, tenant, subjects, django_assert_max_num_queries
):
    for _ in range(subjects):
        SubjectFactory(study_site=tenant.study_site)
    client.force_login(tenant.pm)
    with django_assert_max_num_queries(20):
        response = client.get(f"/study-sites/{tenant.study_site.pk}/")
    assert response.status_code == 200
    with django_assert_max_num_queries(20):
        response = client.get(f"/study-sites/{tenant.study_site.pk}/audit/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_study_detail_shows_sites_schedule_and_team(client, tenant):
    client.force_login(tenant.coordinator)
    page = client.get(f"/studies/{tenant.study.pk}/").content.decode()
    assert tenant.study.title in page
    assert "Screening" in page
    assert tenant.pm.full_name in page
    assert "Add a candidate site" not in page  # coordinators do not manage the study


@pytest.mark.django_db
def test_pm_creates_a_study_from_the_form(client, tenant):
    client.force_login(tenant.pm)
    response = client.post(
        "/studies/new/",
        {
            "protocol_number": "ALPHA-NEW",
            "title": "A new study",
            "sponsor": tenant.sponsor.pk,
            "phase": "2",
            "therapeutic_area": "Neurology",
            "currency": "EUR",
            "planned_sites": "5",
            "planned_subjects": "50",
        },
    )
    study = Study.objects.get(protocol_number="ALPHA-NEW")
    assert response.status_code == 302
    assert response["Location"] == f"/studies/{study.pk}/"
    assert study.cro == tenant.cro


@pytest.mark.django_db
def test_study_form_errors_sit_next_to_fields_and_keep_input(client, tenant):
    client.force_login(tenant.pm)
    response = client.post(
        "/studies/new/",
        {
            "protocol_number": tenant.study.protocol_number,
            "title": "Typed title stays",
            "sponsor": tenant.sponsor.pk,
            "phase": "2",
            "therapeutic_area": "Neurology",
            "currency": "EURO",
            "planned_sites": "5",
            "planned_subjects": "50",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Typed title stays" in page
    assert "Enter a three-letter ISO 4217 code" in page or "at most 3 characters" in page
    assert Study.objects.filter(protocol_number=tenant.study.protocol_number).count() == 1


@pytest.mark.django_db
def test_duplicate_protocol_error_is_shown_on_the_field(client, tenant):
    client.force_login(tenant.pm)
    response = client.post(
        "/studies/new/",
        {
            "protocol_number": tenant.study.protocol_number,
            "title": "Dup",
            "sponsor": tenant.sponsor.pk,
            "phase": "2",
            "therapeutic_area": "Neurology",
            "currency": "EUR",
            "planned_sites": "5",
            "planned_subjects": "50",
        },
    )
    assert "Already used by another of your studies." in response.content.decode()


@pytest.mark.django_db
def test_coordinator_cannot_open_the_new_study_form(client, tenant):
    client.force_login(tenant.coordinator)
    assert client.get("/studies/new/").status_code == 403


@pytest.mark.django_db
def test_sponsor_viewer_is_read_only(client, tenant):
    client.force_login(tenant.sponsor_viewer)
    assert client.get(f"/studies/{tenant.study.pk}/").status_code == 200
    response = client.post(
        f"/study-sites/{tenant.study_site.pk}/status/",
        {"status-to_status": "selected", "status-reason": "trying"},
    )
    assert response.status_code in (400, 403)
    tenant.study_site.refresh_from_db()
    assert tenant.study_site.status == "candidate"
    edit = client.post(
        f"/studies/{tenant.study.pk}/edit/",
        {
            "edit-title": "Sponsor edit",
            "edit-phase": "2",
            "edit-therapeutic_area": "X",
            "edit-planned_sites": "1",
            "edit-planned_subjects": "1",
            "edit-reason": "why not",
        },
    )
    assert edit.status_code == 403
    tenant.study.refresh_from_db()
    assert tenant.study.title != "Sponsor edit"


@pytest.mark.django_db
def test_pm_moves_a_site_along_and_assigns_a_cra(client, tenant):
    client.force_login(tenant.pm)
    response = client.post(
        f"/study-sites/{tenant.study_site.pk}/status/",
        {"status-to_status": "selected", "status-reason": "Feasibility score 87"},
    )
    assert response.status_code == 302
    assert StudySite.objects.get(pk=tenant.study_site.pk).status == "selected"
    new_cra = member(tenant.cro, Role.CRA, full_name="Casey Monitor")
    response = client.post(f"/study-sites/{tenant.study_site.pk}/cras/", {"cra-cra": new_cra.pk})
    assert response.status_code == 302
    page = client.get(f"/study-sites/{tenant.study_site.pk}/").content.decode()
    assert "Casey Monitor" in page


@pytest.mark.django_db
def test_skipping_a_status_shows_an_error_and_changes_nothing(client, tenant):
    client.force_login(tenant.pm)
    response = client.post(
        f"/study-sites/{tenant.study_site.pk}/status/", {"status-to_status": "enrolling"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert StudySite.objects.get(pk=tenant.study_site.pk).status == "candidate"


@pytest.mark.django_db
def test_add_site_and_visit_from_the_study_page(client, tenant):
    from tests.factories import SiteOrganizationFactory

    new_site = SiteOrganizationFactory(name="Harbor Research")
    client.force_login(tenant.pm)
    response = client.post(
        f"/studies/{tenant.study.pk}/sites/add/",
        {"site-site": new_site.pk, "site-site_number": "101", "site-enrollment_target": "8"},
    )
    assert response.status_code == 400
    assert "already used" in response.content.decode()
    response = client.post(
        f"/studies/{tenant.study.pk}/sites/add/",
        {"site-site": new_site.pk, "site-site_number": "150", "site-enrollment_target": "8"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/studies/{tenant.study.pk}/schedule/add/",
        {
            "visit-code": "W4",
            "visit-name": "Week 4",
            "visit-day_offset": "28",
            "visit-window_before": "3",
            "visit-window_after": "3",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/studies/{tenant.study.pk}/").content.decode()
    assert "Harbor Research" in page
    assert "Week 4" in page


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client, tenant):
    response = client.get(f"/studies/{tenant.study.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
