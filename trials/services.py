"""Writes to the trial model. Each checks the actor's role and the allowed transition, inside
one transaction that locks the row."""

import re
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Organization, OrganizationKind, Role, User
from accounts.selectors import organization_roles, people_by_organization
from core import checklists
from core.audit import audit_context, require_reason
from core.db import batches
from core.events import publish
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.notifications import Note, notify, notify_many
from trials import access
from trials.models import (
    STUDY_SITE_TRANSITIONS,
    SUBJECT_TRANSITIONS,
    SUBJECT_VISIT_CORRECTIONS,
    SUBJECT_VISIT_TRANSITIONS,
    AgeBand,
    CRAAssignment,
    Ethnicity,
    Milestone,
    MilestoneKind,
    Phase,
    Race,
    Sex,
    Study,
    StudySite,
    StudySiteStatus,
    StudyTeamMember,
    StudyUpdate,
    StudyUpdateKind,
    StudyUpdateRecipient,
    Subject,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
    TeamRole,
    VisitDefinition,
)

STUDY_EDITABLE_FIELDS = (
    "title",
    "phase",
    "therapeutic_area",
    "planned_sites",
    "planned_subjects",
    "diversity_goals",
    "planned_fpi_date",
    "planned_lpi_date",
)
# The enrollment plan's dates live in the study's own FPI / LPI milestones (planned date), the
# same rows the milestone list and the enrollment metrics read.
STUDY_PLAN_MILESTONES = {
    "planned_fpi_date": MilestoneKind.FPI,
    "planned_lpi_date": MilestoneKind.LPI,
}


def study_plan_dates(study: Study) -> dict[str, date | None]:
    """The study's planned first-patient-in and last-patient-in dates (one query)."""
    planned = dict(
        Milestone.objects.filter(
            study=study, study_site__isnull=True, kind__in=STUDY_PLAN_MILESTONES.values()
        ).values_list("kind", "planned_date")
    )
    return {field: planned.get(kind) for field, kind in STUDY_PLAN_MILESTONES.items()}


def _update_study_plan(study: Study, changes: dict[str, Any]) -> None:
    """Set the planned FPI / LPI dates (study milestones; audit-trailed like every milestone).
    The caller holds the study's row lock and the audit context."""
    for field, kind in STUDY_PLAN_MILESTONES.items():
        if field not in changes:
            continue
        value = changes[field]
        milestone = (
            Milestone.objects.select_for_update()
            .filter(study=study, study_site__isnull=True, kind=kind)
            .first()
        )
        if milestone is None:
            if value is not None:
                Milestone.objects.create(study=study, kind=kind, planned_date=value)
        elif milestone.planned_date != value:
            milestone.planned_date = value
            milestone.save(update_fields=["planned_date"])


def _validate_study_fields(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "title" in data and not str(data["title"]).strip():
        errors["title"] = ["Enter the study title."]
    if "phase" in data and data["phase"] not in Phase.values:
        errors["phase"] = [f"Choose one of {', '.join(Phase.values)}."]
    for field in ("planned_sites", "planned_subjects"):
        if field in data:
            value = data[field]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors[field] = ["Enter a whole number, 0 or more."]
    if "currency" in data:
        code = str(data["currency"] or "")
        if len(code) != 3 or not code.isalpha() or not code.isupper():
            errors["currency"] = ["Enter a three-letter ISO 4217 code such as USD or EUR."]
    if "diversity_goals" in data:
        goals = data["diversity_goals"]
        if not isinstance(goals, dict) or any(
            not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 100
            for v in goals.values()
        ):
            errors["diversity_goals"] = ["Give each category a goal between 0 and 100 percent."]
    return errors


@transaction.atomic
def study_create(
    *,
    actor: User,
    cro: Organization,
    sponsor: Organization,
    protocol_number: str,
    title: str,
    phase: str,
    therapeutic_area: str,
    currency: str,
    planned_sites: int = 0,
    planned_subjects: int = 0,
    diversity_goals: dict | None = None,
) -> Study:
    access.require("study.create", organization_roles(actor).get(cro.pk, set()))
    data = {
        "title": title,
        "phase": phase,
        "planned_sites": planned_sites,
        "planned_subjects": planned_subjects,
        "currency": (currency or "").upper(),
        "diversity_goals": diversity_goals or {},
    }
    errors = _validate_study_fields(data)
    protocol_number = (protocol_number or "").strip()
    if not protocol_number:
        errors["protocol_number"] = ["Enter the protocol number."]
    if sponsor.kind != OrganizationKind.SPONSOR:
        errors["sponsor"] = ["Choose a sponsor organization."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    if Study.objects.filter(cro=cro, protocol_number=protocol_number).exists():
        raise ApplicationError(
            "Your organization already has a study with this protocol number.",
            fields={"protocol_number": ["Already used by another of your studies."]},
        )
    try:
        with transaction.atomic():
            study = Study.objects.create(
                cro=cro,
                sponsor=sponsor,
                protocol_number=protocol_number,
                therapeutic_area=(therapeutic_area or "").strip(),
                **data,
            )
    except IntegrityError as exc:  # a concurrent create took the protocol number first
        raise ApplicationError(
            "Your organization already has a study with this protocol number.",
            fields={"protocol_number": ["Already used by another of your studies."]},
        ) from exc
    StudyTeamMember.objects.create(study=study, user=actor, role=TeamRole.LEAD)
    return study


@transaction.atomic
def study_update(*, actor: User, study: Study, reason: str, **changes: Any) -> Study:
    """Edit a study's entered data; a reason is required and recorded in the audit trail."""
    reason = require_reason(reason)
    study = Study.objects.select_for_update().get(pk=study.pk)
    access.require("study.manage", access.study_roles(actor, study))
    unknown = set(changes) - set(STUDY_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            f"These fields cannot be changed here: {', '.join(sorted(unknown))}."
        )
    errors = _validate_study_fields(changes)
    plan = {field: changes.pop(field) for field in STUDY_PLAN_MILESTONES if field in changes}
    for field, value in plan.items():
        if value is not None and not isinstance(value, date):
            errors[field] = ["Enter a date."]
    if plan and not errors:
        dates = {**study_plan_dates(study), **plan}
        fpi, lpi = dates["planned_fpi_date"], dates["planned_lpi_date"]
        if fpi and lpi and lpi <= fpi:
            errors["planned_lpi_date"] = ["The last patient comes in after the first one."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    with audit_context(reason=reason):
        for field, value in changes.items():
            setattr(study, field, value.strip() if isinstance(value, str) else value)
        if changes:
            study.save(update_fields=list(changes))
        _update_study_plan(study, plan)
    return study


@transaction.atomic
def study_site_add(
    *,
    actor: User,
    study: Study,
    site: Organization,
    site_number: str,
    enrollment_target: int = 0,
    principal_investigator: User | None = None,
) -> StudySite:
    access.require("study_site.manage", access.study_roles(actor, study))
    errors: dict[str, list[str]] = {}
    site_number = (site_number or "").strip()
    if not site_number:
        errors["site_number"] = ["Enter the site number."]
    if site.kind != OrganizationKind.SITE:
        errors["site"] = ["Choose a research site."]
    if enrollment_target < 0:
        errors["enrollment_target"] = ["Enter a whole number, 0 or more."]
    if (
        principal_investigator is not None
        and not principal_investigator.memberships.filter(
            organization=site, role=Role.INVESTIGATOR, is_active=True
        ).exists()
    ):
        errors["principal_investigator"] = ["The PI must be an investigator of this site."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    try:
        with transaction.atomic():
            return StudySite.objects.create(
                study=study,
                site=site,
                site_number=site_number,
                enrollment_target=enrollment_target,
                principal_investigator=principal_investigator,
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "This site or site number is already part of the study.",
            fields={"site_number": ["Site number or site already used in this study."]},
        ) from exc


@transaction.atomic
def study_site_assign_cra(*, actor: User, study_site: StudySite, cra: User) -> CRAAssignment:
    study_site = StudySite.objects.select_for_update().select_related("study").get(pk=study_site.pk)
    access.require("study_site.manage", access.study_site_roles(actor, study_site))
    access.require_open(study_site)
    if Role.CRA not in organization_roles(cra).get(study_site.study.cro_id, set()):
        raise ApplicationError(
            "Only a CRA of the study's CRO can be assigned.", fields={"cra": ["Not a CRA here."]}
        )
    assignment, _ = CRAAssignment.objects.get_or_create(study_site=study_site, cra=cra)
    return assignment


@transaction.atomic
def study_site_transition(
    *,
    actor: User,
    study_site: StudySite,
    to_status: str,
    reason: str = "",
    override: bool = False,
) -> StudySite:
    """Move a study-site along its lifecycle.

    Activation needs every activation checklist item green, and closing an active site every
    close-out item; a study lead may override open items, with a reason that the audit trail
    keeps. The checklist items come from the apps that know them (core.checklists).
    """
    study_site = StudySite.objects.select_for_update().select_related("study").get(pk=study_site.pk)
    roles = access.study_site_roles(actor, study_site)
    access.require("study_site.manage", roles)
    if to_status not in STUDY_SITE_TRANSITIONS.get(study_site.status, ()):
        raise TransitionNotAllowed(
            f"A {study_site.get_status_display().lower()} site cannot become {to_status}.",
            fields={"to_status": ["This change is not allowed."]},
        )
    audit_reason = reason or f"status → {to_status}"
    checklist = checklist_for_transition(study_site.status, to_status)
    if checklist:
        still_open = checklists.open_items(checklist, study_site)
        if still_open and not override:
            labels = "; ".join(item.label for item in still_open)
            raise ApplicationError(
                f"Not ready yet — open items: {labels}.",
                fields={"to_status": [f"Open checklist items: {labels}."]},
                code="checklist_open",
            )
        if still_open:
            if access.LEAD not in roles:
                raise PermissionDenied("Only a lead of the study can override open items.")
            audit_reason = "Override of open checklist items ({}): {}".format(
                "; ".join(item.key for item in still_open), require_reason(reason)
            )
    with audit_context(reason=audit_reason):
        study_site.status = to_status
        study_site.save(update_fields=["status"])
    return study_site


def checklist_for_transition(from_status: str, to_status: str) -> str | None:
    """Which checklist guards this step: activation, or close-out of a site that ran."""
    if to_status == StudySiteStatus.ACTIVATED:
        return checklists.ACTIVATION
    if to_status == StudySiteStatus.CLOSED and from_status in (
        StudySiteStatus.ACTIVATED,
        StudySiteStatus.ENROLLING,
    ):
        return checklists.CLOSE_OUT
    return None


@transaction.atomic
def visit_definition_add(
    *,
    actor: User,
    study: Study,
    code: str,
    name: str,
    day_offset: int,
    window_before: int = 0,
    window_after: int = 0,
) -> VisitDefinition:
    access.require("study.manage", access.study_roles(actor, study))
    errors: dict[str, list[str]] = {}
    if not (code or "").strip():
        errors["code"] = ["Enter a short code, e.g. V2."]
    if not (name or "").strip():
        errors["name"] = ["Enter the visit name."]
    if window_before < 0 or window_after < 0:
        errors["window_before" if window_before < 0 else "window_after"] = [
            "A window cannot be negative."
        ]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    if VisitDefinition.objects.filter(study=study, code=code.strip()).exists():
        raise ApplicationError(
            "This visit code is already in the schedule.", fields={"code": ["Already used."]}
        )
    order = VisitDefinition.objects.filter(study=study).count() + 1
    return VisitDefinition.objects.create(
        study=study,
        code=code.strip(),
        name=name.strip(),
        day_offset=day_offset,
        window_before=window_before,
        window_after=window_after,
        order=order,
    )


def _milestone_reach(
    *, study_site: StudySite, kind: str, actual_date: date, reason: str = ""
) -> Milestone:
    """Set a study-site milestone's actual date (no role check: callers decide who may).

    Publishes ``milestone.reached`` (milestone_id) after commit the first time the milestone
    gets a date; recording the same date again changes nothing; a different date needs a
    reason."""
    milestone, _ = Milestone.objects.select_for_update().get_or_create(
        study_id=study_site.study_id, study_site=study_site, kind=kind
    )
    if milestone.actual_date == actual_date:
        return milestone
    first_time = milestone.actual_date is None
    if not first_time:
        reason = require_reason(reason)
    with audit_context(reason=reason or f"{milestone.get_kind_display()} reached"):
        milestone.actual_date = actual_date
        milestone.save(update_fields=["actual_date"])
    if first_time:
        publish("milestone.reached", milestone_id=milestone.pk)
    return milestone


@transaction.atomic
def milestone_record(
    *,
    actor: User,
    study_site: StudySite,
    kind: str,
    actual_date: date,
    reason: str = "",
) -> Milestone:
    """Record that a study-site reached a milestone (SIV, FPI, COV …) on a date.

    Publishes ``milestone.reached`` (milestone_id) after commit, once per milestone: recording
    the same date again changes nothing; correcting the date needs a reason.
    """
    access.require("milestone.record", access.study_site_roles(actor, study_site))
    access.require_open(StudySite.objects.select_for_update().get(pk=study_site.pk))
    if kind not in MilestoneKind.values:
        raise ApplicationError("Unknown milestone.", fields={"kind": ["Choose a milestone."]})
    if actual_date > timezone.localdate():
        raise ApplicationError(
            "A milestone cannot be reached in the future.",
            fields={"actual_date": ["Enter today or an earlier date."]},
        )
    return _milestone_reach(
        study_site=study_site, kind=kind, actual_date=actual_date, reason=reason
    )


# --- the enrollment log --------------------------------------------------------------------

# Free text in subject records must never carry a direct identifier (ICH E6, HIPAA Safe
# Harbor): refuse what looks like a person's name or a date of birth.
_IDENTIFIER_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (
        re.compile(r"\b(?:dob|d\.o\.b|date\s+of\s+birth|birth\s*date|birthday|born)\b", re.I),
        "looks like a date of birth",
    ),
    (re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-z]+"), "looks like a person's name"),
    (
        re.compile(r"\b(?:name|surname|first\s+name|last\s+name|initials)\s*[:=]", re.I),
        "looks like a person's name",
    ),
    (re.compile(r"^\s*[A-Z][a-z'\-]+(?:\s+[A-Z]\.?)?\s+[A-Z][a-z'\-]+\s*$"), "looks like a name"),
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "looks like a social security number"),
    (re.compile(r"[\w.+\-]+@[\w\-]+\.[\w.]+"), "looks like an e-mail address"),
)
_CONSENT_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._\-/()]{0,29}$")
SCREENING_SITE_STATUSES = (StudySiteStatus.ACTIVATED, StudySiteStatus.ENROLLING)
SUBJECT_CORRECTABLE_FIELDS = (
    "screening_date",
    "consent_date",
    "consent_version",
    "sex",
    "age_band",
    "race",
    "ethnicity",
)
_DEMOGRAPHICS = {"sex": Sex, "age_band": AgeBand, "race": Race, "ethnicity": Ethnicity}


def identifier_problem(text: str) -> str | None:
    """Why this free text looks like a direct identifier, or None when it does not."""
    for pattern, problem in _IDENTIFIER_PATTERNS:
        if pattern.search(text or ""):
            return problem
    return None


def _check_free_text(errors: dict[str, list[str]], field: str, text: str) -> None:
    problem = identifier_problem(text)
    if problem:
        errors.setdefault(field, []).append(
            f"This {problem}. Never enter names, birth dates or other direct identifiers."
        )


def _validate_subject_fields(
    data: dict[str, Any], *, today: date, errors: dict[str, list[str]]
) -> None:
    """Screening/consent dates, consent version and demographic categories."""
    screening_date = data.get("screening_date")
    consent_date = data.get("consent_date")
    if "screening_date" in data:
        if screening_date is None:
            errors["screening_date"] = ["Enter the screening date."]
        elif screening_date > today:
            errors["screening_date"] = ["The screening date cannot be in the future."]
    if "consent_date" in data:
        if consent_date is None:
            errors["consent_date"] = ["Enter the date the subject signed the consent form."]
        elif consent_date > today:
            errors["consent_date"] = ["The consent date cannot be in the future."]
        elif screening_date is not None and consent_date > screening_date:
            errors["consent_date"] = ["Consent must be signed on or before the screening date."]
    if "consent_version" in data:
        version = (data.get("consent_version") or "").strip()
        if not version:
            errors["consent_version"] = ["Enter the version of the consent form signed."]
        elif not _CONSENT_VERSION.match(version):
            errors["consent_version"] = [
                "Use letters, digits, spaces and . _ - / ( ) only, e.g. v3.0 or 2026-01 v2."
            ]
        else:
            _check_free_text(errors, "consent_version", version)
    for field, choices in _DEMOGRAPHICS.items():
        if field in data and data[field] not in choices.values:
            errors[field] = ["Choose one of the listed categories (or Not reported)."]


def _next_subject_identifier(study_site: StudySite) -> str:
    """The next pseudonymous id from the study's pattern, unused anywhere in the study.

    ``{seq}`` counts per study-site when the pattern names ``{site}``, else per study. The
    caller holds the study-site (and, for study-wide sequences, the study) row lock."""
    pattern = study_site.study.subject_id_pattern
    in_study = Subject.objects.filter(study_site__study_id=study_site.study_id)
    per_site = "{site" in pattern
    seq = (in_study.filter(study_site=study_site) if per_site else in_study).count() + 1
    taken = set(in_study.values_list("subject_identifier", flat=True)) if seq > 1 else set()
    for candidate in range(seq, seq + 10_000):
        try:
            identifier = pattern.format(site=study_site.site_number, seq=candidate)
        except (KeyError, IndexError, ValueError) as exc:
            raise ApplicationError(
                "The study's subject id pattern is invalid; ask the CRO to fix it."
            ) from exc
        if len(identifier) > Subject._meta.get_field("subject_identifier").max_length:
            raise ApplicationError("The study's subject id pattern makes ids that are too long.")
        if identifier not in taken:
            return identifier
    raise ApplicationError("No free subject id is left in the study's pattern.")


@transaction.atomic
def subject_register(
    *,
    actor: User,
    study_site: StudySite,
    screening_date: date,
    consent_date: date | None,
    consent_version: str,
    sex: str = Sex.NOT_REPORTED,
    age_band: str = AgeBand.NOT_REPORTED,
    race: str = Race.NOT_REPORTED,
    ethnicity: str = Ethnicity.NOT_REPORTED,
) -> Subject:
    """Register a subject at screening under the next pseudonymous id of the study's pattern.

    Only the site's own people (coordinator, investigator, site admin) register subjects, and
    only at an activated or enrolling study-site."""
    study_site = StudySite.objects.select_for_update().select_related("study").get(pk=study_site.pk)
    access.require("subject.register", access.study_site_roles(actor, study_site))
    access.require_open(study_site)
    if "{site" not in study_site.study.subject_id_pattern:
        Study.objects.select_for_update().filter(pk=study_site.study_id).first()
    if study_site.status not in SCREENING_SITE_STATUSES:
        raise ApplicationError(
            f"This site is {study_site.get_status_display().lower()}: subjects can be screened "
            "once the CRO has activated it."
        )
    data = {
        "screening_date": screening_date,
        "consent_date": consent_date,
        "consent_version": consent_version,
        "sex": sex or Sex.NOT_REPORTED,
        "age_band": age_band or AgeBand.NOT_REPORTED,
        "race": race or Race.NOT_REPORTED,
        "ethnicity": ethnicity or Ethnicity.NOT_REPORTED,
    }
    errors: dict[str, list[str]] = {}
    _validate_subject_fields(data, today=timezone.localdate(), errors=errors)
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    data["consent_version"] = data["consent_version"].strip()
    identifier = _next_subject_identifier(study_site)
    try:
        with transaction.atomic():
            return Subject.objects.create(
                study_site=study_site, subject_identifier=identifier, **data
            )
    except IntegrityError as exc:  # pragma: no cover - the row lock serializes registrations
        raise ApplicationError("That subject id was just taken; please try again.") from exc


def _lock_subject(subject: Subject) -> Subject:
    return (
        Subject.objects.select_for_update(of=("self",))
        .select_related("study_site", "study_site__study")
        .get(pk=subject.pk)
    )


def _schedule_visits(subject: Subject) -> list[SubjectVisit]:
    """One visit per VisitDefinition: target = enrollment date + day offset, with its window."""
    definitions = VisitDefinition.objects.filter(study_id=subject.study_site.study_id).exclude(
        pk__in=subject.visits.values("definition_id")
    )
    visits = []
    for definition in definitions.order_by("order", "day_offset"):
        target = subject.enrollment_date + timedelta(days=definition.day_offset)
        visits.append(
            SubjectVisit(
                subject=subject,
                definition=definition,
                target_date=target,
                window_start=target - timedelta(days=definition.window_before),
                window_end=target + timedelta(days=definition.window_after),
            )
        )
    return SubjectVisit.objects.bulk_create(visits)


def _cancel_visits_ahead(subject: Subject, *, today: date) -> int:
    """A withdrawn subject has no visits ahead: each scheduled visit whose window has not yet
    closed is marked not applicable (cancelled). Overdue visits stay scheduled so the site
    records what happened (completed or missed)."""
    visits = SubjectVisit.objects.select_for_update().filter(
        subject=subject, status=SubjectVisitStatus.SCHEDULED, window_end__gte=today
    )
    cancelled = 0
    for visit in visits:  # save() per row so the audit trail keeps each change
        visit.status = SubjectVisitStatus.CANCELLED
        visit.save(update_fields=["status"])
        cancelled += 1
    return cancelled


@transaction.atomic
def subject_transition(
    *,
    actor: User,
    subject: Subject,
    to_status: str,
    reason: str = "",
    enrollment_date: date | None = None,
) -> Subject:
    """Move a subject along SUBJECT_TRANSITIONS.

    Enrolling (on ``enrollment_date``, default today) schedules the study's visits and, for the
    study-site's first enrolled subject, records the FPI milestone. Screen failure and
    withdrawal need a reason; a screen failure publishes ``subject.screen_failed``. Withdrawal
    marks the visits still ahead of the subject not applicable (cancelled)."""
    subject = _lock_subject(subject)
    study_site = subject.study_site
    access.require("subject.transition", access.study_site_roles(actor, study_site))
    access.require_open(study_site)
    if to_status not in SUBJECT_TRANSITIONS.get(subject.status, ()):
        raise TransitionNotAllowed(
            f"A subject who is {subject.get_status_display().lower()} cannot become "
            f"{to_status.replace('_', ' ')}.",
            fields={"to_status": ["This change is not allowed."]},
        )
    today = timezone.localdate()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if to_status in (SubjectStatus.SCREEN_FAILED, SubjectStatus.WITHDRAWN) and not reason:
        errors["reason"] = ["Give the reason (it is kept in the enrollment log)."]
    if reason:
        _check_free_text(errors, "reason", reason)
    if to_status == SubjectStatus.ENROLLED:
        enrollment_date = enrollment_date or today
        if enrollment_date > today:
            errors["enrollment_date"] = ["The enrollment date cannot be in the future."]
        elif enrollment_date < subject.screening_date:
            errors["enrollment_date"] = ["A subject is enrolled on or after screening."]
        if subject.consent_date is None:
            errors["enrollment_date"] = ["Record the consent date before enrolling."]
        if study_site.status not in SCREENING_SITE_STATUSES:
            raise ApplicationError(
                f"This site is {study_site.get_status_display().lower()}: it cannot enroll."
            )
    if (
        to_status == SubjectStatus.COMPLETED
        and subject.visits.filter(status=SubjectVisitStatus.SCHEDULED).exists()
    ):
        raise ApplicationError(
            "Record each remaining visit as completed or missed before completing the subject."
        )
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    label = SubjectStatus(to_status).label.lower()
    with audit_context(reason=reason or f"subject {label}"):
        subject.status = to_status
        fields = ["status"]
        if to_status in (SubjectStatus.SCREEN_FAILED, SubjectStatus.WITHDRAWN):
            subject.status_reason = reason
            fields.append("status_reason")
        if to_status == SubjectStatus.ENROLLED:
            subject.enrollment_date = enrollment_date
            fields.append("enrollment_date")
        subject.save(update_fields=fields)
        if to_status == SubjectStatus.WITHDRAWN:
            _cancel_visits_ahead(subject, today=today)
        if to_status == SubjectStatus.ENROLLED:
            _schedule_visits(subject)
            already = Milestone.objects.filter(
                study_site=study_site, kind=MilestoneKind.FPI, actual_date__isnull=False
            ).exists()
            if not already:
                _milestone_reach(
                    study_site=study_site,
                    kind=MilestoneKind.FPI,
                    actual_date=enrollment_date,
                    reason="first subject enrolled at the site",
                )
    if to_status == SubjectStatus.SCREEN_FAILED:
        publish("subject.screen_failed", subject_id=subject.pk)
    return subject


@transaction.atomic
def subject_correct(*, actor: User, subject: Subject, reason: str, **changes: Any) -> Subject:
    """Correct a subject's entered data (dates, consent version, demographic categories).

    A reason is required; the change and its reason are kept in the audit trail."""
    reason = require_reason(reason)
    subject = _lock_subject(subject)
    access.require("subject.correct", access.study_site_roles(actor, subject.study_site))
    access.require_open(subject.study_site)
    unknown = set(changes) - set(SUBJECT_CORRECTABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            f"These fields cannot be corrected here: {', '.join(sorted(unknown))}."
        )
    changes = {k: v for k, v in changes.items() if getattr(subject, k) != v}
    if not changes:
        raise ApplicationError("Nothing was changed.")
    data = {
        "screening_date": changes.get("screening_date", subject.screening_date),
        "consent_date": changes.get("consent_date", subject.consent_date),
        **{k: v for k, v in changes.items() if k not in ("screening_date", "consent_date")},
    }
    errors: dict[str, list[str]] = {}
    _check_free_text(errors, "reason", reason)
    _validate_subject_fields(data, today=timezone.localdate(), errors=errors)
    if subject.enrollment_date and data["screening_date"] > subject.enrollment_date:
        errors.setdefault("screening_date", []).append(
            "Screening cannot be after the enrollment date."
        )
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    if "consent_version" in changes:
        changes["consent_version"] = changes["consent_version"].strip()
    with audit_context(reason=reason):
        for field, value in changes.items():
            setattr(subject, field, value)
        subject.save(update_fields=list(changes))
    return subject


# --- subject visits -----------------------------------------------------------------------


def _lock_visit(subject_visit: SubjectVisit) -> SubjectVisit:
    return (
        SubjectVisit.objects.select_for_update(of=("self",))
        .select_related("subject", "subject__study_site", "definition")
        .get(pk=subject_visit.pk)
    )


def _validate_actual_date(
    errors: dict[str, list[str]], visit: SubjectVisit, actual_date: date | None
) -> None:
    if actual_date is None:
        errors["actual_date"] = ["Enter the date the visit took place."]
    elif actual_date > timezone.localdate():
        errors["actual_date"] = ["A visit cannot be recorded in the future."]
    elif visit.subject.consent_date and actual_date < visit.subject.consent_date:
        errors["actual_date"] = ["A visit cannot take place before the subject consented."]


def _check_recordable(visit: SubjectVisit) -> None:
    if visit.subject.status in (SubjectStatus.SCREENING, SubjectStatus.SCREEN_FAILED):
        raise TransitionNotAllowed("Visits are recorded for enrolled subjects only.")


@transaction.atomic
def subject_visit_complete(
    *, actor: User, subject_visit: SubjectVisit, actual_date: date, deviation_note: str = ""
) -> SubjectVisit:
    """Record a scheduled visit as completed on ``actual_date``.

    A date outside the visit window flags the visit out of window (a protocol deviation; the
    note says what happened). Publishes ``subject_visit.completed`` after commit."""
    visit = _lock_visit(subject_visit)
    access.require("subject_visit.record", access.study_site_roles(actor, visit.subject.study_site))
    access.require_open(visit.subject.study_site)
    _check_recordable(visit)
    if SubjectVisitStatus.COMPLETED not in SUBJECT_VISIT_TRANSITIONS[visit.status]:
        raise TransitionNotAllowed(
            f"This visit is already {visit.get_status_display().lower()}; correct it with a "
            "reason instead.",
            fields={"status": ["Already recorded."]},
        )
    errors: dict[str, list[str]] = {}
    _validate_actual_date(errors, visit, actual_date)
    deviation_note = (deviation_note or "").strip()
    _check_free_text(errors, "deviation_note", deviation_note)
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    visit.status = SubjectVisitStatus.COMPLETED
    visit.actual_date = actual_date
    visit.out_of_window = visit.is_outside_window(actual_date)
    visit.deviation_note = deviation_note
    with audit_context(reason="visit completed"):
        visit.save(update_fields=["status", "actual_date", "out_of_window", "deviation_note"])
    publish("subject_visit.completed", subject_visit_id=visit.pk)
    return visit


@transaction.atomic
def subject_visit_miss(
    *, actor: User, subject_visit: SubjectVisit, deviation_note: str = ""
) -> SubjectVisit:
    """Record that a scheduled visit did not take place."""
    visit = _lock_visit(subject_visit)
    access.require("subject_visit.record", access.study_site_roles(actor, visit.subject.study_site))
    access.require_open(visit.subject.study_site)
    _check_recordable(visit)
    if SubjectVisitStatus.MISSED not in SUBJECT_VISIT_TRANSITIONS[visit.status]:
        raise TransitionNotAllowed(
            f"This visit is already {visit.get_status_display().lower()}; correct it with a "
            "reason instead.",
            fields={"status": ["Already recorded."]},
        )
    errors: dict[str, list[str]] = {}
    deviation_note = (deviation_note or "").strip()
    _check_free_text(errors, "deviation_note", deviation_note)
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    visit.status = SubjectVisitStatus.MISSED
    visit.deviation_note = deviation_note
    with audit_context(reason="visit missed"):
        visit.save(update_fields=["status", "deviation_note"])
    return visit


@transaction.atomic
def subject_visit_correct(
    *,
    actor: User,
    subject_visit: SubjectVisit,
    reason: str,
    status: str,
    actual_date: date | None = None,
    deviation_note: str | None = None,
) -> SubjectVisit:
    """Correct a recorded visit (its outcome, date or deviation note), with a reason kept in
    the audit trail. A completed visit that is no longer completed publishes
    ``subject_visit.reverted``; one that becomes completed publishes
    ``subject_visit.completed``."""
    reason = require_reason(reason)
    visit = _lock_visit(subject_visit)
    access.require(
        "subject_visit.correct", access.study_site_roles(actor, visit.subject.study_site)
    )
    access.require_open(visit.subject.study_site)
    if status not in SUBJECT_VISIT_CORRECTIONS.get(visit.status, ()):
        raise TransitionNotAllowed(
            "Only a recorded (completed or missed) visit can be corrected"
            if visit.status == SubjectVisitStatus.SCHEDULED
            else f"A {visit.get_status_display().lower()} visit cannot be corrected to {status}.",
            fields={"status": ["This correction is not allowed."]},
        )
    errors: dict[str, list[str]] = {}
    _check_free_text(errors, "reason", reason)
    if status == SubjectVisitStatus.COMPLETED:
        _validate_actual_date(errors, visit, actual_date)
    else:
        actual_date = None
    note = visit.deviation_note if deviation_note is None else deviation_note.strip()
    if status == SubjectVisitStatus.SCHEDULED:
        note = ""
    _check_free_text(errors, "deviation_note", note)
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    was_completed = visit.status == SubjectVisitStatus.COMPLETED
    new = {
        "status": status,
        "actual_date": actual_date,
        "out_of_window": bool(actual_date) and visit.is_outside_window(actual_date),
        "deviation_note": note,
    }
    if all(getattr(visit, field) == value for field, value in new.items()):
        raise ApplicationError("Nothing was changed.")
    with audit_context(reason=reason):
        for field, value in new.items():
            setattr(visit, field, value)
        visit.save(update_fields=list(new))
    now_completed = status == SubjectVisitStatus.COMPLETED
    if was_completed and not now_completed:
        publish("subject_visit.reverted", subject_visit_id=visit.pk)
    elif now_completed and not was_completed:
        publish("subject_visit.completed", subject_visit_id=visit.pk)
    return visit


# --- start-up and close-out records on the study-site ------------------------------------------


@transaction.atomic
def study_site_record_agreement(
    *, actor: User, study_site: StudySite, signed_on: date, reason: str = ""
) -> StudySite:
    """Record the date the clinical trial agreement was fully signed (an activation checklist
    item). The first entry needs no reason; changing a recorded date needs one."""
    study_site = StudySite.objects.select_for_update().select_related("study").get(pk=study_site.pk)
    access.require("study_site.record_agreement", access.study_site_roles(actor, study_site))
    access.require_open(study_site)
    if signed_on is None:
        raise ApplicationError(
            "Enter the date the agreement was signed.", fields={"signed_on": ["Enter a date."]}
        )
    if signed_on > timezone.localdate():
        raise ApplicationError(
            "An agreement cannot be signed in the future.",
            fields={"signed_on": ["Enter today or an earlier date."]},
        )
    if study_site.agreement_signed_on == signed_on:
        raise ApplicationError("This date is already recorded.", fields={"signed_on": ["Same."]})
    if study_site.agreement_signed_on is not None:
        audit_reason = require_reason(reason)
    else:
        audit_reason = (reason or "").strip() or "clinical trial agreement signed"
    with audit_context(reason=audit_reason):
        study_site.agreement_signed_on = signed_on
        study_site.save(update_fields=["agreement_signed_on"])
    return study_site


@transaction.atomic
def study_site_reconcile_ip(*, actor: User, study_site: StudySite, note: str = "") -> StudySite:
    """Attest that the investigational product at the site is reconciled (a close-out item):
    the assigned CRA or a study lead; who and when are kept with the note."""
    study_site = StudySite.objects.select_for_update().select_related("study").get(pk=study_site.pk)
    access.require("study_site.reconcile_ip", access.study_site_roles(actor, study_site))
    access.require_open(study_site)
    if study_site.ip_reconciled_at is not None:
        raise TransitionNotAllowed(
            "The investigational product is already attested reconciled.",
            fields={"note": ["Already attested."]},
        )
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    _check_free_text(errors, "note", note)
    if len(note) > 2000:
        errors["note"] = ["Keep the note under 2,000 characters."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    with audit_context(reason="investigational product reconciled"):
        study_site.ip_reconciled_at = timezone.now()
        study_site.ip_reconciled_by = actor
        study_site.ip_reconciliation_note = note
        study_site.save(
            update_fields=["ip_reconciled_at", "ip_reconciled_by", "ip_reconciliation_note"]
        )
    return study_site


# --- study updates ------------------------------------------------------------------------


@transaction.atomic
def study_update_post(
    *,
    actor: User,
    study: Study,
    kind: str,
    title: str,
    body: str,
    confirmation_required: bool = False,
    study_sites: list[StudySite] | None = None,
) -> StudyUpdate:
    """Post an update to chosen study-sites of a study (all open ones when none are chosen).
    Each receiving site's people get an in-app notification, once per update."""
    access.require("study_update.post", access.study_roles(actor, study))
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    body = (body or "").strip()
    if kind not in StudyUpdateKind.values:
        errors["kind"] = ["Choose the kind of update."]
    if not title:
        errors["title"] = ["Enter a title."]
    elif len(title) > 200:
        errors["title"] = ["Keep the title under 200 characters."]
    if not body:
        errors["body"] = ["Write the update."]
    open_sites = StudySite.objects.filter(study=study).exclude(status=StudySiteStatus.CLOSED)
    if study_sites:
        chosen_ids = {ss.pk for ss in study_sites}
        targets = list(open_sites.filter(pk__in=chosen_ids).select_related("site"))
        if len(targets) != len(chosen_ids):
            errors["study_sites"] = ["Choose open study-sites of this study only."]
    else:
        targets = list(open_sites.select_related("site"))
        if not targets:
            errors["study_sites"] = ["The study has no open study-site to send to."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    update = StudyUpdate.objects.create(
        study=study,
        kind=kind,
        title=title,
        body=body,
        confirmation_required=confirmation_required,
        posted_by=actor,
    )
    StudyUpdateRecipient.objects.bulk_create(
        [StudyUpdateRecipient(study_update=update, study_site=ss) for ss in targets]
    )
    readers = (
        Membership.objects.filter(
            organization_id__in=[ss.site_id for ss in targets],
            role__in=access.SITE_ROLES,
            is_active=True,
        )
        .select_related("user")
        .order_by("user_id")
    )
    label = "Confirmation asked: " if confirmation_required else ""
    for user in {m.user_id: m.user for m in readers}.values():
        notify(
            recipient=user,
            kind="study_update",
            title=f"{label}{study.protocol_number}: {title}",
            body=body[:500],
            dedupe_key=f"study_update:{update.pk}:{user.pk}",
            url=update.get_absolute_url(),
            subject=update,
        )
    return update


def _lock_recipient(recipient: StudyUpdateRecipient) -> StudyUpdateRecipient:
    return (
        StudyUpdateRecipient.objects.select_for_update(of=("self",))
        .select_related("study_update", "study_site", "study_site__study")
        .get(pk=recipient.pk)
    )


@transaction.atomic
def study_update_mark_read(*, actor: User, recipient: StudyUpdateRecipient) -> StudyUpdateRecipient:
    """A person of the receiving site marks the update read for their site (first reader is
    kept; marking again changes nothing)."""
    recipient = _lock_recipient(recipient)
    access.require("study_update.acknowledge", access.study_site_roles(actor, recipient.study_site))
    access.require_open(recipient.study_site)
    if recipient.read_at is None:
        with audit_context(reason="study update read"):
            recipient.read_at = timezone.now()
            recipient.read_by = actor
            recipient.save(update_fields=["read_at", "read_by"])
    return recipient


@transaction.atomic
def study_update_confirm(*, actor: User, recipient: StudyUpdateRecipient) -> StudyUpdateRecipient:
    """A person of the receiving site confirms, for their site, that the update was read (only
    where the CRO asked for confirmation; once per site)."""
    recipient = _lock_recipient(recipient)
    access.require("study_update.acknowledge", access.study_site_roles(actor, recipient.study_site))
    access.require_open(recipient.study_site)
    if not recipient.study_update.confirmation_required:
        raise TransitionNotAllowed("This update does not ask for a confirmation.")
    if recipient.confirmed_at is not None:
        raise TransitionNotAllowed(
            f"Already confirmed by {recipient.confirmed_by} on "
            f"{timezone.localtime(recipient.confirmed_at):%Y-%m-%d %H:%M %Z}."
        )
    now = timezone.now()
    with audit_context(reason="study update confirmed read"):
        if recipient.read_at is None:
            recipient.read_at, recipient.read_by = now, actor
        recipient.confirmed_at, recipient.confirmed_by = now, actor
        recipient.save(update_fields=["read_at", "read_by", "confirmed_at", "confirmed_by"])
    return recipient


__all__ = [
    "milestone_record",
    "StudySiteStatus",
    "study_create",
    "study_site_add",
    "study_site_assign_cra",
    "study_site_reconcile_ip",
    "study_site_record_agreement",
    "study_site_transition",
    "study_update_confirm",
    "study_update_mark_read",
    "study_update_post",
    "study_update",
    "subject_correct",
    "subject_register",
    "subject_transition",
    "subject_visit_complete",
    "subject_visit_correct",
    "subject_visit_miss",
    "visit_definition_add",
]


# --- reminders ------------------------------------------------------------------------------

VISIT_DUE_REMINDER_DAYS = 7


def subject_visit_send_due_reminders(*, today: date | None = None) -> int:
    """Tell each site's coordinators about scheduled visits whose window opens within the next
    7 days, once per visit and coordinator (dedupe key ``visit_due:<visit>:<user>``, so later
    runs send nothing again). Closed study-sites are skipped. Reads the visits in batches; per
    batch one query for the coordinators and two to write the notifications. Returns how many
    notifications were created."""
    today = today or timezone.localdate()
    visits = (
        SubjectVisit.objects.filter(
            status=SubjectVisitStatus.SCHEDULED,
            window_start__gte=today,
            window_start__lte=today + timedelta(days=VISIT_DUE_REMINDER_DAYS),
        )
        .exclude(subject__study_site__status=StudySiteStatus.CLOSED)
        .select_related("definition", "subject", "subject__study_site__study")
        .order_by("window_start", "pk")
    )
    created = 0
    for batch in batches(visits):
        coordinators = people_by_organization(
            organization_ids={visit.subject.study_site.site_id for visit in batch},
            roles=[Role.COORDINATOR],
        )
        notes = []
        for visit in batch:
            study_site = visit.subject.study_site
            notes += [
                Note(
                    recipient=user,
                    kind="visit_due",
                    title=(
                        f"Visit {visit.definition.code} of {visit.subject.subject_identifier} "
                        f"opens {visit.window_start:%Y-%m-%d}"
                    ),
                    body=(
                        f"{study_site.study.protocol_number}, site {study_site.site_number}: "
                        f"window {visit.window_start:%Y-%m-%d} to {visit.window_end:%Y-%m-%d}, "
                        f"target {visit.target_date:%Y-%m-%d}."
                    ),
                    url=visit.subject.get_absolute_url(),
                    subject=visit,
                    dedupe_key=f"visit_due:{visit.pk}:{user.pk}",
                )
                for user in coordinators.get(study_site.site_id, [])
            ]
        created += len(notify_many(notes))
    return created
