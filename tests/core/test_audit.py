import pytest
from pghistory.models import Events

from core.audit import audit_trail, require_reason
from core.exceptions import ApplicationError
from trials.services import study_update


@pytest.mark.django_db
def test_an_edit_through_a_page_records_user_path_and_reason(client, tenant):
    client.force_login(tenant.pm)
    response = client.post(
        f"/studies/{tenant.study.pk}/edit/",
        {
            "edit-title": "A corrected title",
            "edit-phase": "3",
            "edit-therapeutic_area": "Cardiology",
            "edit-planned_sites": "12",
            "edit-planned_subjects": "240",
            "edit-reason": "Protocol amendment 2 changed the phase",
        },
    )
    assert response.status_code == 302
    event = (
        Events.objects.tracks(tenant.study).filter(pgh_label="update").order_by("-pgh_created_at")
    ).first()
    assert event.pgh_diff["title"][1] == "A corrected title"
    assert event.pgh_context["user"] == tenant.pm.pk
    assert event.pgh_context["reason"] == "Protocol amendment 2 changed the phase"
    assert event.pgh_context["url"] == f"/studies/{tenant.study.pk}/edit/"
    assert event.pgh_context["organization"] == tenant.cro.pk


@pytest.mark.django_db
def test_audit_page_shows_who_what_and_why(client, tenant):
    client.force_login(tenant.pm)
    client.post(
        f"/studies/{tenant.study.pk}/edit/",
        {
            "edit-title": "Renamed study",
            "edit-phase": "2",
            "edit-therapeutic_area": "Cardiology",
            "edit-planned_sites": "10",
            "edit-planned_subjects": "100",
            "edit-reason": "Sponsor asked for the new name",
        },
    )
    page = client.get(f"/studies/{tenant.study.pk}/audit/").content.decode()
    assert "Sponsor asked for the new name" in page
    assert "Renamed study" in page
    assert tenant.pm.full_name in page
    assert "UTC" in page


@pytest.mark.django_db
def test_study_site_trail_includes_subjects_and_visits(tenant):
    entries = audit_trail(tenant.study_site, tenant.study_site.subjects.all())
    records = {e.record for e in entries}
    assert {"Study site", "Subject", "Subject visit"} <= records


@pytest.mark.django_db
def test_edit_without_reason_is_refused_and_nothing_changes(tenant):
    with pytest.raises(ApplicationError):
        study_update(actor=tenant.pm, study=tenant.study, reason="  ", title="Sneaky")
    tenant.study.refresh_from_db()
    assert tenant.study.title != "Sneaky"


def test_require_reason_strips_and_refuses_empty():
    assert require_reason("  because ") == "because"
    with pytest.raises(ApplicationError):
        require_reason("")


@pytest.mark.django_db
def test_celery_task_context_names_the_task(tenant):
    from config.celery import app

    @app.task(name="tests.rename_study")
    def rename(study_id):
        from trials.models import Study

        Study.objects.filter(pk=study_id).update(title="Renamed by task")

    rename.apply(args=[tenant.study.pk])
    event = Events.objects.tracks(tenant.study).order_by("-pgh_created_at").first()
    assert event.pgh_context["task"] == "tests.rename_study"


@pytest.mark.django_db
def test_trial_records_cannot_be_deleted(tenant):
    from django.db import transaction

    from tests.factories import SubjectFactory
    from trials.models import Subject

    lone = SubjectFactory(study_site=tenant.study_site)  # nothing references it
    with pytest.raises(Exception, match="no_delete"), transaction.atomic():
        Subject.objects.filter(pk=lone.pk).delete()
    assert Subject.objects.filter(pk=lone.pk).exists()


@pytest.mark.django_db
def test_audit_events_are_append_only(tenant):
    from django.apps import apps
    from django.db import transaction

    tenant.study.title = "x"
    tenant.study.save()
    study_event = apps.get_model("trials", "StudyEvent")
    with pytest.raises(Exception, match="append_only"), transaction.atomic():
        study_event.objects.all().update(title="rewritten history")
    assert not study_event.objects.filter(title="rewritten history").exists()
    assert study_event.objects.filter(title="x").exists()


@pytest.mark.django_db
def test_each_reason_stays_with_its_own_change_within_one_request(tenant):
    import pghistory

    from core.audit import audit_context
    from trials.models import Study

    with pghistory.context(user=tenant.pm.pk, url="/one/request/"):
        with audit_context(reason="first correction"):
            Study.objects.filter(pk=tenant.study.pk).update(title="One")
        with audit_context(reason="second correction"):
            Study.objects.filter(pk=tenant.study.pk).update(title="Two")
        Study.objects.filter(pk=tenant.study.pk).update(title="Three")
    events = {
        e.pgh_data["title"]: e.pgh_context
        for e in Events.objects.tracks(tenant.study).filter(pgh_label="update")
    }
    assert events["One"]["reason"] == "first correction"
    assert events["Two"]["reason"] == "second correction"
    assert "reason" not in events["Three"]
    assert {events[t]["url"] for t in ("One", "Two", "Three")} == {"/one/request/"}
    assert {events[t]["user"] for t in ("One", "Two", "Three")} == {tenant.pm.pk}
