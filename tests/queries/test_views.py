import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pghistory.models import Events

from accounts.models import Role
from accounts.selectors import organization_roles
from queries import selectors, services
from queries.models import DataQuery, DataQueryStatus
from tests.factories import (
    CROFactory,
    StudyFactory,
    StudySiteFactory,
    SubjectFactory,
    member,
)
from tests.factories.queries import DataQueryFactory

pytestmark = pytest.mark.django_db


def _grow(tenant, n: int) -> None:
    """n more queries at the tenant's site, half of them on other subjects and answered."""
    for index in range(n):
        subject = SubjectFactory(study_site=tenant.study_site) if index % 2 else tenant.subject
        query = DataQueryFactory(subject=subject, raised_by=tenant.cra)
        if index % 2:
            services.data_query_answer(actor=tenant.coordinator, data_query=query, text="Done.")


@pytest.mark.parametrize("extra", [2, 25])
@pytest.mark.parametrize("who", ["coordinator", "cra", "pm", "sponsor_viewer"])
def test_list_query_count_is_constant(client, tenant, extra, who, django_assert_max_num_queries):
    _grow(tenant, extra)
    client.force_login(getattr(tenant, who))
    with django_assert_max_num_queries(14):
        response = client.get("/queries/?ordering=waiting_since")
    assert response.status_code == 200
    assert tenant.subject.subject_identifier in response.content.decode()


def test_the_site_sees_every_cros_queries_and_each_cro_only_its_own(client, tenant):
    other_cro = CROFactory(name="Gamma CRO")
    other_study = StudyFactory(cro=other_cro, protocol_number="GAMMA-7")
    other_site = StudySiteFactory(study=other_study, site=tenant.site, site_number="7")
    gamma_cra = member(other_cro, Role.CRA)
    other_site.assigned_cras.add(gamma_cra)
    gamma_subject = SubjectFactory(study_site=other_site, subject_identifier="G-7-001")
    services.data_query_raise(
        actor=gamma_cra, subject=gamma_subject, form_name="ECG", text="QTc value missing"
    )
    DataQueryFactory(subject=tenant.subject, raised_by=tenant.cra, text="Alpha weight check")

    client.force_login(tenant.coordinator)
    page = client.get("/queries/").content.decode()
    assert "QTc value missing" in page and "Alpha weight check" in page

    client.force_login(tenant.cra)
    page = client.get("/queries/").content.decode()
    assert "Alpha weight check" in page and "QTc value missing" not in page


def test_filters_by_waiting_side_status_site_and_age(client, tenant):
    DataQueryFactory(subject=tenant.subject, raised_by=tenant.cra, text="Q-site")
    waiting_cro = DataQueryFactory(subject=tenant.subject, raised_by=tenant.cra, text="Q-cro")
    services.data_query_answer(actor=tenant.coordinator, data_query=waiting_cro, text="Done.")
    client.force_login(tenant.coordinator)

    def shown(query_string: str) -> set[str]:
        body = client.get(f"/queries/?{query_string}").content.decode()
        return {text for text in ("Q-site", "Q-cro") if text in body}

    assert shown("waiting_on=site") == {"Q-site"}
    assert shown("waiting_on=cro") == {"Q-cro"}
    assert shown("status=answered") == {"Q-cro"}
    assert shown(f"study_site={tenant.study_site.pk}") == {"Q-site", "Q-cro"}
    assert shown("min_age_days=5") == set()


def test_cra_raises_a_query_from_the_subject_link(client, tenant):
    client.force_login(tenant.cra)
    url = f"/queries/new/?subject={tenant.subject.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert f"Raise a query on {tenant.subject.subject_identifier}" in page.content.decode()

    response = client.post(
        url,
        {
            "subject_visit": tenant.subject_visit.pk,
            "form_name": "Vital signs",
            "field_name": "Pulse",
            "text": "Pulse 400 bpm: please check.",
        },
    )

    query = DataQuery.objects.get()
    assert response.status_code == 302 and response.url == f"/queries/{query.pk}/"
    assert (query.subject_visit, query.field_name) == (tenant.subject_visit, "Pulse")


def test_raise_form_keeps_input_and_shows_errors_next_to_fields(client, tenant):
    client.force_login(tenant.cra)
    response = client.post(
        f"/queries/new/?subject={tenant.subject.pk}", {"form_name": "Labs", "text": ""}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'value="Labs"' in body and "invalid-feedback" in body
    assert not DataQuery.objects.exists()


def test_site_staff_cannot_open_the_raise_form(client, tenant):
    client.force_login(tenant.coordinator)
    assert client.get(f"/queries/new/?subject={tenant.subject.pk}").status_code == 403


def test_another_tenants_subject_is_not_found(client, tenant, other_tenant):
    client.force_login(other_tenant.cra)
    assert client.get(f"/queries/new/?subject={tenant.subject.pk}").status_code == 404


def test_subject_lookup_leads_to_the_raise_form(client, tenant):
    client.force_login(tenant.cra)
    response = client.get(
        "/queries/new/",
        {"study": tenant.study.pk, "subject_identifier": tenant.subject.subject_identifier},
    )
    assert response.status_code == 302
    assert response.url == f"/queries/new/?subject={tenant.subject.pk}"
    missing = client.get("/queries/new/", {"study": tenant.study.pk, "subject_identifier": "NOPE"})
    assert "No subject with this id" in missing.content.decode()


def test_detail_shows_thread_aging_and_only_the_allowed_actions(client, tenant, query):
    client.force_login(tenant.coordinator)
    body = client.get(f"/queries/{query.pk}/").content.decode()
    assert "Systolic BP 310 looks like a typo" in body
    assert f"/queries/{query.pk}/answer/" in body
    assert f"/queries/{query.pk}/close/" not in body

    client.force_login(tenant.cra)
    body = client.get(f"/queries/{query.pk}/").content.decode()
    assert f"/queries/{query.pk}/cancel/" in body
    assert f"/queries/{query.pk}/answer/" not in body


def test_htmx_answer_swaps_the_panel(client, tenant, query):
    client.force_login(tenant.coordinator)
    response = client.post(
        f"/queries/{query.pk}/answer/",
        {"answer-text": "Typo, corrected to 130."},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="query-panel"' in body
    assert "Typo, corrected to 130." in body and "waits on the CRO" in body
    query.refresh_from_db()
    assert query.status == DataQueryStatus.ANSWERED


def test_a_refused_transition_shows_the_reason_and_changes_nothing(client, tenant, query):
    services.data_query_cancel(actor=tenant.cra, data_query=query, text="Wrong subject.")
    client.force_login(tenant.coordinator)
    response = client.post(f"/queries/{query.pk}/answer/", {"answer-text": "Late answer"})
    assert response.status_code == 400
    assert "it cannot be answered now" in response.content.decode()
    assert query.messages.count() == 2


def test_a_wrong_role_gets_403(client, tenant, query):
    client.force_login(tenant.cra)
    response = client.post(f"/queries/{query.pk}/answer/", {"answer-text": "I answer myself"})
    assert response.status_code == 403
    assert query.messages.count() == 1


def test_import_page_reports_each_refused_line(client, tenant):
    client.force_login(tenant.cra)
    assert client.get("/queries/import/").status_code == 200
    subject = tenant.subject.subject_identifier
    content = (
        "subject_id,visit_code,form,field,text,external_id\n"
        f"{subject},,Labs,,Potassium missing,EDC-10\n"
        f"{subject},,Labs,,,EDC-11\n"
    )
    response = client.post(
        "/queries/import/",
        {"study": tenant.study.pk, "file": SimpleUploadedFile("x.csv", content.encode())},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>1</strong> query imported" in body
    assert "<td>3</td><td>missing text</td>" in body
    assert DataQuery.objects.get().external_id == "EDC-10"


def test_import_page_tells_site_staff_it_is_not_theirs(client, tenant):
    client.force_login(tenant.coordinator)
    body = client.get("/queries/import/").content.decode()
    assert "Only a CRA or data manager" in body


def test_dashboards_show_the_query_panels(client, tenant, query):
    client.force_login(tenant.coordinator)
    body = client.get("/").content.decode()
    assert "Queries to answer" in body and f"/queries/{query.pk}/" in body

    services.data_query_answer(actor=tenant.coordinator, data_query=query, text="Fixed.")
    client.force_login(tenant.cra)
    body = client.get("/").content.decode()
    assert "Answered queries to review" in body and f"/queries/{query.pk}/" in body


@pytest.mark.parametrize("extra", [2, 25])
def test_dashboard_panels_keep_a_constant_query_count(
    client, tenant, extra, django_assert_max_num_queries
):
    _grow(tenant, extra)
    for user in (tenant.coordinator, tenant.cra):
        client.force_login(user)
        with django_assert_max_num_queries(30):
            assert client.get("/").status_code == 200


@pytest.mark.parametrize("extra", [2, 25])
def test_each_panel_costs_three_sql_queries(tenant, extra, django_assert_num_queries):
    _grow(tenant, extra)
    waiting_on_site = (extra + 1) // 2
    organization_roles(tenant.coordinator)  # cached per request by the middleware
    organization_roles(tenant.cra)
    # the rows with their total, then the studies and the study-sites they show
    with django_assert_num_queries(3):
        to_answer = selectors.panel_queries_to_answer(actor=tenant.coordinator)
    with django_assert_num_queries(3):
        to_review = selectors.panel_answers_to_review(actor=tenant.cra)
    assert to_answer["count"] == waiting_on_site and len(to_answer["rows"]) == min(
        5, waiting_on_site
    )
    assert to_review["count"] == extra - waiting_on_site


def test_cancelling_through_the_page_records_who_and_why_in_the_audit_trail(client, tenant, query):
    client.force_login(tenant.cra)
    response = client.post(f"/queries/{query.pk}/cancel/", {"cancel-text": "Wrong subject"})
    assert response.status_code == 302
    event = (
        Events.objects.tracks(query).filter(pgh_label="update").order_by("-pgh_created_at").first()
    )
    assert event.pgh_diff["status"] == ["open", "cancelled"]
    assert event.pgh_context["user"] == tenant.cra.pk
    assert event.pgh_context["reason"] == "Wrong subject"


def test_site_filter_lists_one_studys_sites_when_there_are_too_many(client, tenant, monkeypatch):
    from queries import views

    monkeypatch.setattr(views, "SITE_CHOICES_MAX", 1)
    second = StudySiteFactory(study=tenant.study, site_number="902")
    other_study = StudyFactory(cro=tenant.cro, protocol_number="ALPHA-OTHER")
    StudySiteFactory(study=other_study, site_number="903")
    DataQueryFactory(subject=tenant.subject, raised_by=tenant.cra, text="Q-first-site")
    client.force_login(tenant.pm)

    def site_options(query_string: str) -> list[str]:
        body = client.get(f"/queries/?{query_string}").content.decode()
        select = body.split('name="study_site"', 1)[1].split("</select>", 1)[0]
        return [v for v in select.split('value="')[1:] if not v.startswith('"')]

    page = client.get("/queries/").content.decode()
    assert "All sites (choose a study to list its sites)" in page
    assert site_options("") == []
    assert sorted(int(v.split('"')[0]) for v in site_options(f"study={tenant.study.pk}")) == [
        tenant.study_site.pk,
        second.pk,
    ]
    # A link that names a study-site (the start-up checklist's) still filters by it.
    body = client.get(f"/queries/?study_site={tenant.study_site.pk}").content.decode()
    assert "Q-first-site" in body
    assert [v.split('"')[0] for v in site_options(f"study_site={tenant.study_site.pk}")] == [
        str(tenant.study_site.pk)
    ]
