import pytest
from django.apps import apps
from django.urls import reverse

from accounts.models import Role
from tests.api.errors import error_of
from tests.factories import SiteOrganizationFactory, StudySiteFactory, SubjectFactory, member
from trials.models import StudySiteStatus, SubjectStatus

LIST_URL = reverse("api_study_site-list")
# Session, user, the middleware's memberships, DRF's roles, the count and the page.
LIST_QUERY_BUDGET = 6


def detail_url(study_site) -> str:
    return reverse("api_study_site-detail", kwargs={"study_site_id": study_site.pk})


def transition_url(study_site) -> str:
    return reverse("api_study_site-transition", kwargs={"study_site_id": study_site.pk})


@pytest.mark.django_db
def test_list_shows_only_the_callers_tenant(api_client, tenant, other_tenant):
    api_client.force_login(tenant.coordinator)

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"] == [
        {
            "id": tenant.study_site.pk,
            "study": {
                "id": tenant.study.pk,
                "protocol_number": "ALPHA-001",
                "title": tenant.study.title,
                "cro": {"id": tenant.cro.pk, "name": "Alpha CRO"},
            },
            "site": {"id": tenant.site.pk, "name": "Alpha Clinic", "country": "US"},
            "site_number": "101",
            "status": "candidate",
            "enrollment_target": 12,
            "screened_count": 1,
            "enrolled_count": 0,
            "principal_investigator": None,
        }
    ]


@pytest.mark.django_db
def test_filters_by_study_status_and_site(api_client, tenant):
    second = StudySiteFactory(study=tenant.study, site_number="102", status="selected")
    api_client.force_login(tenant.pm)

    def ids(**params):
        response = api_client.get(LIST_URL, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids(study=tenant.study.pk) == [tenant.study_site.pk, second.pk]
    assert ids(status="selected") == [second.pk]
    assert ids(site=tenant.site.pk) == [tenant.study_site.pk]
    assert ids(ordering="-site_number") == [second.pk, tenant.study_site.pk]
    assert ids(study=tenant.study.pk + 1000) == []


@pytest.mark.django_db
def test_retrieve_counts_subjects_and_names_the_pi(api_client, tenant):
    investigator = tenant.investigator
    tenant.study_site.principal_investigator = investigator
    tenant.study_site.save(update_fields=["principal_investigator"])
    SubjectFactory(study_site=tenant.study_site, status=SubjectStatus.ENROLLED)
    SubjectFactory(study_site=tenant.study_site, status=SubjectStatus.SCREEN_FAILED)
    api_client.force_login(tenant.cra)

    response = api_client.get(detail_url(tenant.study_site))

    assert response.status_code == 200
    assert response.json()["screened_count"] == 3
    assert response.json()["enrolled_count"] == 1
    assert response.json()["principal_investigator"] == "Alpha Investigator"


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["retrieve", "transition"])
def test_another_tenants_study_site_is_a_404(api_client, tenant, other_tenant, action):
    api_client.force_login(tenant.pm)

    if action == "retrieve":
        response = api_client.get(detail_url(other_tenant.study_site))
    else:
        response = api_client.post(
            transition_url(other_tenant.study_site), {"to_status": "selected"}, format="json"
        )

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    other_tenant.study_site.refresh_from_db()
    assert other_tenant.study_site.status == StudySiteStatus.CANDIDATE


@pytest.mark.django_db
def test_cra_not_assigned_to_a_site_does_not_see_it(api_client, tenant):
    hidden = StudySiteFactory(study=tenant.study, site_number="102")
    api_client.force_login(tenant.cra)

    listed = api_client.get(LIST_URL)
    detail = api_client.get(detail_url(hidden))

    assert [row["id"] for row in listed.json()["results"]] == [tenant.study_site.pk]
    assert detail.status_code == 404


@pytest.mark.django_db
def test_transition_moves_the_status_and_records_the_reason(api_client, tenant):
    api_client.force_login(tenant.pm)

    response = api_client.post(
        transition_url(tenant.study_site),
        {"to_status": "selected", "reason": "Feasibility score 92"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "selected"
    assert response.json()["screened_count"] == 1
    tenant.study_site.refresh_from_db()
    assert tenant.study_site.status == StudySiteStatus.SELECTED
    event = (
        apps.get_model("trials", "StudySiteEvent")
        .objects.filter(pgh_obj_id=tenant.study_site.pk)
        .latest("pgh_id")
    )
    assert event.pgh_context.metadata["reason"] == "Feasibility score 92"
    assert event.pgh_context.metadata["user"] == tenant.pm.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("to_status", "http_status"),
    [("enrolling", 409), ("paused", 400)],  # not allowed from candidate / not a status at all
)
def test_a_transition_that_is_not_allowed_is_refused(api_client, tenant, to_status, http_status):
    api_client.force_login(tenant.pm)

    response = api_client.post(
        transition_url(tenant.study_site), {"to_status": to_status}, format="json"
    )

    assert response.status_code == http_status
    error_of(response)
    tenant.study_site.refresh_from_db()
    assert tenant.study_site.status == StudySiteStatus.CANDIDATE


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "sponsor_viewer"])
def test_site_staff_and_sponsor_viewers_cannot_transition(api_client, tenant, who):
    api_client.force_login(getattr(tenant, who))

    listed = api_client.get(LIST_URL)
    response = api_client.post(
        transition_url(tenant.study_site), {"to_status": "selected"}, format="json"
    )

    assert [row["id"] for row in listed.json()["results"]] == [tenant.study_site.pk]
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    tenant.study_site.refresh_from_db()
    assert tenant.study_site.status == StudySiteStatus.CANDIDATE


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow_with_rows(
    api_client, tenant, rows, django_assert_max_num_queries
):
    for number in range(rows - 1):
        site = SiteOrganizationFactory()
        study_site = StudySiteFactory(
            study=tenant.study,
            site=site,
            site_number=f"2{number:02d}",
            principal_investigator=member(site, Role.INVESTIGATOR),
        )
        SubjectFactory(study_site=study_site, status=SubjectStatus.ENROLLED)
    api_client.force_login(tenant.pm)

    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        response = api_client.get(LIST_URL, {"page_size": 100})

    results = response.json()["results"]
    assert len(results) == rows
    assert sum(row["principal_investigator"] is not None for row in results) == rows - 1
    assert sum(row["enrolled_count"] for row in results) == rows - 1
