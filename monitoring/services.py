"""Every write of the monitoring app. Each checks the actor's role for the study-site (through
trials.access) and the allowed transition, inside one transaction that locks the row."""

import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import people_by_organization
from core.audit import audit_context, require_reason
from core.db import batches
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.models import SignatureMeaning
from core.notifications import Note, notify_many
from core.signatures import signature_create
from monitoring import selectors
from monitoring.models import (
    ACTION_ITEM_TRANSITIONS,
    DEFAULT_REPORT_DUE_DAYS,
    EDITABLE_REPORT_STATUSES,
    REPORT_PENDING_STATUSES,
    UPCOMING_STATUSES,
    VISIT_TRANSITIONS,
    ActionItem,
    ActionItemCategory,
    ActionItemOwner,
    ActionItemStatus,
    CalendarFeed,
    Finding,
    FindingCategory,
    FindingSeverity,
    FollowUpLetter,
    LetterStatus,
    MonitoringSettings,
    MonitoringVisit,
    ReportStatus,
    VisitMode,
    VisitReport,
    VisitStatus,
    VisitType,
)
from monitoring.sections import SECTIONS_BY_KEY, section_clean, section_missing
from trials import access
from trials.models import MilestoneKind, Study, StudySite, StudyTeamMember
from trials.models import TeamRole as StudyTeamRole
from trials.services import milestone_record

# Who may do what (roles for the study-site as trials.access.study_site_roles answers them).
# Sponsor viewers appear nowhere: they only read.
CRA_ROLES = frozenset({Role.CRA, access.LEAD})
SITE_ROLES = access.SITE_ROLES
APPROVER_ROLES = frozenset({Role.PROJECT_MANAGER, access.LEAD})
ACTIONS: dict[str, frozenset[str]] = {
    "visit.plan": CRA_ROLES,
    "visit.report": CRA_ROLES,
    "visit.respond": SITE_ROLES,
    "report.review": APPROVER_ROLES,
    "action_item.manage": CRA_ROLES,
    "letter.acknowledge": SITE_ROLES,
}
ESCALATE_AFTER_DAYS = 5
LETTER_ACK_REMINDER_DAYS = 7
ACTION_ITEM_DUE_SOON_DAYS = 3

S = VisitStatus


def allowed(action: str, roles: Iterable[str]) -> bool:
    return bool(ACTIONS[action] & set(roles))


def _require(action: str, actor: User, study_site: StudySite, message: str = "") -> frozenset:
    """Every write under a study-site passes here: the role check, then the read-only lock of a
    closed study-site."""
    roles = access.study_site_roles(actor, study_site)
    if not allowed(action, roles):
        raise PermissionDenied(message or "Your role does not allow this action.")
    access.require_open(study_site)
    return roles


def _lock_visit(visit: MonitoringVisit) -> MonitoringVisit:
    return (
        MonitoringVisit.objects.select_for_update(of=("self",))
        .select_related("study_site__study", "study_site__site", "cra")
        .get(pk=visit.pk)
    )


def _move(visit: MonitoringVisit, to_status: str, verb: str) -> None:
    if to_status not in VISIT_TRANSITIONS.get(visit.status, ()):
        raise TransitionNotAllowed(
            f"A visit that is {visit.get_status_display().lower()} cannot be {verb}.",
            fields={"status": [f"Not allowed while {visit.get_status_display().lower()}."]},
        )
    visit.status = to_status


def _now() -> datetime:
    return timezone.now()


# --- recipients and notifications --------------------------------------------------------


_site_contacts = selectors.site_contacts


def _approvers(study: Study) -> list[User]:
    """The study's leads; when it has none, the CRO's project managers."""
    return _approvers_by_study([study])[study.pk]


def _notes(
    recipients: Iterable[User],
    *,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    subject=None,
    skip: User | None = None,
) -> list[Note]:
    """One notification per person (once each, less ``skip``), keyed by kind, item and person."""
    return [
        Note(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            url=url,
            subject=subject,
            dedupe_key=f"{kind}:{key}:{user.pk}",
        )
        for user in {u.pk: u for u in recipients}.values()
        if skip is None or user.pk != skip.pk
    ]


def _notify_all(recipients: Iterable[User], **note) -> int:
    """Write ``_notes(recipients, **note)`` now; the number of people newly notified."""
    return len(notify_many(_notes(recipients, **note)))


def _visit_label(visit: MonitoringVisit) -> str:
    ss = visit.study_site
    return (
        f"{visit.get_visit_type_display()} at {ss.site.name} "
        f"({ss.study.protocol_number} / site {ss.site_number})"
    )


def _stamp(moment: datetime | None = None) -> int:
    return int((moment or _now()).timestamp() * 1000)


# --- settings ----------------------------------------------------------------------------


def report_due_days(study_id: int) -> int:
    row = MonitoringSettings.objects.filter(study_id=study_id).only("report_due_days").first()
    return row.report_due_days if row else DEFAULT_REPORT_DUE_DAYS


@transaction.atomic
def monitoring_settings_update(
    *, actor: User, study: Study, report_due_days: int, reason: str
) -> MonitoringSettings:
    reason = require_reason(reason)
    access.require("study.manage", access.study_roles(actor, study))
    if not isinstance(report_due_days, int) or not 1 <= report_due_days <= 90:
        raise ApplicationError(
            "Reports are due between 1 and 90 days after the visit.",
            fields={"report_due_days": ["Enter a number of days from 1 to 90."]},
        )
    with audit_context(reason=reason):
        row, _ = MonitoringSettings.objects.select_for_update().get_or_create(study=study)
        row.report_due_days = report_due_days
        row.save(update_fields=["report_due_days"])
    return row


# --- visits ------------------------------------------------------------------------------


def _check_future(moment: datetime, field: str) -> None:
    if moment is None:
        raise ApplicationError("Enter a date and time.", fields={field: ["Required."]})
    if moment < _now():
        raise ApplicationError(
            "The visit cannot be planned in the past.",
            fields={field: ["Choose a date and time from now on."]},
        )


@transaction.atomic
def visit_plan(
    *,
    actor: User,
    study_site: StudySite,
    visit_type: str,
    mode: str,
    planned_at: datetime,
    duration_minutes: int = 240,
    attendees: str = "",
    agenda: str = "",
    subjects_to_prepare: str = "",
    documents_to_prepare: str = "",
) -> MonitoringVisit:
    study_site = (
        StudySite.objects.select_for_update(of=("self",))
        .select_related("study", "site")
        .get(pk=study_site.pk)
    )
    _require(
        "visit.plan",
        actor,
        study_site,
        "Only a CRA assigned to this site (or a study lead) plans its visits.",
    )
    errors: dict[str, list[str]] = {}
    if visit_type not in VisitType.values:
        errors["visit_type"] = ["Choose the visit type."]
    if mode not in VisitMode.values:
        errors["mode"] = ["Choose on-site or remote."]
    if not isinstance(duration_minutes, int) or not 15 <= duration_minutes <= 24 * 60:
        errors["duration_minutes"] = ["Between 15 minutes and 24 hours."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    _check_future(planned_at, "planned_at")
    visit = MonitoringVisit.objects.create(
        study_site=study_site,
        cra=actor,
        visit_type=visit_type,
        mode=mode,
        planned_at=planned_at,
        duration_minutes=duration_minutes,
        attendees=attendees.strip(),
        agenda=agenda.strip(),
        subjects_to_prepare=subjects_to_prepare.strip(),
        documents_to_prepare=documents_to_prepare.strip(),
    )
    _notify_all(
        _site_contacts(study_site),
        kind="monitoring.visit_planned",
        key=f"{visit.pk}:{_stamp()}",
        title=f"Please confirm: {_visit_label(visit)}",
        body=f"{actor.printed_name} plans a {visit.get_mode_display().lower()} visit on "
        f"{planned_at:%Y-%m-%d %H:%M} UTC. Confirm it or propose another date.",
        url=visit.get_absolute_url(),
        subject=visit,
    )
    return visit


@transaction.atomic
def visit_confirm(*, actor: User, visit: MonitoringVisit) -> MonitoringVisit:
    """The site confirms the planned date; the confirmation letter goes to the site."""
    visit = _lock_visit(visit)
    _require("visit.respond", actor, visit.study_site, "Only the site confirms a visit.")
    if visit.status != S.PLANNED:
        raise TransitionNotAllowed(
            f"A visit that is {visit.get_status_display().lower()} cannot be confirmed by the "
            "site.",
        )
    _move(visit, S.CONFIRMED, "confirmed")
    visit.confirmed_at = _now()
    visit.confirmed_by = actor
    visit.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    _send_confirmation_letter(visit)
    return visit


def _send_confirmation_letter(visit: MonitoringVisit) -> None:
    url = reverse("monitoring_visit_confirmation_letter", kwargs={"monitoring_visit_id": visit.pk})
    lines = [
        f"Confirmed: {_visit_label(visit)} on {visit.planned_at:%Y-%m-%d %H:%M} UTC "
        f"({visit.get_mode_display().lower()}, monitor {visit.cra.printed_name}).",
    ]
    if visit.agenda:
        lines.append(f"Agenda:\n{visit.agenda}")
    if visit.subjects_to_prepare:
        lines.append(f"Subjects to prepare:\n{visit.subjects_to_prepare}")
    if visit.documents_to_prepare:
        lines.append(f"Documents to prepare:\n{visit.documents_to_prepare}")
    _notify_all(
        [*_site_contacts(visit.study_site), visit.cra],
        kind="monitoring.visit_confirmation_letter",
        key=f"{visit.pk}:{_stamp(visit.confirmed_at)}",
        title=f"Confirmation letter: {_visit_label(visit)}",
        body="\n\n".join(lines),
        url=url,
        subject=visit,
    )


@transaction.atomic
def visit_propose_date(
    *, actor: User, visit: MonitoringVisit, proposed_at: datetime, note: str = ""
) -> MonitoringVisit:
    visit = _lock_visit(visit)
    _require("visit.respond", actor, visit.study_site, "Only the site proposes another date.")
    if visit.status != S.PLANNED:
        raise TransitionNotAllowed(
            f"A visit that is {visit.get_status_display().lower()} cannot get a new proposal."
        )
    _check_future(proposed_at, "proposed_at")
    _move(visit, S.PROPOSED, "re-dated")
    visit.proposed_at = proposed_at
    visit.proposal_note = (note or "").strip()[:500]
    visit.save(update_fields=["status", "proposed_at", "proposal_note"])
    _notify_all(
        [visit.cra],
        kind="monitoring.visit_date_proposed",
        key=f"{visit.pk}:{_stamp()}",
        title=f"New date proposed: {_visit_label(visit)}",
        body=f"{actor.printed_name} proposes {proposed_at:%Y-%m-%d %H:%M} UTC. "
        f"{visit.proposal_note}",
        url=visit.get_absolute_url(),
        subject=visit,
    )
    return visit


@transaction.atomic
def visit_accept_proposal(*, actor: User, visit: MonitoringVisit) -> MonitoringVisit:
    """The CRA accepts the site's date: the visit is confirmed on it."""
    visit = _lock_visit(visit)
    _require("visit.plan", actor, visit.study_site)
    if visit.status != S.PROPOSED:
        raise TransitionNotAllowed("There is no date proposed by the site to accept.")
    _check_future(visit.proposed_at, "proposed_at")
    _move(visit, S.CONFIRMED, "confirmed")
    visit.planned_at = visit.proposed_at
    visit.confirmed_at = _now()
    visit.confirmed_by = actor
    visit.save(update_fields=["status", "planned_at", "confirmed_at", "confirmed_by"])
    _send_confirmation_letter(visit)
    return visit


@transaction.atomic
def visit_reschedule(
    *, actor: User, visit: MonitoringVisit, planned_at: datetime, reason: str
) -> MonitoringVisit:
    """The CRA moves the visit; the site confirms the new date again."""
    reason = require_reason(reason)
    visit = _lock_visit(visit)
    _require("visit.plan", actor, visit.study_site)
    if visit.status not in UPCOMING_STATUSES:
        raise TransitionNotAllowed(
            f"A visit that is {visit.get_status_display().lower()} cannot be rescheduled."
        )
    _check_future(planned_at, "planned_at")
    _move(visit, S.PLANNED, "rescheduled")
    with audit_context(reason=reason):
        visit.planned_at = planned_at
        visit.proposed_at = None
        visit.proposal_note = ""
        visit.confirmed_at = None
        visit.confirmed_by = None
        visit.save()
    _notify_all(
        _site_contacts(visit.study_site),
        kind="monitoring.visit_planned",
        key=f"{visit.pk}:{_stamp()}",
        title=f"Please confirm the new date: {_visit_label(visit)}",
        body=f"Moved to {planned_at:%Y-%m-%d %H:%M} UTC. Reason: {reason}",
        url=visit.get_absolute_url(),
        subject=visit,
    )
    return visit


@transaction.atomic
def visit_cancel(*, actor: User, visit: MonitoringVisit, reason: str) -> MonitoringVisit:
    reason = require_reason(reason)
    visit = _lock_visit(visit)
    _require("visit.plan", actor, visit.study_site)
    _move(visit, S.CANCELLED, "cancelled")
    with audit_context(reason=reason):
        visit.cancel_reason = reason[:500]
        visit.save(update_fields=["status", "cancel_reason"])
    _notify_all(
        _site_contacts(visit.study_site),
        kind="monitoring.visit_cancelled",
        key=f"{visit.pk}",
        title=f"Cancelled: {_visit_label(visit)}",
        body=f"Reason: {reason}",
        url=visit.get_absolute_url(),
        subject=visit,
    )
    return visit


@transaction.atomic
def visit_complete(*, actor: User, visit: MonitoringVisit, actual_date: date) -> MonitoringVisit:
    """The visit took place. An SIV records the SIV milestone, a COV the COV milestone."""
    visit = _lock_visit(visit)
    _require("visit.report", actor, visit.study_site)
    if actual_date is None:
        raise ApplicationError("Enter the visit date.", fields={"actual_date": ["Required."]})
    if actual_date > timezone.localdate():
        raise ApplicationError(
            "A completed visit cannot be in the future.",
            fields={"actual_date": ["Enter today or an earlier date."]},
        )
    _move(visit, S.COMPLETED, "completed")
    visit.actual_date = actual_date
    visit.report_due_date = actual_date + timedelta(days=report_due_days(visit.study_site.study_id))
    visit.save(update_fields=["status", "actual_date", "report_due_date"])
    milestone = {VisitType.SIV: MilestoneKind.SIV, VisitType.COV: MilestoneKind.COV}.get(
        visit.visit_type
    )
    if milestone:
        milestone_record(
            actor=actor, study_site=visit.study_site, kind=milestone, actual_date=actual_date
        )
    return visit


# --- the report --------------------------------------------------------------------------


def _current_report(visit: MonitoringVisit, *, lock: bool = False) -> VisitReport | None:
    queryset = VisitReport.objects.filter(visit=visit).order_by("-version")
    if lock:
        queryset = queryset.select_for_update()
    return queryset.first()


def _editable_report(actor: User, visit: MonitoringVisit) -> VisitReport:
    """The draft (or returned) version the CRA writes in; created on the first save."""
    _require(
        "visit.report",
        actor,
        visit.study_site,
        "Only a CRA assigned to this site (or a study lead) writes its visit reports.",
    )
    if visit.status == S.APPROVED:
        raise TransitionNotAllowed(
            "The approved report is locked. Start a correction (a new version, with a reason) "
            "to change it."
        )
    if visit.status not in EDITABLE_REPORT_STATUSES:
        raise TransitionNotAllowed(
            f"The report cannot be edited while the visit is {visit.get_status_display().lower()}."
        )
    report = _current_report(visit, lock=True)
    if report is None:
        report = VisitReport.objects.create(visit=visit, version=1, created_by=actor)
    if visit.status == S.COMPLETED:
        _move(visit, S.REPORT_DRAFTED, "drafted")
        visit.save(update_fields=["status"])
    return report


@transaction.atomic
def visit_report_section_save(
    *, actor: User, visit: MonitoringVisit, section: str, data: dict[str, Any]
) -> VisitReport:
    visit = _lock_visit(visit)
    cleaned = section_clean(section, data or {})
    report = _editable_report(actor, visit)
    report.sections = {**report.sections, section: cleaned}
    report.save(update_fields=["sections", "updated_at"])
    return report


@transaction.atomic
def finding_add(
    *,
    actor: User,
    visit: MonitoringVisit,
    category: str,
    description: str,
    severity: str = FindingSeverity.MINOR,
) -> Finding:
    visit = _lock_visit(visit)
    errors: dict[str, list[str]] = {}
    if category not in FindingCategory.values:
        errors["category"] = ["Choose a category."]
    if severity not in FindingSeverity.values:
        errors["severity"] = ["Choose minor, major or critical."]
    description = (description or "").strip()
    if not description:
        errors["description"] = ["Describe the finding."]
    if errors:
        raise ApplicationError("Please correct the finding.", fields=errors)
    report = _editable_report(actor, visit)
    return Finding.objects.create(
        report=report, category=category, severity=severity, description=description
    )


@transaction.atomic
def visit_report_submit(*, actor: User, visit: MonitoringVisit, password: str) -> VisitReport:
    """The CRA signs the report (meaning: authored) and sends it for review."""
    visit = _lock_visit(visit)
    _require("visit.report", actor, visit.study_site)
    if visit.status not in (S.REPORT_DRAFTED, S.RETURNED):
        if visit.status == S.COMPLETED:
            raise ApplicationError("Write the report before submitting it.")
        raise TransitionNotAllowed(
            f"A report cannot be submitted while the visit is {visit.get_status_display().lower()}."
        )
    report = _current_report(visit, lock=True)
    missing = section_missing(report.sections)
    if missing:
        raise ApplicationError(
            "Fill in the required sections before submitting: "
            + ", ".join(SECTIONS_BY_KEY[key].title for key in missing)
            + ".",
            fields={key: [f"Required: {', '.join(labels)}."] for key, labels in missing.items()},
            code="sections_incomplete",
        )
    _move(visit, S.SUBMITTED, "submitted")
    report.enrollment = selectors.enrollment_figures(visit=visit)
    report.status = ReportStatus.SUBMITTED
    report.submitted_by = actor
    report.submitted_at = _now()
    report.return_comments = ""
    report.save()
    signature_create(
        actor=actor, record=report, meaning=SignatureMeaning.AUTHORED, password=password
    )
    visit.save(update_fields=["status"])
    _notify_all(
        _approvers(visit.study_site.study),
        kind="monitoring.report_submitted",
        key=f"{report.pk}:{_stamp(report.submitted_at)}",
        title=f"Report to review: {_visit_label(visit)}",
        body=f"{actor.printed_name} submitted version {report.version} for approval.",
        url=reverse("monitoring_visit_review", kwargs={"monitoring_visit_id": visit.pk}),
        subject=visit,
        skip=actor,
    )
    return report


def _require_reviewer(actor: User, visit: MonitoringVisit, report: VisitReport) -> None:
    _require(
        "report.review",
        actor,
        visit.study_site,
        "Only a project manager or a lead of the study's CRO reviews visit reports.",
    )
    if actor.pk in (report.submitted_by_id, visit.cra_id):
        raise PermissionDenied(
            "You wrote this report; another project manager or lead must review it."
        )


@transaction.atomic
def visit_report_approve(*, actor: User, visit: MonitoringVisit, password: str) -> VisitReport:
    """Approve (e-signature, meaning: approved); the report locks and the follow-up letter
    goes to the site."""
    visit = _lock_visit(visit)
    report = _current_report(visit, lock=True)
    if report is None or visit.status != S.SUBMITTED:
        raise TransitionNotAllowed(
            f"Only a submitted report can be approved; this visit is "
            f"{visit.get_status_display().lower()}."
        )
    _require_reviewer(actor, visit, report)
    _move(visit, S.APPROVED, "approved")
    signature_create(
        actor=actor, record=report, meaning=SignatureMeaning.APPROVED, password=password
    )
    report.status = ReportStatus.APPROVED
    report.reviewed_by = actor
    report.reviewed_at = _now()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    VisitReport.objects.filter(visit=visit, status=ReportStatus.APPROVED).exclude(
        pk=report.pk
    ).update(status=ReportStatus.SUPERSEDED)
    visit.save(update_fields=["status"])
    letter = _follow_up_letter_create(visit, report)
    _notify_all(
        [visit.cra, report.submitted_by],
        kind="monitoring.report_approved",
        key=f"{report.pk}",
        title=f"Report approved: {_visit_label(visit)}",
        body=f"{actor.printed_name} approved version {report.version}; the follow-up letter "
        "was sent to the site.",
        url=visit.get_absolute_url(),
        subject=visit,
    )
    _notify_all(
        _site_contacts(visit.study_site),
        kind="monitoring.follow_up_letter",
        key=f"{letter.pk}",
        title=f"Follow-up letter: {_visit_label(visit)}",
        body=_letter_text(letter),
        url=reverse("monitoring_visit_letter", kwargs={"monitoring_visit_id": visit.pk}),
        subject=visit,
    )
    return report


def _follow_up_letter_create(visit: MonitoringVisit, report: VisitReport) -> FollowUpLetter:
    findings = [
        {
            "category": f.get_category_display(),
            "severity": f.get_severity_display(),
            "description": f.description,
        }
        for f in report.findings.order_by("pk")
    ]
    items = [
        {
            "id": item.pk,
            "description": item.description,
            "category": item.get_category_display(),
            "owner": item.get_owner_display(),
            "due_date": item.due_date.isoformat(),
            "status": item.get_status_display(),
        }
        for item in ActionItem.objects.filter(visit=visit)
        .exclude(status=ActionItemStatus.CLOSED)
        .order_by("due_date", "pk")
    ]
    conclusions = (report.sections.get("conclusions") or {}).get("summary", "")
    return FollowUpLetter.objects.create(
        visit=visit,
        report=report,
        sent_at=_now(),
        content={
            "visit_date": visit.actual_date.isoformat() if visit.actual_date else "",
            "visit_type": visit.get_visit_type_display(),
            "monitor": visit.cra.printed_name,
            "report_version": report.version,
            "findings": findings,
            "action_items": items,
            "conclusions": conclusions,
        },
    )


def _letter_text(letter: FollowUpLetter) -> str:
    content = letter.content
    parts = [f"Visit of {content.get('visit_date')} by {content.get('monitor')}."]
    if content.get("findings"):
        parts.append(
            "Findings:\n"
            + "\n".join(
                f"- [{f['severity']}] {f['category']}: {f['description']}"
                for f in content["findings"]
            )
        )
    if content.get("action_items"):
        parts.append(
            "Action items:\n"
            + "\n".join(
                f"- {i['description']} (owner: {i['owner']}, due {i['due_date']})"
                for i in content["action_items"]
            )
        )
    if content.get("conclusions"):
        parts.append(f"Conclusions: {content['conclusions']}")
    parts.append("Please acknowledge this letter in TrialBridge.")
    return "\n\n".join(parts)


@transaction.atomic
def visit_report_return(*, actor: User, visit: MonitoringVisit, comments: str) -> VisitReport:
    visit = _lock_visit(visit)
    report = _current_report(visit, lock=True)
    if report is None or visit.status != S.SUBMITTED:
        raise TransitionNotAllowed(
            f"Only a submitted report can be returned; this visit is "
            f"{visit.get_status_display().lower()}."
        )
    _require_reviewer(actor, visit, report)
    comments = (comments or "").strip()
    if not comments:
        raise ApplicationError(
            "Say what the CRA should change.", fields={"comments": ["Comments are required."]}
        )
    _move(visit, S.RETURNED, "returned")
    report.status = ReportStatus.RETURNED
    report.return_comments = comments
    report.reviewed_by = actor
    report.reviewed_at = _now()
    report.save(
        update_fields=["status", "return_comments", "reviewed_by", "reviewed_at", "updated_at"]
    )
    visit.save(update_fields=["status"])
    _notify_all(
        [visit.cra, report.submitted_by],
        kind="monitoring.report_returned",
        key=f"{report.pk}:{_stamp(report.reviewed_at)}",
        title=f"Report returned: {_visit_label(visit)}",
        body=f"{actor.printed_name}: {comments}",
        url=visit.get_absolute_url(),
        subject=visit,
    )
    return report


@transaction.atomic
def visit_report_correct(*, actor: User, visit: MonitoringVisit, reason: str) -> VisitReport:
    """Start a correction of an approved report: a new version (copy of the approved one)
    with the reason; the approved version stays as signed until the correction is approved."""
    reason = require_reason(reason)
    visit = _lock_visit(visit)
    _require("visit.report", actor, visit.study_site)
    current = _current_report(visit, lock=True)
    if current is None or visit.status != S.APPROVED:
        raise TransitionNotAllowed("Only an approved report is corrected with a new version.")
    _move(visit, S.REPORT_DRAFTED, "corrected")
    with audit_context(reason=reason):
        report = VisitReport.objects.create(
            visit=visit,
            version=current.version + 1,
            sections=current.sections,
            correction_reason=reason[:500],
            created_by=actor,
        )
        Finding.objects.bulk_create(
            Finding(
                report=report,
                category=f.category,
                severity=f.severity,
                description=f.description,
            )
            for f in current.findings.order_by("pk")
        )
        visit.save(update_fields=["status"])
    return report


# --- action items ------------------------------------------------------------------------


def _lock_item(action_item: ActionItem) -> ActionItem:
    return (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("study_site__study", "study_site__site", "visit")
        .get(pk=action_item.pk)
    )


def _move_item(item: ActionItem, to_status: str, verb: str) -> None:
    if to_status not in ACTION_ITEM_TRANSITIONS.get(item.status, ()):
        raise TransitionNotAllowed(
            f"An action item that is {item.get_status_display().lower()} cannot be {verb}."
        )
    item.status = to_status


@transaction.atomic
def action_item_raise(
    *,
    actor: User,
    study_site: StudySite,
    description: str,
    category: str,
    owner: str,
    due_date: date,
    visit: MonitoringVisit | None = None,
) -> ActionItem:
    _require(
        "action_item.manage",
        actor,
        study_site,
        "Only a CRA assigned to this site (or a study lead) raises action items.",
    )
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = ["Describe what needs to be done."]
    if category not in ActionItemCategory.values:
        errors["category"] = ["Choose a category."]
    if owner not in ActionItemOwner.values:
        errors["owner"] = ["Choose who owns it: the site or the CRA."]
    if due_date is None:
        errors["due_date"] = ["Enter a due date."]
    elif due_date < timezone.localdate():
        errors["due_date"] = ["The due date cannot be in the past."]
    if visit is not None and visit.study_site_id != study_site.pk:
        errors["visit"] = ["The visit belongs to another study-site."]
    if visit is not None and visit.status == S.CANCELLED:
        errors["visit"] = ["The visit was cancelled."]
    if errors:
        raise ApplicationError("Please correct the action item.", fields=errors)
    item = ActionItem.objects.create(
        study_site=study_site,
        visit=visit,
        description=description,
        category=category,
        owner=owner,
        due_date=due_date,
        raised_by=actor,
    )
    if owner == ActionItemOwner.SITE:
        _notify_all(
            _site_contacts(study_site),
            kind="monitoring.action_item_raised",
            key=f"{item.pk}",
            title=f"Action item for {study_site.site.name}: {description[:80]}",
            body=f"Due {due_date:%Y-%m-%d}. Raised by {actor.printed_name} "
            f"({study_site.study.protocol_number} / site {study_site.site_number}).",
            url=item.get_absolute_url(),
            subject=item,
        )
    return item


@transaction.atomic
def action_item_resolve(*, actor: User, action_item: ActionItem, note: str) -> ActionItem:
    """The owner (the site, or the CRA) resolves the item with a note."""
    item = _lock_item(action_item)
    roles = access.study_site_roles(actor, item.study_site)
    owner_action = "visit.respond" if item.owner == ActionItemOwner.SITE else "action_item.manage"
    if not allowed(owner_action, roles):
        raise PermissionDenied(
            f"Only the {item.get_owner_display().lower()} that owns this item resolves it."
        )
    access.require_open(item.study_site)
    note = (note or "").strip()
    if not note:
        raise ApplicationError(
            "Say how the item was resolved.", fields={"note": ["A note is required."]}
        )
    _move_item(item, ActionItemStatus.RESOLVED, "resolved")
    item.resolution_note = note
    item.resolved_by = actor
    item.resolved_at = _now()
    item.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at"])
    cra = item.visit.cra if item.visit_id else item.raised_by
    _notify_all(
        [cra],
        kind="monitoring.action_item_resolved",
        key=f"{item.pk}:{_stamp(item.resolved_at)}",
        title=f"Action item resolved: {item.description[:80]}",
        body=f"{actor.printed_name}: {note}",
        url=item.get_absolute_url(),
        subject=item,
        skip=actor,
    )
    return item


@transaction.atomic
def action_item_close(*, actor: User, action_item: ActionItem) -> ActionItem:
    item = _lock_item(action_item)
    _require(
        "action_item.manage",
        actor,
        item.study_site,
        "Only the CRA (or a study lead) closes an action item.",
    )
    _move_item(item, ActionItemStatus.CLOSED, "closed")
    item.closed_by = actor
    item.closed_at = _now()
    item.save(update_fields=["status", "closed_by", "closed_at"])
    return item


@transaction.atomic
def action_item_reopen(*, actor: User, action_item: ActionItem, reason: str) -> ActionItem:
    reason = require_reason(reason)
    item = _lock_item(action_item)
    _require(
        "action_item.manage",
        actor,
        item.study_site,
        "Only the CRA (or a study lead) re-opens an action item.",
    )
    _move_item(item, ActionItemStatus.OPEN, "re-opened")
    with audit_context(reason=reason):
        item.resolution_note = ""
        item.resolved_by = None
        item.resolved_at = None
        item.closed_by = None
        item.closed_at = None
        item.save()
    if item.owner == ActionItemOwner.SITE:
        _notify_all(
            _site_contacts(item.study_site),
            kind="monitoring.action_item_reopened",
            key=f"{item.pk}:{_stamp()}",
            title=f"Action item re-opened: {item.description[:80]}",
            body=f"Reason: {reason}",
            url=item.get_absolute_url(),
            subject=item,
        )
    return item


# --- follow-up letters -------------------------------------------------------------------


@transaction.atomic
def follow_up_letter_acknowledge(*, actor: User, letter: FollowUpLetter) -> FollowUpLetter:
    letter = (
        FollowUpLetter.objects.select_for_update(of=("self",))
        .select_related("visit__study_site__study", "visit__study_site__site", "visit__cra")
        .get(pk=letter.pk)
    )
    _require(
        "letter.acknowledge",
        actor,
        letter.visit.study_site,
        "Only the site acknowledges its follow-up letter.",
    )
    if letter.status != LetterStatus.SENT:
        raise TransitionNotAllowed("This letter was already acknowledged.")
    letter.status = LetterStatus.ACKNOWLEDGED
    letter.acknowledged_by = actor
    letter.acknowledged_at = _now()
    letter.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    _notify_all(
        [letter.visit.cra],
        kind="monitoring.follow_up_letter_acknowledged",
        key=f"{letter.pk}",
        title=f"Letter acknowledged: {_visit_label(letter.visit)}",
        body=f"{actor.printed_name} acknowledged the follow-up letter.",
        url=letter.visit.get_absolute_url(),
        subject=letter.visit,
    )
    return letter


# --- calendar feeds ----------------------------------------------------------------------


@transaction.atomic
def calendar_feed_create(*, actor: User) -> CalendarFeed:
    """A new private feed URL; any earlier one stops working at once."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Sign in first.")
    CalendarFeed.objects.select_for_update().filter(user=actor, revoked_at__isnull=True).update(
        revoked_at=_now()
    )
    return CalendarFeed.objects.create(user=actor, token=secrets.token_urlsafe(32))


@transaction.atomic
def calendar_feed_revoke(*, actor: User) -> int:
    return CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).update(
        revoked_at=_now()
    )


# --- reminders ---------------------------------------------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, start + timedelta(days=1)


def _contacts_by_study_site(study_sites: Iterable[StudySite]) -> dict[int, list[User]]:
    """Site coordinators + PI for many study-sites in two queries."""
    study_sites = list({ss.pk: ss for ss in study_sites}.values())
    site_ids = {ss.site_id for ss in study_sites}
    pi_ids = {ss.principal_investigator_id for ss in study_sites if ss.principal_investigator_id}
    if not site_ids:
        return {}
    coordinators = people_by_organization(organization_ids=site_ids, roles=[Role.COORDINATOR])
    pis = User.objects.filter(is_active=True).in_bulk(pi_ids) if pi_ids else {}
    return {
        ss.pk: [
            *coordinators.get(ss.site_id, []),
            *([pis[ss.principal_investigator_id]] if ss.principal_investigator_id in pis else []),
        ]
        for ss in study_sites
    }


def _approvers_by_study(studies: Iterable[Study]) -> dict[int, list[User]]:
    """Study leads per study; the CRO's project managers where a study has none (two queries
    at most, whatever the number of studies)."""
    studies = {study.pk: study for study in studies}
    if not studies:
        return {}
    result: dict[int, list[User]] = defaultdict(list)
    for member in StudyTeamMember.objects.filter(
        study_id__in=studies, role=StudyTeamRole.LEAD, user__is_active=True
    ).select_related("user"):
        result[member.study_id].append(member.user)
    missing = [study for pk, study in studies.items() if pk not in result]
    if missing:
        managers = people_by_organization(
            organization_ids={study.cro_id for study in missing}, roles=[Role.PROJECT_MANAGER]
        )
        for study in missing:
            result[study.pk] = managers[study.cro_id]
    return result


def _send(notes: list[Note], sent: dict[str, int]) -> None:
    """Write one batch's notifications (two statements) and count the new ones per kind."""
    for notification in notify_many(notes):
        sent[notification.kind] += 1


def reminders_send(*, today: date | None = None) -> dict[str, int]:
    """Send every monitoring reminder due today. Each goes once per (item, kind, day,
    recipient): the notification's dedupe key says so, so a second run or a retried task sends
    nothing new. Set-based queries; a constant number of them per kind."""
    today = today or timezone.localdate()
    sent: dict[str, int] = defaultdict(int)

    # Upcoming visits: 7 days and 1 day before, to the CRA and the site. Every kind below goes
    # through its rows in batches (server-side cursor), so memory stays flat with the data, and
    # writes each batch's notifications at once (notify_many).
    for days, kind in ((7, "monitoring.visit_upcoming_7d"), (1, "monitoring.visit_upcoming_1d")):
        start, end = _day_bounds(today + timedelta(days=days))
        upcoming = (
            MonitoringVisit.objects.filter(
                status__in=UPCOMING_STATUSES, planned_at__gte=start, planned_at__lt=end
            )
            .select_related("study_site__study", "study_site__site", "cra")
            .order_by("pk")
        )
        for visits in batches(upcoming):
            contacts = _contacts_by_study_site(v.study_site for v in visits)
            notes = []
            for visit in visits:
                sent.setdefault(kind, 0)  # a kind with rows is in the result, even if it sent 0
                notes += _notes(
                    [visit.cra, *contacts.get(visit.study_site_id, [])],
                    kind=kind,
                    key=f"{visit.pk}:{today}",
                    title=f"In {days} day{'s' if days > 1 else ''}: {_visit_label(visit)}",
                    body=f"Planned for {visit.planned_at:%Y-%m-%d %H:%M} UTC "
                    f"({visit.get_status_display().lower()}).",
                    url=visit.get_absolute_url(),
                    subject=visit,
                )
            _send(notes, sent)

    # Reports overdue: daily to the CRA; after 5 more days also to the study's approvers.
    late_reports = (
        MonitoringVisit.objects.filter(
            status__in=REPORT_PENDING_STATUSES, report_due_date__lt=today
        )
        .select_related("study_site__study", "study_site__site", "cra")
        .order_by("pk")
    )
    for overdue in batches(late_reports):
        escalate = [
            v for v in overdue if v.report_due_date + timedelta(ESCALATE_AFTER_DAYS) < today
        ]
        approvers = _approvers_by_study(v.study_site.study for v in escalate)
        notes = []
        for visit in overdue:
            late = (today - visit.report_due_date).days
            sent.setdefault("monitoring.report_overdue", 0)
            notes += _notes(
                [visit.cra],
                kind="monitoring.report_overdue",
                key=f"{visit.pk}:{today}",
                title=f"Report overdue ({late} day{'s' if late > 1 else ''}): "
                f"{_visit_label(visit)}",
                body=f"The report was due {visit.report_due_date:%Y-%m-%d}.",
                url=visit.get_absolute_url(),
                subject=visit,
            )
        for visit in escalate:
            sent.setdefault("monitoring.report_overdue_escalated", 0)
            notes += _notes(
                approvers.get(visit.study_site.study_id, []),
                kind="monitoring.report_overdue_escalated",
                key=f"{visit.pk}:{today}",
                title=f"Report overdue for {visit.cra.printed_name}: {_visit_label(visit)}",
                body=f"The report was due {visit.report_due_date:%Y-%m-%d}.",
                url=visit.get_absolute_url(),
                subject=visit,
            )
        _send(notes, sent)

    # Action items due in 3 days, and overdue (daily), to their owner.
    due_items = (
        ActionItem.objects.filter(status=ActionItemStatus.OPEN)
        .filter(Q(due_date=today + timedelta(ACTION_ITEM_DUE_SOON_DAYS)) | Q(due_date__lt=today))
        .select_related("study_site__study", "study_site__site", "visit__cra", "raised_by")
        .order_by("pk")
    )
    for items in batches(due_items):
        contacts = _contacts_by_study_site(
            i.study_site for i in items if i.owner == ActionItemOwner.SITE
        )
        notes = []
        for item in items:
            kind = (
                "monitoring.action_item_overdue"
                if item.due_date < today
                else "monitoring.action_item_due_soon"
            )
            if item.owner == ActionItemOwner.SITE:
                recipients = contacts.get(item.study_site_id, [])
            else:
                recipients = [item.visit.cra if item.visit_id else item.raised_by]
            sent.setdefault(kind, 0)
            notes += _notes(
                recipients,
                kind=kind,
                key=f"{item.pk}:{today}",
                title=(
                    "Overdue action item: " if item.due_date < today else "Action item due soon: "
                )
                + item.description[:80],
                body=f"Due {item.due_date:%Y-%m-%d} at {item.study_site.site.name} "
                f"({item.study_site.study.protocol_number}).",
                url=item.get_absolute_url(),
                subject=item,
            )
        _send(notes, sent)

    # Follow-up letters not acknowledged 7 days after they were sent.
    cutoff, _ = _day_bounds(today - timedelta(days=LETTER_ACK_REMINDER_DAYS - 1))
    unacknowledged = (
        FollowUpLetter.objects.filter(status=LetterStatus.SENT, sent_at__lt=cutoff)
        .select_related("visit__study_site__study", "visit__study_site__site", "visit__cra")
        .order_by("pk")
    )
    for letters in batches(unacknowledged):
        contacts = _contacts_by_study_site(letter.visit.study_site for letter in letters)
        notes = []
        for letter in letters:
            sent.setdefault("monitoring.follow_up_letter_unacknowledged", 0)
            notes += _notes(
                contacts.get(letter.visit.study_site_id, []),
                kind="monitoring.follow_up_letter_unacknowledged",
                key=f"{letter.pk}:{today}",
                title=f"Please acknowledge the follow-up letter: {_visit_label(letter.visit)}",
                body=f"Sent {letter.sent_at:%Y-%m-%d}.",
                url=reverse(
                    "monitoring_visit_letter", kwargs={"monitoring_visit_id": letter.visit_id}
                ),
                subject=letter.visit,
            )
        _send(notes, sent)
    return dict(sent)
