import datetime as dt

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.selectors import organization_roles
from core.panels import panels_for
from safety import panels
from safety.models import AdverseEvent, AdverseEventStatus
from tests.factories import SubjectFactory
from tests.factories.safety import AdverseEventFactory, SeriousAdverseEventFactory
from tests.safety.conftest import NOW

pytestmark = pytest.mark.django_db
LIST_URL = reverse("adverse_event_list")


def grow(tenant, n: int) -> None:
    for i in range(n):
        subject = SubjectFactory(study_site=tenant.study_site)
        SeriousAdverseEventFactory(subject=subject, recorded_by=tenant.coordinator)
        AdverseEventFactory(subject=subject, recorded_by=tenant.coordinator, term=f"Rash {i}")


@pytest.mark.parametrize("extra", [2, 20])
def test_list_query_count_is_constant(
    client, tenant, safety_user, extra, django_assert_max_num_queries
):
    grow(tenant, extra)
    for user in (tenant.coordinator, safety_user, tenant.cra, tenant.sponsor_viewer):
        client.force_login(user)
        with django_assert_max_num_queries(12):
            response = client.get(LIST_URL, {"ordering": "due_at"})
        assert response.status_code == 200
        assert "Rash 0" in response.content.decode()


@pytest.mark.parametrize("extra", [1, 15])
def test_dashboard_panels_show_the_work_in_one_query(
    rf, tenant, safety_user, extra, django_assert_num_queries
):
    grow(tenant, extra)
    submitted = SeriousAdverseEventFactory(
        subject=tenant.subject,
        recorded_by=tenant.coordinator,
        term="Anaphylaxis",
        status=AdverseEventStatus.REPORTED,
        reported_at=dt.datetime(2026, 2, 2, 12, 0, tzinfo=dt.UTC),
        reported_by=tenant.coordinator,
    )
    for user, build, template in (
        (tenant.coordinator, panels.sae_clocks_panel, "safety/panels/sae_clocks.html"),
        (safety_user, panels.sae_to_acknowledge_panel, "safety/panels/sae_to_acknowledge.html"),
    ):
        request = rf.get("/")
        request.user = user
        organization_roles(user)  # the dashboard has loaded the roles already
        with django_assert_num_queries(1):
            context = build(request)
            html = render_to_string(template, {"panel": context})
        if build is panels.sae_clocks_panel:
            assert context["count"] == extra
            assert "Overdue by" in html and "Anaphylaxis" not in html
        else:
            assert context["count"] == 1
            assert "Anaphylaxis" in html and submitted.reference in html


def test_dashboard_panels_are_registered_for_the_right_people(tenant, safety_user):
    site_panels = {p.name for p in panels_for("site", {"coordinator"})}
    cro_safety = {p.name for p in panels_for("cro", {"safety"})}
    cro_cra = {p.name for p in panels_for("cro", {"cra"})}
    assert "SAE clocks running" in site_panels and "SAEs to acknowledge" not in site_panels
    assert "SAEs to acknowledge" in cro_safety and "SAE clocks running" not in cro_safety
    assert not {"SAEs to acknowledge", "SAE clocks running"} & cro_cra


def test_list_filters_by_serious_status_and_late(client, tenant, other_tenant):
    draft = SeriousAdverseEventFactory(subject=tenant.subject, recorded_by=tenant.coordinator)
    late = SeriousAdverseEventFactory(
        subject=tenant.subject,
        recorded_by=tenant.coordinator,
        term="Syncope",
        status=AdverseEventStatus.REPORTED,
        reported_at=dt.datetime(2026, 2, 4, 9, 0, tzinfo=dt.UTC),
        reported_by=tenant.coordinator,
        is_late=True,
    )
    mild = AdverseEventFactory(subject=tenant.subject, recorded_by=tenant.coordinator)
    theirs = AdverseEventFactory(subject=other_tenant.subject, recorded_by=other_tenant.coordinator)
    client.force_login(tenant.coordinator)

    def shown(**params) -> set[str]:
        body = client.get(LIST_URL, params).content.decode()
        return {ae.term for ae in (draft, late, mild, theirs) if ae.term in body}

    assert shown() == {draft.term, late.term, mild.term}
    assert shown(serious="yes") == {draft.term, late.term}
    assert shown(serious="no") == {mild.term}
    assert shown(late="yes") == {late.term}
    assert shown(status="draft") == {draft.term}
    assert shown(study=tenant.study.pk, site=tenant.site.pk) == {draft.term, late.term, mild.term}
    body = client.get(LIST_URL, {"late": "yes"}).content.decode()
    assert "Reported late, 1 d 0 h after due" in body


@time_machine.travel(NOW, tick=False)
def test_coordinator_reports_an_sae_from_the_subject_and_sees_its_clock(client, tenant):
    client.force_login(tenant.coordinator)
    url = f"{reverse('adverse_event_new')}?subject={tenant.subject.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert tenant.subject.subject_identifier in page.content.decode()

    response = client.post(
        url,
        {
            "term": "Pneumonia",
            "onset_date": "2026-03-09",
            "severity": "severe",
            "seriousness_criteria": ["hospitalization", "life_threatening"],
            "awareness_at": "2026-03-10T08:00",  # the coordinator's zone is UTC
            "relatedness": "possible",
            "outcome": "recovering",
            "action": "save",
        },
    )
    ae = AdverseEvent.objects.get()
    assert response.status_code == 302 and response.url == ae.get_absolute_url()
    assert ae.status == AdverseEventStatus.DRAFT
    assert ae.due_at == dt.datetime(2026, 3, 11, 8, 0, tzinfo=dt.UTC)
    detail = client.get(ae.get_absolute_url()).content.decode()
    assert "20 h 00 min left" in detail
    assert "Submit SAE report to CRO" in detail
    assert "Acknowledge receipt" not in detail

    response = client.post(reverse("adverse_event_submit", args=[ae.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Reported within 24 h" in response.content.decode()
    assert AdverseEvent.objects.get().status == AdverseEventStatus.REPORTED


def test_awareness_is_read_in_the_users_time_zone(client, tenant):
    tenant.coordinator.time_zone = "America/Chicago"
    tenant.coordinator.save()
    client.force_login(tenant.coordinator)
    with time_machine.travel(NOW, tick=False):
        client.post(
            f"{reverse('adverse_event_new')}?subject={tenant.subject.pk}",
            {
                "term": "Stroke",
                "onset_date": "2026-03-09",
                "severity": "severe",
                "seriousness_criteria": ["disability"],
                "awareness_at": "2026-03-10T05:30",  # CDT (UTC−5 from 8 March) → 10:30 UTC
                "relatedness": "unlikely",
                "outcome": "not_recovered",
                "action": "submit",
            },
        )
    ae = AdverseEvent.objects.get()
    assert ae.awareness_at == dt.datetime(2026, 3, 10, 10, 30, tzinfo=dt.UTC)
    assert ae.status == AdverseEventStatus.REPORTED


@time_machine.travel(NOW, tick=False)
def test_bad_input_shows_errors_next_to_fields_and_keeps_what_was_typed(client, tenant):
    client.force_login(tenant.coordinator)
    response = client.post(
        f"{reverse('adverse_event_new')}?subject={tenant.subject.pk}",
        {
            "term": "Fracture of left wrist",
            "onset_date": "2026-03-12",
            "severity": "moderate",
            "seriousness_criteria": ["other_important"],
            "relatedness": "not_related",
            "outcome": "recovering",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "The onset date cannot be in the future." in body
    assert "A serious event needs the date and time the site became aware of it." in body
    assert 'value="Fracture of left wrist"' in body
    assert AdverseEvent.objects.count() == 0


def test_cro_people_cannot_open_the_report_form(client, tenant, safety_user):
    for user in (tenant.cra, safety_user, tenant.sponsor_viewer):
        client.force_login(user)
        url = f"{reverse('adverse_event_new')}?subject={tenant.subject.pk}"
        assert client.get(url).status_code == 403
        assert client.post(url, {"term": "X"}).status_code == 403
    assert AdverseEvent.objects.count() == 0


def test_safety_acknowledges_in_place_with_htmx(client, tenant, safety_user):
    ae = SeriousAdverseEventFactory(
        subject=tenant.subject,
        recorded_by=tenant.coordinator,
        status=AdverseEventStatus.REPORTED,
        reported_at=dt.datetime(2026, 2, 2, 12, 0, tzinfo=dt.UTC),
        reported_by=tenant.coordinator,
    )
    client.force_login(tenant.coordinator)
    assert "Acknowledge receipt" not in client.get(ae.get_absolute_url()).content.decode()
    assert client.post(reverse("adverse_event_acknowledge", args=[ae.pk])).status_code == 403

    client.force_login(safety_user)
    assert "Acknowledge receipt" in client.get(ae.get_absolute_url()).content.decode()
    response = client.post(
        reverse("adverse_event_acknowledge", args=[ae.pk]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="status-card"' in body and "<html" not in body
    assert "Acknowledged" in body and "Alpha Safety Officer" in body
    again = client.post(reverse("adverse_event_acknowledge", args=[ae.pk]), HTTP_HX_REQUEST="true")
    assert again.status_code == 409
    assert "cannot become acknowledged" in again.content.decode()


def test_follow_up_and_correction_from_the_detail_page(client, tenant):
    client.force_login(tenant.coordinator)
    recorded = AdverseEventFactory(
        subject=tenant.subject, recorded_by=tenant.coordinator, term="Nausia"
    )
    response = client.post(
        reverse("adverse_event_correct", args=[recorded.pk]),
        {
            "fix-term": "Nausea",
            "fix-onset_date": "2026-02-01",
            "fix-severity": "mild",
            "fix-relatedness": "unlikely",
            "fix-outcome": "recovered",
        },
    )
    assert response.status_code == 400  # no reason
    assert "This field is required." in response.content.decode()
    response = client.post(
        reverse("adverse_event_correct", args=[recorded.pk]),
        {
            "fix-term": "Nausea",
            "fix-onset_date": "2026-02-01",
            "fix-severity": "mild",
            "fix-relatedness": "unlikely",
            "fix-outcome": "recovered",
            "fix-reason": "spelling",
        },
    )
    assert response.status_code == 302
    assert AdverseEvent.objects.get(pk=recorded.pk).term == "Nausea"
    audit = client.get(reverse("adverse_event_audit", args=[recorded.pk])).content.decode()
    assert "spelling" in audit and "Nausia" in audit

    sae = SeriousAdverseEventFactory(
        subject=tenant.subject,
        recorded_by=tenant.coordinator,
        status=AdverseEventStatus.REPORTED,
        reported_at=dt.datetime(2026, 2, 2, 12, 0, tzinfo=dt.UTC),
        reported_by=tenant.coordinator,
    )
    response = client.post(
        reverse("adverse_event_follow_up", args=[sae.pk]),
        {
            "fu-term": sae.term,
            "fu-onset_date": "2026-02-01",
            "fu-severity": "severe",
            "fu-seriousness_criteria": ["hospitalization"],
            "fu-awareness_at": "2026-02-06T10:00",
            "fu-relatedness": "probable",
            "fu-outcome": "recovered",
            "action": "submit",
        },
    )
    follow_up = AdverseEvent.objects.get(initial=sae)
    assert response.status_code == 302 and response.url == follow_up.get_absolute_url()
    page = client.get(sae.get_absolute_url()).content.decode()
    assert f"AE-{sae.pk} FU1" in page and "Follow-up 1" in page
