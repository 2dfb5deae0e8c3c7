import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.models import Notification, Signature
from core.signatures import signature_is_valid
from monitoring import services
from monitoring.models import (
    ActionItem,
    FollowUpLetter,
    MonitoringSettings,
    MonitoringVisit,
    ReportStatus,
    VisitReport,
    VisitStatus,
    VisitType,
)
from tests.factories import PASSWORD, CRAAssignmentFactory, member
from tests.factories.monitoring import FILLED_SECTIONS, fill_report, plan, visit_at
from trials.models import Milestone

pytestmark = pytest.mark.django_db


def test_assigned_cra_plans_and_the_site_is_asked_to_confirm(tenant):
    visit = plan(tenant)
    assert visit.status == VisitStatus.PLANNED
    assert visit.cra == tenant.cra
    titles = Notification.objects.filter(recipient=tenant.coordinator).values_list(
        "title", flat=True
    )
    assert any("Please confirm" in t for t in titles)


@pytest.mark.parametrize("who", ["coordinator", "finance", "sponsor_viewer", "cro_admin"])
def test_only_assigned_cras_and_leads_plan(tenant, who):
    with pytest.raises(PermissionDenied):
        services.visit_plan(
            actor=getattr(tenant, who),
            study_site=tenant.study_site,
            visit_type=VisitType.IMV,
            mode="on_site",
            planned_at=timezone.now() + dt.timedelta(days=3),
        )
    assert not MonitoringVisit.objects.exists()


def test_unassigned_cra_of_the_same_cro_cannot_plan(tenant):
    from accounts.models import Role

    other_cra = member(tenant.cro, Role.CRA)
    with pytest.raises(PermissionDenied):
        plan_as(other_cra, tenant)


def plan_as(user, tenant):
    return services.visit_plan(
        actor=user,
        study_site=tenant.study_site,
        visit_type=VisitType.IMV,
        mode="on_site",
        planned_at=timezone.now() + dt.timedelta(days=3),
    )


def test_study_lead_plans_too(tenant):
    visit = plan_as(tenant.pm, tenant)
    assert visit.cra == tenant.pm


def test_planning_in_the_past_is_refused(tenant):
    with pytest.raises(ApplicationError) as error:
        services.visit_plan(
            actor=tenant.cra,
            study_site=tenant.study_site,
            visit_type=VisitType.IMV,
            mode="on_site",
            planned_at=timezone.now() - dt.timedelta(hours=1),
        )
    assert "planned_at" in error.value.fields


def test_coordinator_confirms_and_the_confirmation_letter_is_sent(
    tenant, django_capture_on_commit_callbacks
):
    visit = plan(tenant, agenda="SDV of subjects 001-004")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        visit = services.visit_confirm(actor=tenant.coordinator, visit=visit)
    assert visit.status == VisitStatus.CONFIRMED
    assert visit.confirmed_by == tenant.coordinator
    letters = Notification.objects.filter(kind="monitoring.visit_confirmation_letter")
    assert {n.recipient for n in letters} >= {tenant.coordinator, tenant.cra}
    assert "SDV of subjects 001-004" in letters.first().body
    assert any("Confirmation letter" in m.subject for m in mail.outbox)


@pytest.mark.parametrize("who", ["cra", "pm", "sponsor_viewer", "finance"])
def test_only_the_site_confirms(tenant, who):
    visit = plan(tenant)
    with pytest.raises(PermissionDenied):
        services.visit_confirm(actor=getattr(tenant, who), visit=visit)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_confirming_twice_is_a_refused_transition(tenant):
    visit = visit_at(tenant, VisitStatus.CONFIRMED)
    with pytest.raises(TransitionNotAllowed):
        services.visit_confirm(actor=tenant.coordinator, visit=visit)


def test_site_proposes_another_date_and_the_cra_accepts(tenant):
    visit = plan(tenant)
    new_date = timezone.now() + dt.timedelta(days=20)
    visit = services.visit_propose_date(
        actor=tenant.coordinator, visit=visit, proposed_at=new_date, note="PI away"
    )
    assert visit.status == VisitStatus.PROPOSED
    with pytest.raises(TransitionNotAllowed):
        services.visit_confirm(actor=tenant.coordinator, visit=visit)
    with pytest.raises(PermissionDenied):
        services.visit_accept_proposal(actor=tenant.coordinator, visit=visit)
    visit = services.visit_accept_proposal(actor=tenant.cra, visit=visit)
    assert visit.status == VisitStatus.CONFIRMED
    assert visit.planned_at == new_date


def test_reschedule_needs_a_reason_and_asks_the_site_again(tenant):
    visit = visit_at(tenant, VisitStatus.CONFIRMED)
    with pytest.raises(ApplicationError):
        services.visit_reschedule(
            actor=tenant.cra,
            visit=visit,
            planned_at=timezone.now() + dt.timedelta(days=5),
            reason="",
        )
    visit = services.visit_reschedule(
        actor=tenant.cra,
        visit=visit,
        planned_at=timezone.now() + dt.timedelta(days=5),
        reason="Monitor ill",
    )
    assert visit.status == VisitStatus.PLANNED
    assert visit.confirmed_at is None


def test_cancel_with_reason_and_nothing_after(tenant):
    visit = plan(tenant)
    with pytest.raises(ApplicationError):
        services.visit_cancel(actor=tenant.cra, visit=visit, reason="  ")
    visit = services.visit_cancel(actor=tenant.cra, visit=visit, reason="Site closed")
    assert visit.status == VisitStatus.CANCELLED
    with pytest.raises(TransitionNotAllowed):
        services.visit_confirm(actor=tenant.coordinator, visit=visit)
    with pytest.raises(TransitionNotAllowed):
        services.visit_cancel(actor=tenant.cra, visit=visit, reason="again")


def test_completed_visit_cannot_be_in_the_future(tenant):
    visit = visit_at(tenant, VisitStatus.CONFIRMED)
    with pytest.raises(ApplicationError) as error:
        services.visit_complete(
            actor=tenant.cra, visit=visit, actual_date=timezone.localdate() + dt.timedelta(days=1)
        )
    assert "actual_date" in error.value.fields
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMED


def test_a_planned_visit_cannot_be_completed(tenant):
    visit = plan(tenant)
    with pytest.raises(TransitionNotAllowed):
        services.visit_complete(actor=tenant.cra, visit=visit, actual_date=timezone.localdate())


def test_completion_sets_the_report_due_date_from_the_study_setting(tenant):
    MonitoringSettings.objects.create(study=tenant.study, report_due_days=5)
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    assert visit.report_due_date == timezone.localdate() + dt.timedelta(days=5)


def test_report_is_due_ten_days_after_the_visit_by_default(tenant):
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    assert visit.report_due_date == timezone.localdate() + dt.timedelta(days=10)


def test_settings_change_needs_a_lead_and_a_reason(tenant):
    with pytest.raises(ApplicationError):
        services.monitoring_settings_update(
            actor=tenant.pm, study=tenant.study, report_due_days=7, reason=""
        )
    with pytest.raises(PermissionDenied):
        services.monitoring_settings_update(
            actor=tenant.cra, study=tenant.study, report_due_days=7, reason="faster"
        )
    row = services.monitoring_settings_update(
        actor=tenant.pm, study=tenant.study, report_due_days=7, reason="Sponsor asks for 7"
    )
    assert row.report_due_days == 7


@pytest.mark.parametrize(("visit_type", "kind"), [(VisitType.SIV, "siv"), (VisitType.COV, "cov")])
def test_completing_siv_and_cov_records_the_milestone(tenant, visit_type, kind):
    visit_at(tenant, VisitStatus.COMPLETED, visit_type=visit_type)
    milestone = Milestone.objects.get(study_site=tenant.study_site, kind=kind)
    assert milestone.actual_date == timezone.localdate()


def test_imv_records_no_milestone(tenant):
    visit_at(tenant, VisitStatus.COMPLETED)
    assert not Milestone.objects.filter(study_site=tenant.study_site).exists()


def test_sections_save_independently_and_validate(tenant):
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    services.visit_report_section_save(
        actor=tenant.cra, visit=visit, section="attendees", data={"names": "PI"}
    )
    services.visit_report_section_save(
        actor=tenant.cra, visit=visit, section="ae_review", data={"summary": "None"}
    )
    report = VisitReport.objects.get(visit=visit)
    assert report.sections["attendees"] == {"names": "PI"}
    assert report.sections["ae_review"] == {"summary": "None"}
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REPORT_DRAFTED
    with pytest.raises(ApplicationError) as error:
        services.visit_report_section_save(
            actor=tenant.cra,
            visit=visit,
            section="sdv",
            data={"data_points_verified": 10, "data_points_total": 5, "visits_reviewed": "x"},
        )
    assert set(error.value.fields) == {"visits_reviewed"}
    with pytest.raises(ApplicationError) as error:
        services.visit_report_section_save(
            actor=tenant.cra,
            visit=visit,
            section="sdv",
            data={"data_points_verified": 10, "data_points_total": 5},
        )
    assert "data_points_verified" in error.value.fields


def test_site_and_pm_cannot_write_the_report(tenant):
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    for user in (tenant.coordinator, tenant.finance, tenant.sponsor_viewer):
        with pytest.raises(PermissionDenied):
            services.visit_report_section_save(
                actor=user, visit=visit, section="attendees", data={"names": "x"}
            )
    assert not VisitReport.objects.exists()


def test_submit_requires_every_required_section(tenant):
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    services.visit_report_section_save(
        actor=tenant.cra, visit=visit, section="attendees", data={"names": "PI"}
    )
    with pytest.raises(ApplicationError) as error:
        services.visit_report_submit(actor=tenant.cra, visit=visit, password=PASSWORD)
    assert "conclusions" in error.value.fields
    assert "attendees" not in error.value.fields
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REPORT_DRAFTED
    assert not Signature.objects.exists()


def test_submit_signs_as_author_and_snapshots_enrollment(tenant):
    visit = visit_at(tenant, VisitStatus.REPORT_DRAFTED)
    with pytest.raises(ApplicationError):
        services.visit_report_submit(actor=tenant.cra, visit=visit, password="wrong")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REPORT_DRAFTED
    services.visit_report_submit(actor=tenant.cra, visit=visit, password=PASSWORD)
    report = VisitReport.objects.get(visit=visit)
    signature = Signature.objects.get(object_id=report.pk)
    assert signature.meaning == "authored"
    assert signature.signer == tenant.cra
    assert report.enrollment["screened_total"] == 1
    assert signature_is_valid(signature, report)


def test_cra_can_never_approve_their_own_report(tenant):
    visit = visit_at(tenant, VisitStatus.SUBMITTED)
    with pytest.raises(PermissionDenied):
        services.visit_report_approve(actor=tenant.cra, visit=visit, password=PASSWORD)
    # not even a CRA who is also a project manager
    from accounts.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=tenant.cra, organization=tenant.cro, role=Role.PROJECT_MANAGER)
    tenant.cra._organization_roles = None
    with pytest.raises(PermissionDenied):
        services.visit_report_approve(actor=tenant.cra, visit=visit, password=PASSWORD)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SUBMITTED


@pytest.mark.parametrize("who", ["coordinator", "finance", "sponsor_viewer"])
def test_only_pm_or_lead_reviews(tenant, who):
    visit = visit_at(tenant, VisitStatus.SUBMITTED)
    with pytest.raises(PermissionDenied):
        services.visit_report_approve(actor=getattr(tenant, who), visit=visit, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        services.visit_report_return(actor=getattr(tenant, who), visit=visit, comments="x")


def test_approval_locks_the_report_and_sends_the_follow_up_letter(tenant):
    visit = visit_at(tenant, VisitStatus.REPORT_DRAFTED)
    services.action_item_raise(
        actor=tenant.cra,
        study_site=tenant.study_site,
        visit=visit,
        description="Sign the delegation log",
        category="isf",
        owner="site",
        due_date=timezone.localdate() + dt.timedelta(days=7),
    )
    services.visit_report_submit(actor=tenant.cra, visit=visit, password=PASSWORD)
    report = services.visit_report_approve(actor=tenant.pm, visit=visit, password=PASSWORD)
    assert report.status == ReportStatus.APPROVED
    assert list(
        Signature.objects.filter(object_id=report.pk).values_list("meaning", flat=True)
    ) == [
        "authored",
        "approved",
    ]
    letter = FollowUpLetter.objects.get(visit=visit)
    assert letter.content["action_items"][0]["description"] == "Sign the delegation log"
    assert letter.content["findings"][0]["description"] == "Week 4 visit late"
    recipients = set(
        Notification.objects.filter(kind="monitoring.follow_up_letter").values_list(
            "recipient", flat=True
        )
    )
    assert tenant.coordinator.pk in recipients
    visit.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        services.visit_report_section_save(
            actor=tenant.cra, visit=visit, section="attendees", data={"names": "changed"}
        )
    assert VisitReport.objects.get(pk=report.pk).sections == FILLED_SECTIONS


def test_return_needs_comments_then_resubmit(tenant):
    visit = visit_at(tenant, VisitStatus.SUBMITTED)
    with pytest.raises(ApplicationError):
        services.visit_report_return(actor=tenant.pm, visit=visit, comments="")
    services.visit_report_return(actor=tenant.pm, visit=visit, comments="Add SDV ids")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.RETURNED
    services.visit_report_section_save(
        actor=tenant.cra,
        visit=visit,
        section="sdv",
        data={**FILLED_SECTIONS["sdv"], "subjects_reviewed": "ALP-101-001, ALP-101-002"},
    )
    services.visit_report_submit(actor=tenant.cra, visit=visit, password=PASSWORD)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SUBMITTED
    assert Signature.objects.filter(meaning="authored").count() == 2


def test_returned_or_approved_cannot_be_approved_again(tenant):
    visit = visit_at(tenant, VisitStatus.RETURNED)
    with pytest.raises(TransitionNotAllowed):
        services.visit_report_approve(actor=tenant.pm, visit=visit, password=PASSWORD)
    approved = visit_at(tenant, VisitStatus.APPROVED)
    with pytest.raises(TransitionNotAllowed):
        services.visit_report_approve(actor=tenant.pm, visit=approved, password=PASSWORD)
    with pytest.raises(TransitionNotAllowed):
        services.visit_report_return(actor=tenant.pm, visit=approved, comments="late")


def test_correction_is_a_new_version_with_a_reason(tenant):
    visit = visit_at(tenant, VisitStatus.APPROVED)
    with pytest.raises(ApplicationError):
        services.visit_report_correct(actor=tenant.cra, visit=visit, reason="")
    v2 = services.visit_report_correct(actor=tenant.cra, visit=visit, reason="Wrong SDV count")
    assert v2.version == 2
    assert v2.findings.count() == 1
    services.visit_report_section_save(
        actor=tenant.cra,
        visit=visit,
        section="sdv",
        data={**FILLED_SECTIONS["sdv"], "data_points_verified": 100},
    )
    v1 = VisitReport.objects.get(visit=visit, version=1)
    assert v1.sections["sdv"]["data_points_verified"] == 90  # the signed version is untouched
    assert signature_is_valid(Signature.objects.filter(object_id=v1.pk).last(), v1)
    services.visit_report_submit(actor=tenant.cra, visit=visit, password=PASSWORD)
    services.visit_report_approve(actor=tenant.pm, visit=visit, password=PASSWORD)
    v1.refresh_from_db()
    assert v1.status == ReportStatus.SUPERSEDED
    assert FollowUpLetter.objects.filter(visit=visit).count() == 2


def test_action_item_lifecycle_by_owner_and_cra(tenant):
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    item = services.action_item_raise(
        actor=tenant.cra,
        study_site=tenant.study_site,
        visit=visit,
        description="File the IRB approval",
        category="isf",
        owner="site",
        due_date=timezone.localdate() + dt.timedelta(days=3),
    )
    with pytest.raises(PermissionDenied):
        services.action_item_resolve(actor=tenant.cra, action_item=item, note="done")
    with pytest.raises(ApplicationError):
        services.action_item_resolve(actor=tenant.coordinator, action_item=item, note="")
    with pytest.raises(TransitionNotAllowed):
        services.action_item_close(actor=tenant.cra, action_item=item)
    services.action_item_resolve(actor=tenant.coordinator, action_item=item, note="Filed")
    with pytest.raises(PermissionDenied):
        services.action_item_close(actor=tenant.coordinator, action_item=item)
    services.action_item_reopen(actor=tenant.cra, action_item=item, reason="Wrong version")
    item.refresh_from_db()
    assert item.status == "open" and item.resolution_note == ""
    services.action_item_resolve(actor=tenant.coordinator, action_item=item, note="Filed v2")
    services.action_item_close(actor=tenant.cra, action_item=item)
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_by == tenant.cra
    with pytest.raises(TransitionNotAllowed):
        services.action_item_resolve(actor=tenant.coordinator, action_item=item, note="again")


def test_cra_owned_item_is_resolved_by_the_cra(tenant):
    item = services.action_item_raise(
        actor=tenant.cra,
        study_site=tenant.study_site,
        description="Send the new ICF version",
        category="consent",
        owner="cra",
        due_date=timezone.localdate(),
    )
    with pytest.raises(PermissionDenied):
        services.action_item_resolve(actor=tenant.coordinator, action_item=item, note="x")
    services.action_item_resolve(actor=tenant.cra, action_item=item, note="Sent")


def test_action_item_rules(tenant):
    with pytest.raises(ApplicationError) as error:
        services.action_item_raise(
            actor=tenant.cra,
            study_site=tenant.study_site,
            description="",
            category="nope",
            owner="sponsor",
            due_date=timezone.localdate() - dt.timedelta(days=1),
        )
    assert set(error.value.fields) == {"description", "category", "owner", "due_date"}
    with pytest.raises(PermissionDenied):
        services.action_item_raise(
            actor=tenant.coordinator,
            study_site=tenant.study_site,
            description="x",
            category="isf",
            owner="site",
            due_date=timezone.localdate(),
        )
    assert not ActionItem.objects.exists()


def test_letter_acknowledged_once_by_the_site(tenant):
    visit = visit_at(tenant, VisitStatus.APPROVED)
    letter = FollowUpLetter.objects.get(visit=visit)
    with pytest.raises(PermissionDenied):
        services.follow_up_letter_acknowledge(actor=tenant.cra, letter=letter)
    services.follow_up_letter_acknowledge(actor=tenant.investigator, letter=letter)
    letter.refresh_from_db()
    assert letter.status == "acknowledged" and letter.acknowledged_by == tenant.investigator
    with pytest.raises(TransitionNotAllowed):
        services.follow_up_letter_acknowledge(actor=tenant.coordinator, letter=letter)


def test_other_tenant_cra_is_refused(tenant, other_tenant):
    visit = plan(tenant)
    with pytest.raises(PermissionDenied):
        services.visit_complete(
            actor=other_tenant.cra, visit=visit, actual_date=timezone.localdate()
        )


def test_second_cra_assigned_writes_the_report_but_only_pm_approves(tenant):
    from accounts.models import Role

    second = member(tenant.cro, Role.CRA)
    CRAAssignmentFactory(study_site=tenant.study_site, cra=second)
    visit = visit_at(tenant, VisitStatus.COMPLETED)
    fill_report(tenant, visit)
    services.visit_report_submit(actor=second, visit=visit, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        services.visit_report_approve(actor=second, visit=visit, password=PASSWORD)
