import datetime as dt

import pytest
import time_machine
from django.db import ProgrammingError, transaction

from accounts.models import Role
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.models import Notification
from regulatory.models import DocumentVersion, ReviewStatus
from regulatory.selectors import SlotStatus, document_slots, version_status
from regulatory.services import (
    document_expiry_remind,
    document_requirement_add,
    document_requirement_retire,
    document_version_approve,
    document_version_reject,
    document_version_upload,
)
from tests.factories import member
from tests.factories.regulatory import DocumentRequirementFactory, document_type
from tests.regulatory.conftest import pdf
from trials.models import StudySiteStatus

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def delegation_log(tenant):
    return DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("delegation_log"), created_by=tenant.pm
    )


def _upload(tenant, requirement, **kwargs):
    kwargs.setdefault("file", pdf())
    return document_version_upload(
        actor=kwargs.pop("actor", tenant.coordinator),
        study_site=tenant.study_site,
        requirement=requirement,
        **kwargs,
    )


@pytest.mark.django_db
def test_requirements_are_managed_by_cro_roles_only(tenant, regulatory):
    gcp = document_type("gcp_certificate")
    requirement = document_requirement_add(actor=regulatory, study=tenant.study, document_type=gcp)
    assert requirement.scope == "investigators"  # the type's default

    with pytest.raises(ApplicationError):
        document_requirement_add(actor=tenant.pm, study=tenant.study, document_type=gcp)
    for outsider in (tenant.coordinator, tenant.cra, tenant.sponsor_viewer):
        with pytest.raises(PermissionDenied):
            document_requirement_add(
                actor=outsider,
                study=tenant.study,
                document_type=document_type("irb_amendment"),
                qualifier="Amendment 1",
            )
    with pytest.raises(ApplicationError):
        document_requirement_retire(actor=tenant.pm, requirement=requirement, reason=" ")
    document_requirement_retire(actor=tenant.pm, requirement=requirement, reason="Not needed")
    requirement.refresh_from_db()
    assert requirement.is_active is False


@pytest.mark.django_db
def test_new_upload_supersedes_and_versions_are_immutable(tenant, delegation_log):
    first = _upload(tenant, delegation_log)
    second = _upload(tenant, delegation_log, file=pdf("v2.pdf"))

    first.refresh_from_db()
    assert (first.version_number, second.version_number) == (1, 2)
    assert first.superseded_at is not None and second.superseded_at is None
    assert second.document.current_version == second
    # The database refuses to change a stored file or delete a version.
    with pytest.raises(ProgrammingError), transaction.atomic():
        DocumentVersion.objects.filter(pk=first.pk).update(sha256="0" * 64)
    with pytest.raises(ProgrammingError), transaction.atomic():
        DocumentVersion.objects.filter(pk=first.pk).delete()
    # A superseded version can no longer be reviewed.
    with pytest.raises(TransitionNotAllowed):
        document_version_approve(actor=member(tenant.cro, Role.REGULATORY), version=first)


@pytest.mark.django_db
def test_only_site_staff_upload(tenant, delegation_log, regulatory):
    for actor in (tenant.pm, regulatory, tenant.cra, tenant.sponsor_viewer):
        with pytest.raises(PermissionDenied):
            _upload(tenant, delegation_log, actor=actor)
    assert _upload(tenant, delegation_log, actor=tenant.investigator).version_number == 1


@pytest.mark.django_db
def test_closed_site_documents_are_read_only(tenant, delegation_log):
    tenant.study_site.status = StudySiteStatus.CLOSED
    tenant.study_site.save()
    with pytest.raises(TransitionNotAllowed):
        _upload(tenant, delegation_log)


@pytest.mark.django_db
def test_review_by_regulatory_specialist_only(
    tenant, delegation_log, regulatory, django_capture_on_commit_callbacks
):
    version = _upload(tenant, delegation_log)
    for actor in (tenant.pm, tenant.cra, tenant.coordinator, tenant.sponsor_viewer):
        with pytest.raises(PermissionDenied):
            document_version_approve(actor=actor, version=version)
    with pytest.raises(ApplicationError) as error:
        document_version_reject(actor=regulatory, version=version, reason="")
    assert "reason" in error.value.fields

    with django_capture_on_commit_callbacks(execute=True):
        rejected = document_version_reject(
            actor=regulatory, version=version, reason="Unsigned page 2"
        )
    assert rejected.status == ReviewStatus.REJECTED
    assert rejected.reviewed_by == regulatory
    with pytest.raises(TransitionNotAllowed):
        document_version_approve(actor=regulatory, version=version)
    # The uploader is told why.
    note = Notification.objects.get(recipient=tenant.coordinator, kind="document_rejected")
    assert "Unsigned page 2" in note.body

    approved = document_version_approve(
        actor=regulatory, version=_upload(tenant, delegation_log, file=pdf("signed.pdf"))
    )
    assert approved.status == ReviewStatus.APPROVED


@pytest.mark.django_db
def test_personal_documents_are_owed_by_each_investigator(tenant, regulatory):
    sub_investigator = member(tenant.site, Role.INVESTIGATOR, full_name="Alpha Sub-Investigator")
    tenant.study_site.principal_investigator = tenant.investigator
    tenant.study_site.save()
    cv = document_requirement_add(
        actor=regulatory, study=tenant.study, document_type=document_type("investigator_cv")
    )
    slots = document_slots(tenant.study_site)
    assert [s.person for s in slots] == [tenant.investigator, sub_investigator]

    with pytest.raises(ApplicationError):
        _upload(tenant, cv, person=tenant.coordinator)  # not an investigator
    _upload(tenant, cv, person=sub_investigator)
    statuses = {s.person: s.status for s in document_slots(tenant.study_site)}
    assert statuses == {tenant.investigator: "missing", sub_investigator: "submitted"}


@pytest.mark.django_db
def test_expiring_documents_need_an_expiry_date_in_the_future(tenant, regulatory):
    licence = document_requirement_add(
        actor=regulatory,
        study=tenant.study,
        document_type=document_type("medical_licence"),
        scope="pi",
    )
    with pytest.raises(ApplicationError) as error:
        _upload(tenant, licence)
    assert "person" in error.value.fields  # no PI named yet
    tenant.study_site.principal_investigator = tenant.investigator
    tenant.study_site.save()
    with pytest.raises(ApplicationError) as error:
        _upload(tenant, licence)
    assert "expires_on" in error.value.fields
    with time_machine.travel(TODAY, tick=False):
        with pytest.raises(ApplicationError):
            _upload(tenant, licence, expires_on=TODAY)
        version = _upload(tenant, licence, expires_on=TODAY + dt.timedelta(days=90))
    assert version.document.person == tenant.investigator


@pytest.mark.django_db
def test_expiry_states_follow_the_calendar(tenant, delegation_log, regulatory):
    with time_machine.travel(TODAY, tick=False):
        version = _upload(tenant, delegation_log, expires_on=TODAY + dt.timedelta(days=61))
        document_version_approve(actor=regulatory, version=version)
    version.refresh_from_db()
    assert version_status(version, TODAY) == SlotStatus.APPROVED
    assert version_status(version, TODAY + dt.timedelta(days=1)) == SlotStatus.EXPIRING
    assert version_status(version, TODAY + dt.timedelta(days=60)) == SlotStatus.EXPIRING
    assert version_status(version, TODAY + dt.timedelta(days=61)) == SlotStatus.EXPIRED
    with time_machine.travel(TODAY + dt.timedelta(days=70), tick=False):
        assert document_slots(tenant.study_site)[0].status == SlotStatus.EXPIRED


@pytest.mark.django_db
def test_expiry_reminders_at_60_30_7_days_and_expiry_once_each(
    tenant, delegation_log, regulatory, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(TODAY, tick=False):
        version = _upload(tenant, delegation_log, expires_on=TODAY + dt.timedelta(days=100))
        document_version_approve(actor=regulatory, version=version)
    mailoutbox.clear()
    recipients = {tenant.coordinator.pk, tenant.site_admin.pk, regulatory.pk}

    def run(days_before_expiry: int) -> set[int]:
        day = version.expires_on - dt.timedelta(days=days_before_expiry)
        with time_machine.travel(day, tick=False), django_capture_on_commit_callbacks(execute=True):
            document_expiry_remind(today=day)
        return set(
            Notification.objects.filter(kind="document_expiry").values_list(
                "recipient_id", flat=True
            )
        )

    assert run(61) == set()
    assert run(60) == recipients
    assert Notification.objects.filter(kind="document_expiry").count() == 3
    run(59)
    run(45)  # daily beats in the same step send nothing new
    assert Notification.objects.filter(kind="document_expiry").count() == 3
    run(30)
    run(7)
    run(7)
    run(0)
    run(-1)
    titles = list(
        Notification.objects.filter(
            kind="document_expiry", recipient=tenant.coordinator
        ).values_list("title", flat=True)
    )
    assert len(titles) == 4
    assert sum(t.startswith("Expired") for t in titles) == 1
    assert len(mailoutbox) == 12


def test_expiry_reminders_skip_deactivated_accounts(tenant, delegation_log, regulatory):
    with time_machine.travel(TODAY, tick=False):
        version = _upload(tenant, delegation_log, expires_on=TODAY + dt.timedelta(days=100))
        document_version_approve(actor=regulatory, version=version)
    tenant.site_admin.is_active = False
    tenant.site_admin.save(update_fields=["is_active"])

    document_expiry_remind(today=version.expires_on - dt.timedelta(days=60))

    assert set(
        Notification.objects.filter(kind="document_expiry").values_list("recipient_id", flat=True)
    ) == {tenant.coordinator.pk, regulatory.pk}
