"""A closed study-site is read-only: every trials write under it is refused (409 in the API, a
message on the page) and changes nothing."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from core.exceptions import RecordLocked
from tests.api.errors import error_of
from tests.factories import SubjectFactory, SubjectVisitFactory, member
from tests.factories.trials import closed
from trials import services
from trials.models import Milestone, StudySite, SubjectStatus, SubjectVisitStatus

DAY = dt.date(2026, 3, 10)


def _enrolled_subject_with_visits(tenant):
    subject = SubjectFactory(
        study_site=tenant.study_site, status=SubjectStatus.ENROLLED, enrollment_date=DAY
    )
    scheduled = SubjectVisitFactory(subject=subject)
    done = SubjectVisitFactory(
        subject=subject, status=SubjectVisitStatus.COMPLETED, actual_date=dt.date(2026, 2, 1)
    )
    return subject, scheduled, done


WRITES = {
    "subject_register": lambda t, s, v, d: services.subject_register(
        actor=t.coordinator,
        study_site=t.study_site,
        screening_date=DAY,
        consent_date=DAY,
        consent_version="v1",
    ),
    "subject_transition": lambda t, s, v, d: services.subject_transition(
        actor=t.coordinator, subject=s, to_status=SubjectStatus.WITHDRAWN, reason="moved away"
    ),
    "subject_correct": lambda t, s, v, d: services.subject_correct(
        actor=t.coordinator, subject=s, reason="typo", consent_version="v9"
    ),
    "subject_visit_complete": lambda t, s, v, d: services.subject_visit_complete(
        actor=t.coordinator, subject_visit=v, actual_date=dt.date(2026, 2, 1)
    ),
    "subject_visit_miss": lambda t, s, v, d: services.subject_visit_miss(
        actor=t.coordinator, subject_visit=v
    ),
    "subject_visit_correct": lambda t, s, v, d: services.subject_visit_correct(
        actor=t.coordinator, subject_visit=d, reason="wrong subject", status="scheduled"
    ),
    "study_site_assign_cra": lambda t, s, v, d: services.study_site_assign_cra(
        actor=t.pm, study_site=t.study_site, cra=t.cra
    ),
    "milestone_record": lambda t, s, v, d: services.milestone_record(
        actor=t.pm, study_site=t.study_site, kind="siv", actual_date=DAY
    ),
    "study_site_record_agreement": lambda t, s, v, d: services.study_site_record_agreement(
        actor=t.pm, study_site=t.study_site, signed_on=DAY
    ),
    "study_site_reconcile_ip": lambda t, s, v, d: services.study_site_reconcile_ip(
        actor=t.cra, study_site=t.study_site, note="all kits returned"
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_trials_write_under_a_closed_study_site_is_refused(tenant, write, frozen_today):
    subject, scheduled, done = _enrolled_subject_with_visits(tenant)
    closed(tenant.study_site)
    before = (
        StudySite.objects.filter(pk=tenant.study_site.pk).values().get(),
        list(subject.visits.order_by("pk").values()),
        subject.study_site.subjects.count(),
        Milestone.objects.count(),
    )
    with pytest.raises(RecordLocked):
        WRITES[write](tenant, subject, scheduled, done)
    subject.refresh_from_db()
    assert subject.status == SubjectStatus.ENROLLED
    assert before == (
        StudySite.objects.filter(pk=tenant.study_site.pk).values().get(),
        list(subject.visits.order_by("pk").values()),
        subject.study_site.subjects.count(),
        Milestone.objects.count(),
    )


@pytest.mark.django_db
def test_the_api_answers_409_and_the_page_shows_the_message(tenant, frozen_today):
    subject, scheduled, _ = _enrolled_subject_with_visits(tenant)
    closed(tenant.study_site)
    client = APIClient()
    client.force_login(tenant.coordinator)
    response = client.post(
        f"/api/v1/subject-visits/{scheduled.pk}/complete/", {"actual_date": "2026-02-01"}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "read_only"
    scheduled.refresh_from_db()
    assert scheduled.status == SubjectVisitStatus.SCHEDULED

    from django.test import Client

    client = Client()
    client.force_login(tenant.coordinator)
    page = client.post(
        f"/subjects/{subject.pk}/status/",
        {"status-to_status": "withdrawn", "status-reason": "moved away"},
    )
    assert page.status_code == 302
    shown = client.get(page["Location"]).content.decode()
    assert f"{tenant.study_site} is closed; its records are read-only." in shown
    subject.refresh_from_db()
    assert subject.status == SubjectStatus.ENROLLED


@pytest.mark.django_db
def test_a_closed_site_page_offers_no_write_forms(tenant):
    closed(tenant.study_site)
    client = APIClient()
    client.force_login(tenant.pm)
    html = client.get(f"/study-sites/{tenant.study_site.pk}/").content.decode()
    assert "read-only" in html
    assert "Assign a CRA" not in html
    assert "Record signing date" not in html
    subject_page = client.get(f"/subjects/{tenant.subject.pk}/").content.decode()
    assert "This study-site is closed" in subject_page


@pytest.mark.django_db
def test_a_closed_site_subject_page_offers_no_forms_to_the_coordinator(tenant):
    closed(tenant.study_site)
    client = APIClient()
    client.force_login(tenant.coordinator)
    html = client.get(f"/subjects/{tenant.subject.pk}/").content.decode()
    assert "This study-site is closed" in html
    assert "Change status" not in html
    assert "Correct entered data" not in html


@pytest.mark.django_db
def test_study_updates_skip_closed_sites_and_closed_sites_cannot_confirm(tenant):
    from accounts.models import Role
    from tests.factories.trials import second_site, study_update

    other, _ = second_site(tenant)
    update = study_update(tenant)  # to every open site
    assert set(update.recipients.values_list("study_site_id", flat=True)) == {
        tenant.study_site.pk,
        other.pk,
    }
    copy = update.recipients.get(study_site=tenant.study_site)
    closed(tenant.study_site)
    with pytest.raises(RecordLocked):
        services.study_update_confirm(actor=tenant.coordinator, recipient=copy)
    later = study_update(tenant, title="after closing")
    assert list(later.recipients.values_list("study_site_id", flat=True)) == [other.pk]
    investigator = member(tenant.site, Role.INVESTIGATOR)
    with pytest.raises(RecordLocked):
        services.study_update_mark_read(actor=investigator, recipient=copy)
