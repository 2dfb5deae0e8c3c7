import pytest
from django.apps import apps
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.errors import error_of
from tests.factories import StudyFactory, StudySiteFactory
from trials.models import Study, StudyStatus, StudyTeamMember, TeamRole

LIST_URL = reverse("api_study-list")
# Session, user, the middleware's memberships, DRF's roles, the count and the page.
LIST_QUERY_BUDGET = 6


def detail_url(study) -> str:
    return reverse("api_study-detail", kwargs={"study_id": study.pk})


def new_study_payload(tenant, **overrides) -> dict:
    return {
        "sponsor": tenant.sponsor.pk,
        "protocol_number": "ALPHA-002",
        "title": "A phase 3 study of compound X in heart failure",
        "phase": "3",
        "therapeutic_area": "Cardiology",
        "currency": "EUR",
        "planned_sites": 20,
        "planned_subjects": 400,
        "diversity_goals": {"race:black": 15},
        **overrides,
    }


@pytest.mark.django_db
def test_list_shows_only_the_callers_tenant(api_client, tenant, other_tenant):
    api_client.force_login(tenant.pm)

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": tenant.study.pk,
            "protocol_number": "ALPHA-001",
            "title": tenant.study.title,
            "phase": "2",
            "therapeutic_area": "Cardiology",
            "status": "planning",
            "cro": {"id": tenant.cro.pk, "name": "Alpha CRO"},
            "sponsor": {"id": tenant.sponsor.pk, "name": "Alpha Pharma"},
            "currency": "USD",
            "planned_sites": 10,
            "planned_subjects": 100,
            "diversity_goals": {},
            "site_count": 1,
        }
    ]


@pytest.mark.django_db
def test_site_user_sees_the_studies_of_their_site(api_client, tenant, other_tenant):
    StudyFactory(cro=tenant.cro, sponsor=tenant.sponsor)  # no site of theirs
    api_client.force_login(tenant.coordinator)

    response = api_client.get(LIST_URL)

    assert [row["id"] for row in response.json()["results"]] == [tenant.study.pk]


@pytest.mark.django_db
def test_filters_and_ordering(api_client, tenant):
    StudyFactory(
        cro=tenant.cro, sponsor=tenant.sponsor, protocol_number="ALPHA-900", title="Oncology"
    )
    StudyFactory(
        cro=tenant.cro,
        sponsor=tenant.sponsor,
        protocol_number="ALPHA-500",
        status=StudyStatus.ENROLLING,
    )
    api_client.force_login(tenant.pm)

    def numbers(**params):
        response = api_client.get(LIST_URL, params)
        assert response.status_code == 200
        return [row["protocol_number"] for row in response.json()["results"]]

    assert numbers(ordering="-protocol_number") == ["ALPHA-900", "ALPHA-500", "ALPHA-001"]
    assert numbers(status="enrolling") == ["ALPHA-500"]
    assert numbers(q="oncol") == ["ALPHA-900"]
    assert numbers(cro=tenant.cro.pk, q="") == ["ALPHA-001", "ALPHA-500", "ALPHA-900"]


@pytest.mark.django_db
def test_an_unknown_filter_value_is_a_400_naming_the_parameter(api_client, tenant):
    api_client.force_login(tenant.pm)

    response = api_client.get(LIST_URL, {"status": "paused", "ordering": "password"})

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"status", "ordering"}


@pytest.mark.django_db
def test_retrieve_counts_the_visible_sites(api_client, tenant):
    StudySiteFactory(study=tenant.study, site_number="102")
    api_client.force_login(tenant.pm)

    response = api_client.get(detail_url(tenant.study))

    assert response.status_code == 200
    assert response.json()["protocol_number"] == "ALPHA-001"
    assert response.json()["site_count"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "patch"])
def test_another_tenants_study_is_a_404_in_the_error_shape(
    api_client, tenant, other_tenant, method
):
    api_client.force_login(tenant.pm)

    response = getattr(api_client, method)(
        detail_url(other_tenant.study), {"title": "Taken over", "reason": "x"}, format="json"
    )

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    other_tenant.study.refresh_from_db()
    assert other_tenant.study.title != "Taken over"


@pytest.mark.django_db
@pytest.mark.parametrize("study_id", ["999999", "abc"])
def test_unknown_study_id_is_a_404(api_client, tenant, study_id):
    api_client.force_login(tenant.pm)

    response = api_client.get(f"{LIST_URL}{study_id}/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.django_db
def test_create_study(api_client, tenant):
    api_client.force_login(tenant.pm)

    response = api_client.post(LIST_URL, new_study_payload(tenant), format="json")

    assert response.status_code == 201
    study = Study.objects.get(protocol_number="ALPHA-002")
    assert response.json()["id"] == study.pk
    assert response.json()["cro"] == {"id": tenant.cro.pk, "name": "Alpha CRO"}
    assert response.json()["site_count"] == 0
    assert (study.cro, study.sponsor, study.currency) == (tenant.cro, tenant.sponsor, "EUR")
    assert study.diversity_goals == {"race:black": 15}
    assert StudyTeamMember.objects.filter(study=study, user=tenant.pm, role=TeamRole.LEAD).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"protocol_number": "ALPHA-001"}, "protocol_number"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "E1"}, "currency"),
        ({"sponsor": "other-cro"}, "sponsor"),
        ({"cro": "other-cro"}, "cro"),
        ({"phase": "5"}, "phase"),
    ],
    ids=[
        "duplicate-protocol",
        "long-currency",
        "bad-currency",
        "sponsor-not-sponsor",
        "foreign-cro",
        "bad-phase",
    ],
)
def test_create_study_refusals_name_the_field(api_client, tenant, other_tenant, overrides, field):
    overrides = {
        key: other_tenant.cro.pk if value == "other-cro" else value
        for key, value in overrides.items()
    }
    api_client.force_login(tenant.pm)

    response = api_client.post(LIST_URL, new_study_payload(tenant, **overrides), format="json")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert Study.objects.count() == 2


@pytest.mark.django_db
def test_a_cra_cannot_create_a_study(api_client, tenant):
    api_client.force_login(tenant.cra)

    response = api_client.post(LIST_URL, new_study_payload(tenant), format="json")

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert not Study.objects.filter(protocol_number="ALPHA-002").exists()


@pytest.mark.django_db
def test_patch_without_reason_is_refused(api_client, tenant):
    api_client.force_login(tenant.pm)

    response = api_client.patch(detail_url(tenant.study), {"title": "New title"}, format="json")

    assert response.status_code == 400
    assert "reason" in error_of(response)["fields"]
    tenant.study.refresh_from_db()
    assert tenant.study.title != "New title"


@pytest.mark.django_db
def test_patch_of_a_field_that_cannot_change_here_is_refused(api_client, tenant):
    api_client.force_login(tenant.pm)

    response = api_client.patch(
        detail_url(tenant.study), {"currency": "EUR", "reason": "Budget in euro"}, format="json"
    )

    assert response.status_code == 400
    assert "currency" in error_of(response)["fields"]
    tenant.study.refresh_from_db()
    assert tenant.study.currency == "USD"


@pytest.mark.django_db
def test_patch_with_reason_records_reason_user_and_organization_in_the_audit_trail(
    api_client, tenant
):
    token = api_client.post(
        reverse("api_token"), {"email": tenant.pm.email, "password": "correct-horse-battery"}
    ).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.patch(
        detail_url(tenant.study),
        {"title": "Amended title", "planned_subjects": 150, "reason": "Protocol amendment 2"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Amended title"
    assert response.json()["planned_subjects"] == 150
    assert response.json()["site_count"] == 1
    study_event = apps.get_model("trials", "StudyEvent")
    event = study_event.objects.filter(pgh_obj_id=tenant.study.pk).latest("pgh_id")
    assert event.title == "Amended title"
    assert event.pgh_context.metadata["reason"] == "Protocol amendment 2"
    assert event.pgh_context.metadata["user"] == tenant.pm.pk
    assert event.pgh_context.metadata["organization"] == tenant.cro.pk
    assert event.pgh_context.metadata["url"] == detail_url(tenant.study)


@pytest.mark.django_db
def test_sponsor_viewer_reads_but_cannot_write(api_client, tenant):
    api_client.force_login(tenant.sponsor_viewer)

    listed = api_client.get(LIST_URL)
    created = api_client.post(LIST_URL, new_study_payload(tenant), format="json")
    patched = api_client.patch(
        detail_url(tenant.study), {"title": "Sponsor's title", "reason": "x"}, format="json"
    )

    assert [row["id"] for row in listed.json()["results"]] == [tenant.study.pk]
    assert created.status_code == 403
    assert patched.status_code == 403
    assert error_of(patched)["code"] == "permission_denied"
    assert Study.objects.count() == 1
    tenant.study.refresh_from_db()
    assert tenant.study.title != "Sponsor's title"


@pytest.mark.django_db
def test_page_size_is_capped_at_100(api_client, tenant):
    StudyFactory.create_batch(100, cro=tenant.cro, sponsor=tenant.sponsor)
    api_client.force_login(tenant.pm)

    response = api_client.get(LIST_URL, {"page_size": 1000})

    assert response.json()["count"] == 101
    assert len(response.json()["results"]) == 100
    assert response.json()["next"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow_with_rows(
    api_client, tenant, rows, django_assert_max_num_queries
):
    for study in StudyFactory.create_batch(rows - 1, cro=tenant.cro, sponsor=tenant.sponsor):
        StudySiteFactory(study=study)
    api_client.force_login(tenant.pm)

    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        response = api_client.get(LIST_URL, {"page_size": 100})

    assert len(response.json()["results"]) == rows
    assert {row["site_count"] for row in response.json()["results"]} == {1}
